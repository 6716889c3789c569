/**
 * The convergence bound's quantities measured on a real small network: a ReLU MLP trained on a
 * seeded synthetic classification task (labels from a random two-layer teacher) with any
 * tf.Optimizer, recording G_inf, the per-coordinate norms ||g_{1:T,i}||_2 and the growth exponent
 * s through `createGradientStats`.
 *
 * The headline comparison is how far the run is from the worst case of the verified rate:
 * sum_i ||g_{1:T,i}||_2 <= d G_inf sqrt(T) always, and the ratio
 *   rho = sum_i ||g_{1:T,i}||_2 / (d G_inf sqrt(T))  in (0, 1]
 * says how much the data-dependent rate O(sqrt(sum_i ||g_{1:T,i}||_2)/T^(3/4) + d/T) gains over
 * O(sqrt(d/T) + d/T) (a factor sqrt(rho) in the first term).
 *
 * Used by notebooks/03-convergence-theory.ipynb.
 */
import * as tf from "@tensorflow/tfjs";
import { verifiedRateShape } from "./bounds";
import { createGradientStats, GradientStatsSummary } from "./gradient_stats";
import { seededRandom } from "../util/random";

/** Configuration of the network measurement. */
export interface NetworkCheckConfig {
  inputDim: number;
  /** Hidden layer widths of the MLP. */
  hidden: number[];
  classes: number;
  /** Training-set size. */
  samples: number;
  batchSize: number;
  /** Optimizer steps T. */
  steps: number;
  /** Read the loss back every this many steps (the only host syncs during training). */
  logEvery: number;
  seed: number;
}

export const NETWORK_CHECK_DEFAULTS: Readonly<NetworkCheckConfig> = Object.freeze({
  inputDim: 20,
  hidden: [64],
  classes: 4,
  samples: 2048,
  batchSize: 64,
  steps: 500,
  logEvery: 10,
  seed: 1,
});

/** Result of `measureNetworkGradients`. */
export interface NetworkCheckResult {
  config: NetworkCheckConfig;
  /** Number of parameters d. */
  numParams: number;
  /** Training loss (mean cross-entropy of the batch) every `logEvery` steps. */
  losses: { step: number; loss: number }[];
  stats: GradientStatsSummary;
  /** rho = sum_i ||g_{1:T,i}||_2 / (d G_inf sqrt(T)); 1 is the worst case. */
  worstCaseRatio: number;
  /** The verified rate's shape sqrt(sum_i ||g_{1:T,i}||_2)/T^(3/4) + d/T at the measured values. */
  verifiedRate: number;
  /** The same with the worst case sum_i ||g_{1:T,i}||_2 = d G_inf sqrt(T). */
  verifiedRateWorstCase: number;
}

function checkConfig(c: NetworkCheckConfig): void {
  const posInt = (k: keyof NetworkCheckConfig) => {
    const v = c[k] as number;
    if (!(Number.isInteger(v) && v >= 1))
      throw new Error(`NetworkCheckConfig.${k} = ${String(v)} is not allowed: integer >= 1`);
  };
  (["inputDim", "classes", "samples", "batchSize", "steps", "logEvery"] as const).forEach(posInt);
  if (!Array.isArray(c.hidden) || c.hidden.some((h) => !(Number.isInteger(h) && h >= 1))) {
    throw new Error(
      `NetworkCheckConfig.hidden = ${JSON.stringify(c.hidden)} is not allowed: an array of integers >= 1`,
    );
  }
  if (c.batchSize > c.samples) {
    throw new Error(`NetworkCheckConfig.batchSize = ${c.batchSize} is not allowed: at most samples = ${c.samples}`);
  }
  if (!Number.isInteger(c.seed)) throw new Error(`NetworkCheckConfig.seed = ${c.seed} is not allowed: an integer`);
}

/**
 * Trains the MLP for `steps` steps with `optimizer` and records the gradient statistics.
 * The optimizer receives gradients keyed by variable name (`applyGradients`). Everything the
 * function allocates is disposed before it returns (the optimizer is the caller's).
 */
export function measureNetworkGradients(
  optimizer: tf.Optimizer,
  config: Partial<NetworkCheckConfig> = {},
  onProgress?: (step: number, total: number, loss: number) => void,
): NetworkCheckResult {
  const cfg: NetworkCheckConfig = { ...NETWORK_CHECK_DEFAULTS, ...config };
  checkConfig(cfg);
  if (!(optimizer instanceof tf.Optimizer)) {
    throw new Error(`measureNetworkGradients optimizer = ${String(optimizer)} is not allowed: a tf.Optimizer`);
  }
  const widths = [cfg.inputDim, ...cfg.hidden, cfg.classes];
  // Data: x ~ N(0, I); labels from a random teacher argmax(relu(x A) B), fixed by the seed.
  const { X, y } = tf.tidy(() => {
    const X = tf.randomNormal([cfg.samples, cfg.inputDim], 0, 1, "float32", cfg.seed);
    const A = tf.randomNormal([cfg.inputDim, 32], 0, 1, "float32", cfg.seed + 1);
    const B = tf.randomNormal([32, cfg.classes], 0, 1, "float32", cfg.seed + 2);
    const y = tf.argMax(tf.matMul(tf.relu(tf.matMul(X, A)), B), 1);
    return { X, y: tf.oneHot(y, cfg.classes).toFloat() };
  });
  // He-normal weights, zero biases; seeds fixed so a rerun gives the same numbers.
  const vars: tf.Variable[] = [];
  for (let l = 0; l + 1 < widths.length; l++) {
    const scale = Math.sqrt(2 / widths[l]);
    vars.push(
      tf.tidy(() => tf.variable(tf.randomNormal([widths[l], widths[l + 1]], 0, scale, "float32", cfg.seed + 10 + l))),
    );
    vars.push(tf.tidy(() => tf.variable(tf.zeros([widths[l + 1]]))));
  }
  const numParams = vars.reduce((a, v) => a + v.size, 0);
  const forward = (xb: tf.Tensor2D): tf.Tensor2D => {
    let h: tf.Tensor2D = xb;
    for (let l = 0; l < vars.length; l += 2) {
      h = tf.add(tf.matMul(h, vars[l] as tf.Tensor2D), vars[l + 1]) as tf.Tensor2D;
      if (l + 2 < vars.length) h = tf.relu(h);
    }
    return h;
  };
  const stats = createGradientStats();
  const losses: { step: number; loss: number }[] = [];
  const rand = seededRandom(cfg.seed + 100);
  const order = Array.from({ length: cfg.samples }, (_, i) => i);
  let cursor = cfg.samples; // forces a shuffle on the first step
  try {
    for (let step = 1; step <= cfg.steps; step++) {
      if (cursor + cfg.batchSize > cfg.samples) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
        cursor = 0;
      }
      const idx = tf.tensor1d(order.slice(cursor, cursor + cfg.batchSize), "int32");
      cursor += cfg.batchSize;
      const { value, grads } = tf.variableGrads(
        () =>
          tf.tidy(() => {
            const xb = tf.gather(X, idx) as tf.Tensor2D;
            const yb = tf.gather(y, idx);
            return tf.losses.softmaxCrossEntropy(yb, forward(xb)) as tf.Scalar;
          }),
        vars,
      );
      stats.update(grads);
      optimizer.applyGradients(grads);
      if (step % cfg.logEvery === 0 || step === cfg.steps) {
        const loss = value.dataSync()[0];
        losses.push({ step, loss });
        if (onProgress) onProgress(step, cfg.steps, loss);
      }
      tf.dispose([idx, value, grads]);
    }
    const summary = stats.summary();
    const T = summary.T;
    const worst = numParams * summary.gInf * Math.sqrt(T);
    return {
      config: cfg,
      numParams,
      losses,
      stats: summary,
      worstCaseRatio: summary.coordinateNorms.sum / worst,
      verifiedRate: verifiedRateShape({ sumNorms: summary.coordinateNorms.sum, d: numParams, T }),
      verifiedRateWorstCase: verifiedRateShape({ sumNorms: worst, d: numParams, T }),
    };
  } finally {
    stats.dispose();
    tf.dispose([X, y, ...vars]);
  }
}
