/**
 * Shared pieces of the adaptive update rules, written once (the reference implementations all
 * compute them the same way).
 */
import type { Ops } from "./ops";
import type { StepContext, UpdateRule } from "./rule_optimizer";

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
 * The coefficients of one step of the adaptive family (Adam, AMSGrad, AdamW, Padam), computed
 * once on the host by each rule's `coefficients()` and used by every path: the op-by-op rule
 * (`adaptiveStep`), the fused JS kernel (`fused.ts`), the compiled SIMD pass
 * (`backend/compiled.ts`) and the effective-step analysis (`appliedStep`). Per element:
 *
 *     g' = g + l2·x ;  x' = shrink·x
 *     m  = β1·m + (1 − β1)·g' ;  v = β2·v + (1 − β2)·g'²
 *     v̂  = max(v̂, v) if amsgrad, else v
 *     x  = x' − step · m / (sqrt(v̂) + epsilon)^exponent      (exponent 0: x' − step·m)
 *
 * Adam/AMSGrad: exponent 1, step = lr·sqrt(bc2)/bc1, epsilon = ε·sqrt(bc2) (torch's
 * lr/bc1 · m/(sqrt(v̂)/sqrt(bc2) + ε), with the bias correction moved to host scalars).
 * AdamW: the same with l2 = 0 and shrink = 1 − lr·λ. Padam: exponent 2p, epsilon = ε,
 * step = lr·sqrt(bc2)/bc1 ("official") or lr·bc2^p/bc1 ("consistent").
 */
export interface AdaptiveCoefficients {
  l2: number;
  shrink: number;
  beta1: number;
  beta2: number;
  amsgrad: boolean;
  epsilon: number;
  /** Power of the denominator; 0 means no denominator. */
  exponent: number;
  step: number;
}

/** One op-by-op step with coefficients `c` (see `AdaptiveCoefficients`); returns x and the slots. */
export function adaptiveStep<T>(
  ops: Ops<T>,
  x: T,
  grad: T,
  s: { m: T; v: T; vMax?: T },
  c: AdaptiveCoefficients,
): { x: T; slots: { m: T; v: T; vMax: T } } {
  const { m, vHat, slots } = adaptiveMoments(
    ops,
    x,
    grad,
    s,
    { beta1: c.beta1, beta2: c.beta2, weightDecay: c.l2 },
    c.amsgrad,
  );
  const shrunk = c.shrink === 1 ? x : ops.scale(x, c.shrink);
  let direction = m;
  // (sqrt(v̂)+ε)^0 = 1 exactly, so exponent 0 needs no denominator; exponent 1 needs no power.
  if (c.exponent !== 0) {
    const base = ops.addScalar(ops.sqrt(vHat), c.epsilon);
    direction = ops.div(m, c.exponent === 1 ? base : ops.pow(base, c.exponent));
  }
  return { x: ops.sub(shrunk, ops.scale(direction, c.step)), slots };
}

/** The factor a step applies to m at one coordinate: step / (sqrt(v̂) + epsilon)^exponent. */
export function appliedStep(c: Pick<AdaptiveCoefficients, "step" | "epsilon" | "exponent">, vHat: number): number {
  return c.exponent === 0 ? c.step : c.step / Math.pow(Math.sqrt(vHat) + c.epsilon, c.exponent);
}

/**
 * torch's Adam denominator lr/bc1 · m / (sqrt(v̂)/sqrt(bc2) + ε) as the same value
 * lr·sqrt(bc2)/bc1 · m / (sqrt(v̂) + ε·sqrt(bc2)): one full-size operation fewer (the bias
 * correction moves from the tensor to two host scalars). Returns that step and epsilon.
 */
export function adamScalars(epsilon: number, lr: number, bc1: number, bc2: number): { step: number; epsilon: number } {
  const root = Math.sqrt(bc2);
  return { step: (lr * root) / bc1, epsilon: epsilon * root };
}

/** The Adam update x − step · m / (sqrt(v̂) + epsilon) with `adamScalars` (Yogi's last line). */
export function adamUpdate<T>(
  ops: Ops<T>,
  x: T,
  m: T,
  vHat: T,
  epsilon: number,
  lr: number,
  bc1: number,
  bc2: number,
): T {
  const s = adamScalars(epsilon, lr, bc1, bc2);
  return ops.sub(x, ops.scale(ops.div(m, ops.addScalar(ops.sqrt(vHat), s.epsilon)), s.step));
}

/** Slots of the adaptive family: m, v, and v̂ (the running max of v) when amsgrad is on. */
export type AdaptiveSlot = "m" | "v" | "vMax";

/**
 * The update rule of an adaptive-family optimizer (Adam, AMSGrad, AdamW, Padam), given its
 * coefficients: slots m, v (and v̂ with the running max), all starting at 0, and one
 * {@link adaptiveStep} with `coefficients(hp, ctx)` per step. The fused and compiled kernels read
 * the same `coefficients`.
 */
export function adaptiveRule<H extends { amsgrad: boolean }>(
  coefficients: (hp: H, ctx: StepContext) => AdaptiveCoefficients,
): UpdateRule<H, AdaptiveSlot> {
  return {
    slots: (hp) => (hp.amsgrad ? ["m", "v", "vMax"] : ["m", "v"]),
    initialValue: () => 0,
    coefficients,
    step: (ops, x, grad, s, hp, ctx) => adaptiveStep(ops, x, grad, s, coefficients(hp, ctx)),
  };
}
