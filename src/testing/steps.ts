/** Runs a few optimizer steps on a fresh variable with given gradients; returns x after each step. */
import * as tf from "@tensorflow/tfjs";
import { createOptimizer, type OptimizerName, type OptimizerOptionsMap } from "../optim/registry";

export function runSteps<N extends OptimizerName>(
  name: N,
  options: OptimizerOptionsMap[N],
  x0: number[],
  grads: number[][],
): number[][] {
  const opt = createOptimizer(name, options);
  const x = tf.variable(tf.tensor1d(x0));
  const out: number[][] = [];
  try {
    for (const g of grads) {
      tf.tidy(() => opt.applyGradients({ [x.name]: tf.tensor1d(g) }));
      out.push(Array.from(x.dataSync()));
    }
  } finally {
    x.dispose();
    opt.dispose();
  }
  return out;
}
