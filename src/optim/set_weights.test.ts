/**
 * setWeights refuses state that does not fit (wrong shape or dtype, unknown variable or slot,
 * missing slot) with an error naming the weight, before anything is assigned.
 */
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createOptimizer } from "./registry";
import type { NamedTensor, RuleOptimizer } from "./rule_optimizer";

describe("setWeights checks what it is given", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  /** A Padam optimizer after one step on a [2, 3] variable, and its saved state. */
  async function stepped(name: string) {
    const x = tf.variable(tf.ones([2, 3]), true, name);
    const opt = createOptimizer("padam", { learningRate: 0.1 }) as RuleOptimizer;
    opt.applyGradients({ [name]: tf.fill([2, 3], 0.5) });
    opt.setLearningRate(0.05);
    const saved = (await opt.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
    return { x, opt, saved };
  }

  const replace = (saved: NamedTensor[], name: string, tensor: tf.Tensor) =>
    saved.map((w) => (w.name === name ? { name, tensor } : w));

  test("a slot of the wrong shape is refused naming the weight and both shapes; nothing is assigned", async () => {
    const { x, opt, saved } = await stepped("sw_shape");
    const m = Array.from(opt.variableSlots("sw_shape")!.m.dataSync());
    const other = createOptimizer("padam", { learningRate: 0.1 }) as RuleOptimizer;
    await assert.rejects(other.setWeights(replace(saved, "sw_shape/m", tf.zeros([3, 2]))), {
      message:
        'padam.setWeights: weight "sw_shape/m" has shape [3,2] (float32); expected [2,3] (float32), as variable "sw_shape"',
    });
    assert.equal(other.iterations, 0, "iterations untouched");
    assert.equal(other.getLearningRate(), 0.1, "learning rate untouched");
    assert.deepEqual(other.stateVariableNames(), [], "no state restored");
    // The same bad state offered to the optimizer that has state leaves that state as it was.
    await assert.rejects(
      opt.setWeights(replace(saved, "sw_shape/v", tf.zeros([6]))),
      /weight "sw_shape\/v" has shape \[6\] \(float32\); expected \[2,3\]/,
    );
    assert.deepEqual(Array.from(opt.variableSlots("sw_shape")!.m.dataSync()), m);
    assert.equal(opt.getLearningRate(), 0.05);
    tf.dispose([x, ...saved.map((w) => w.tensor)]);
    opt.dispose();
    other.dispose();
  });

  test("wrong dtype, non-scalar step count, unknown variable, unknown slot, missing slot and a bad first weight are refused", async () => {
    const { x, opt, saved } = await stepped("sw_names");
    const fresh = () => createOptimizer("padam", { learningRate: 0.1 }) as RuleOptimizer;
    const cases: [NamedTensor[], string][] = [
      [
        replace(saved, "sw_names/m", tf.zeros([2, 3], "int32")),
        'padam.setWeights: weight "sw_names/m" has shape [2,3] (int32); expected [2,3] (float32), as variable "sw_names"',
      ],
      [
        replace(saved, "sw_names/t", tf.tensor1d([1, 1], "int32")),
        'padam.setWeights: weight "sw_names/t" has shape [2] (int32); expected [] (int32)',
      ],
      [
        saved.map((w) => ({ ...w, name: w.name.replace("sw_names/", "sw_absent/") })),
        'padam.setWeights: weight "sw_absent/m" belongs to no registered variable (neither "sw_absent" nor "sw_absent_<n>" exists)',
      ],
      [
        [...saved, { name: "sw_names/q", tensor: tf.zeros([2, 3]) }],
        'padam.setWeights: unexpected weight "sw_names/q"; expected "lr", "<variable>/t" or "<variable>/<slot>" with slot in {m, v, vMax}',
      ],
      [saved.filter((w) => w.name !== "sw_names/v"), 'padam.setWeights: variable "sw_names" lacks slot(s) v'],
      [[...saved, saved[2]], 'padam.setWeights: weight "sw_names/t" is given twice'],
      [
        saved.slice(1),
        'padam.setWeights: the first weight must be the iteration count "iter" (shape []), got "lr" with shape [2]',
      ],
    ];
    for (const [weights, message] of cases) {
      const o = fresh();
      await assert.rejects(o.setWeights(weights), { message });
      assert.deepEqual([o.iterations, o.getLearningRate(), o.stateVariableNames()], [0, 0.1, []], message);
      o.dispose();
    }
    tf.dispose([x, ...saved.map((w) => w.tensor)]);
    opt.dispose();
  });

  test("valid state is restored, also under a renamed variable (<name>_1), and the next step matches", async () => {
    const { x, opt, saved } = await stepped("sw_ok");
    const a = createOptimizer("padam", { learningRate: 0.1 }) as RuleOptimizer;
    await a.setWeights(saved);
    assert.deepEqual([a.iterations, a.getLearningRate(), a.variableStep("sw_ok")], [1, 0.05, 1]);
    // Uninterrupted: the second step of the original optimizer.
    const afterFirst = x.clone();
    opt.applyGradients({ sw_ok: tf.fill([2, 3], 0.25) });
    const expected = Array.from(x.dataSync());
    // The variable of the saved name is gone; a rebuilt one carries a _1 suffix.
    x.dispose();
    const renamed = tf.variable(afterFirst, true, "sw_ok_1");
    const b = createOptimizer("padam", { learningRate: 0.1 }) as RuleOptimizer;
    await b.setWeights(saved);
    b.applyGradients({ sw_ok_1: tf.fill([2, 3], 0.25) });
    assert.equal(b.variableStep("sw_ok_1"), 2, "the restored step count was adopted");
    assert.deepEqual(Array.from(renamed.dataSync()), expected, "the restored step equals the uninterrupted one");
    afterFirst.dispose();
    tf.dispose([renamed, ...saved.map((w) => w.tensor)]);
    for (const o of [opt, a, b]) o.dispose();
  });
});
