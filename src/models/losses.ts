/**
 * Loss for every model in `src/models/` (they all output logits).
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Mean softmax cross-entropy from logits:
 *   L = −(1/N) Σ_n log softmax(z_n)[y_n]
 * over all N positions (N = batch for classifiers, batch·seqLen for language models, so
 * exp(L) is the perplexity). `labels` holds class ids (any shape, int32 or float), or
 * one-hot rows when its shape equals the logits' shape. Computed with logSoftmax (stable)
 * and a one-hot product rather than a gather, whose gradient needs UnsortedSegmentSum (absent
 * from the wasm backend).
 */
export function softmaxCrossEntropyFromLogits(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const numClasses = logits.shape[logits.rank - 1];
    const z = tf.reshape(logits, [-1, numClasses]);
    const sameShape = labels.rank === logits.rank && labels.shape.every((d, i) => d === logits.shape[i]);
    const oneHot = sameShape
      ? tf.reshape(tf.cast(labels, "float32"), [-1, numClasses])
      : tf.oneHot(tf.cast(tf.reshape(labels, [-1]), "int32"), numClasses).toFloat();
    if (oneHot.shape[0] !== z.shape[0]) {
      throw new Error(
        `softmaxCrossEntropyFromLogits: labels shape [${labels.shape}] does not match logits shape [${logits.shape}]`,
      );
    }
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(z)), -1))) as tf.Scalar;
  });
}
