/**
 * Shared pieces of the adaptive update rules, written once (the reference implementations all
 * compute them the same way).
 */
import type { Ops } from "./ops";

/** Coupled L2 weight decay: g + λ·x (torch.optim, official Padam, AdaBound, Yogi). Skipped when λ = 0. */
export function withL2<T>(ops: Ops<T>, g: T, x: T, weightDecay: number): T {
  return weightDecay === 0 ? g : ops.add(g, ops.scale(x, weightDecay));
}

/** Exponential moving average: β·m + (1 − β)·g. */
export function ema<T>(ops: Ops<T>, m: T, g: T, beta: number): T {
  return ops.add(ops.scale(m, beta), ops.scale(g, 1 - beta));
}

/** Exponential moving average of the squared gradient: β·v + (1 − β)·g². */
export function emaSquare<T>(ops: Ops<T>, v: T, g: T, beta: number): T {
  return ops.add(ops.scale(v, beta), ops.scale(ops.square(g), 1 - beta));
}

/**
 * Bias corrections bc1 = 1 − β1^t and bc2 = 1 − β2^t for step t ≥ 1, computed on the host in
 * float64 so that they are exact to double precision whatever the backend's dtype.
 */
export function biasCorrections(t: number, beta1: number, beta2: number): { bc1: number; bc2: number } {
  return { bc1: 1 - Math.pow(beta1, t), bc2: 1 - Math.pow(beta2, t) };
}

/**
 * The moment updates shared by Padam, Adam/AMSGrad and AdaBound/AMSBound:
 *
 *     g = ∇f(x) + λ·x ;  m = β1·m + (1 − β1)·g ;  v = β2·v + (1 − β2)·g²
 *     v̂ = max(v̂, v) on the raw v when `keepMax`, else v
 *
 * Returns the new slots (m, v and, with `keepMax`, vMax) and v̂.
 */
export function adaptiveMoments<T>(
  ops: Ops<T>,
  x: T,
  grad: T,
  s: { m: T; v: T; vMax?: T },
  hp: { beta1: number; beta2: number; weightDecay: number },
  keepMax: boolean,
): { m: T; vHat: T; slots: { m: T; v: T; vMax: T } } {
  const g = withL2(ops, grad, x, hp.weightDecay);
  const m = ema(ops, s.m, g, hp.beta1);
  const v = emaSquare(ops, s.v, g, hp.beta2);
  const slots = { m, v } as { m: T; v: T; vMax: T };
  let vHat = v;
  if (keepMax) vHat = slots.vMax = ops.maximum(s.vMax as T, v);
  return { m, vHat, slots };
}

/**
 * The torch-style Adam update x − lr/bc1 · m / (sqrt(v̂)/sqrt(bc2) + ε), written as
 * x − lr·sqrt(bc2)/bc1 · m / (sqrt(v̂) + ε·sqrt(bc2)): the same value with one full-size
 * operation fewer (the bias correction moves from the tensor to two host scalars).
 */
export function adamUpdate<T>(ops: Ops<T>, x: T, m: T, vHat: T, epsilon: number, lr: number, bc1: number, bc2: number): T {
  const root = Math.sqrt(bc2);
  const denom = ops.addScalar(ops.sqrt(vHat), epsilon * root);
  return ops.sub(x, ops.scale(ops.div(m, denom), (lr * root) / bc1));
}
