/**
 * Float64 replay of any registered optimizer: the same `UpdateRule` the tfjs optimizer runs,
 * evaluated on plain `Float64Array`s. Used as an oracle against the golden trajectories of the
 * reference implementations (which are float64) and in notebooks to show exact arithmetic.
 */
import { float64Ops } from "./ops";
import { createOptimizer, type OptimizerName, type OptimizerOptionsMap } from "./registry";

/**
 * Runs `steps` updates from x0. `gradient(x, t)` returns the gradient for step t (0-based) at the
 * current x. Returns the parameter vector after each step.
 */
export function referenceTrajectory<N extends OptimizerName>(
  name: N,
  options: OptimizerOptionsMap[N],
  x0: readonly number[],
  steps: number,
  gradient: (x: Float64Array, t: number) => ArrayLike<number>,
  learningRateAt?: (t: number) => number,
): number[][] {
  const opt = createOptimizer(name, options); // resolves and checks options; allocates no tensors
  const hp = opt.hyperparameters as unknown as Record<string, unknown> & { learningRate: number };
  const rule = opt.rule;
  let x = Float64Array.from(x0);
  const slots: Record<string, Float64Array> = {};
  for (const s of rule.slots(hp)) slots[s] = new Float64Array(x.length).fill(rule.initialValue(s, hp));
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    const g = Float64Array.from(gradient(x, t));
    if (g.length !== x.length)
      throw new Error(`referenceTrajectory: gradient length ${g.length} at step ${t} != parameter length ${x.length}`);
    const lr = learningRateAt ? learningRateAt(t) : hp.learningRate;
    const res = rule.step(float64Ops, x, g, slots, hp, { t: t + 1, lr, initialLr: hp.learningRate });
    x = res.x;
    for (const s of Object.keys(slots)) slots[s] = res.slots[s];
    out.push(Array.from(x));
  }
  return out;
}
