/** A long legend of training curves goes below the panels instead of being cut off at the side. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { curvesFigure } from "./curves";
import { DEFAULT_HEIGHT } from "./plotly";

const runs = (n: number) =>
  Array.from({ length: n }, (_, k) => ({
    name: `run ${k}`,
    records: [0, 1].flatMap((epoch) =>
      ["train", "valid", "test"].map((split) => ({ epoch, step: 10 * epoch, split, loss: 1, ppl: 100, lr: 0.1 })),
    ),
  }));

test("up to ten legend entries stay beside the panels; more go below in rows, the figure taller by them", () => {
  const short = curvesFigure(runs(3), { metrics: ["ppl"] }); // 3 runs × 3 splits = 9 entries
  assert.equal((short.layout.legend as { orientation: string }).orientation, "v");
  assert.equal(short.layout.height, DEFAULT_HEIGHT);
  const long = curvesFigure(runs(4), { metrics: ["ppl", "loss"] }); // 12 entries (legend in the first panel only)
  assert.equal(long.data.filter((t) => t.showlegend).length, 12);
  assert.equal((long.layout.legend as { orientation: string }).orientation, "h");
  assert.equal(long.layout.height, DEFAULT_HEIGHT + 22 * 4, "12 entries in rows of 3: 4 rows of 22 px");
});
