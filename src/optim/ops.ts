/**
 * Element-wise arithmetic that every update rule is written against.
 *
 * Each optimizer's rule is written once, generically over `Ops<T>`, and runs in two places:
 * - `tensorOps` (TensorFlow.js tensors, float32, on the active backend) inside the
 *   `tf.Optimizer` subclasses used for training;
 * - `float64Ops` (plain `Float64Array`s) in `reference.ts`, the readable float64 oracle that
 *   the tests compare against the golden trajectories of the reference implementations.
 * Keeping one rule for both means the float64 check verifies the very formula the trainer runs.
 */
import * as tf from "@tensorflow/tfjs";

export interface Ops<T> {
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  /** a * s for a host scalar s. */
  scale(a: T, s: number): T;
  /** a + s for a host scalar s. */
  addScalar(a: T, s: number): T;
  square(a: T): T;
  sqrt(a: T): T;
  /** a ** e for a host scalar exponent; callers guarantee a > 0 when e is fractional. */
  pow(a: T, e: number): T;
  maximum(a: T, b: T): T;
  /** sign(a) with sign(0) = 0, as torch.sign. */
  sign(a: T): T;
  /** min(max(a, lo), hi), as torch.clamp. */
  clip(a: T, lo: number, hi: number): T;
  /** A tensor shaped like `like`, filled with `value`. */
  fill(like: T, value: number): T;
}

export const tensorOps: Ops<tf.Tensor> = {
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  scale: (a, s) => tf.mul(a, tf.scalar(s, a.dtype)),
  addScalar: (a, s) => tf.add(a, tf.scalar(s, a.dtype)),
  square: (a) => tf.square(a),
  sqrt: (a) => tf.sqrt(a),
  // Exponents 1/2^k (Padam's 2p for p = 1/4, 1/8, 1/16) as nested square roots: a general Pow
  // kernel costs several times a Sqrt.
  pow: (a, e) => {
    for (let k = 1, r = 0.5; k <= 4; k++, r /= 2) {
      if (e === r) {
        let out = tf.sqrt(a);
        for (let j = 1; j < k; j++) out = tf.sqrt(out);
        return out;
      }
    }
    return tf.pow(a, tf.scalar(e, a.dtype));
  },
  // a + relu(b − a): three fast kernels; wasm's Maximum is ~10x slower per element than Add
  // (measured on 11.2M values). Equal to max(a, b) up to one rounding of b − a.
  maximum: (a, b) => tf.add(a, tf.relu(tf.sub(b, a))),
  sign: (a) => tf.sign(a),
  clip: (a, lo, hi) => tf.clipByValue(a, lo, hi),
  fill: (like, value) => tf.fill(like.shape, value, like.dtype),
};

function map1(a: Float64Array, f: (x: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i]);
  return out;
}

function map2(a: Float64Array, b: Float64Array, f: (x: number, y: number) => number): Float64Array {
  if (a.length !== b.length) throw new Error(`float64Ops: length mismatch ${a.length} vs ${b.length}`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], b[i]);
  return out;
}

export const float64Ops: Ops<Float64Array> = {
  add: (a, b) => map2(a, b, (x, y) => x + y),
  sub: (a, b) => map2(a, b, (x, y) => x - y),
  mul: (a, b) => map2(a, b, (x, y) => x * y),
  div: (a, b) => map2(a, b, (x, y) => x / y),
  scale: (a, s) => map1(a, (x) => x * s),
  addScalar: (a, s) => map1(a, (x) => x + s),
  square: (a) => map1(a, (x) => x * x),
  sqrt: (a) => map1(a, Math.sqrt),
  pow: (a, e) => map1(a, (x) => Math.pow(x, e)),
  maximum: (a, b) => map2(a, b, Math.max),
  sign: (a) => map1(a, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)),
  clip: (a, lo, hi) => map1(a, (x) => Math.min(Math.max(x, lo), hi)),
  fill: (like, value) => new Float64Array(like.length).fill(value),
};
