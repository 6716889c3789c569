/**
 * Terminal progress for runs: a bar with loss and ETA per epoch on a TTY (cli-progress), and one
 * summary line per epoch elsewhere (CI logs, notebooks' stderr), nanoGPT-style.
 */
import { SingleBar, Presets } from "cli-progress";
import type { MetricLine } from "./store";

export interface ProgressReporter {
  note(message: string): void;
  startEpoch(epoch: number, batches: number): void;
  step(batch: number, meanLoss: number): void;
  endEpoch(lines: MetricLine[]): void;
  end(message: string): void;
  close(): void;
}

function fmt(v: number | undefined, digits = 4): string {
  return v === undefined ? "-" : Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** One line summarizing an epoch's metrics. */
export function formatEpoch(lines: MetricLine[], epochs: number): string {
  const parts = lines.map((l) => {
    const score =
      l.ppl !== undefined ? `ppl ${fmt(l.ppl, 2)}` : `acc ${fmt(l.acc !== undefined ? 100 * l.acc : undefined, 2)}%`;
    return `${l.split} loss ${fmt(l.loss)} ${score}${l.top5Acc !== undefined ? ` top5 ${fmt(100 * l.top5Acc, 2)}%` : ""}`;
  });
  const first = lines[0];
  return `epoch ${first.epoch + 1}/${epochs} | lr ${first.lr.toPrecision(3)} | ${parts.join(" | ")} | ${(first.wallMs / 1000).toFixed(1)}s`;
}

export function createProgress(mode: "auto" | "none", runId: string, epochs: number): ProgressReporter {
  const out = process.stderr;
  if (mode === "none") {
    const noop = () => undefined;
    return { note: noop, startEpoch: noop, step: noop, endEpoch: noop, end: noop, close: noop };
  }
  const tty = Boolean(out.isTTY);
  let bar: SingleBar | undefined;
  out.write(`run ${runId}\n`);
  return {
    note: (m) => out.write(`${m}\n`),
    startEpoch(epoch, batches) {
      if (!tty) return;
      bar = new SingleBar(
        {
          format: `epoch ${epoch + 1}/${epochs} |{bar}| {value}/{total} batches | loss {loss} | ETA {eta_formatted}`,
          stream: out,
          hideCursor: true,
          clearOnComplete: true,
        },
        Presets.shades_classic,
      );
      bar.start(batches, 0, { loss: "-" });
    },
    step(batch, meanLoss) {
      bar?.update(batch, { loss: fmt(meanLoss) });
    },
    endEpoch(lines) {
      bar?.stop();
      bar = undefined;
      out.write(formatEpoch(lines, epochs) + "\n");
    },
    end(message) {
      bar?.stop();
      bar = undefined;
      out.write(`run ${runId}: ${message}\n`);
    },
    close() {
      bar?.stop();
      bar = undefined;
    },
  };
}
