/**
 * Learning-rate schedules that work for every optimizer of the library (they call
 * `setLearningRate`; AdaBound's bounds follow because they scale with lr / lr₀).
 */
import * as tf from "@tensorflow/tfjs";
import type { RuleOptimizer } from "./rule_optimizer";

/**
 * Step decay as PyTorch's MultiStepLR: lr(e) = lr₀ · γ^(number of milestones ≤ e), for the
 * 0-based epoch e. The official CIFAR scripts use milestones [100, 150], γ = 0.1 over 200 epochs
 * (decay entering epochs 100 and 150).
 */
export interface StepDecay {
  milestones: readonly number[];
  gamma: number;
}

export function validateStepDecay(schedule: StepDecay, what = "schedule"): void {
  const { milestones, gamma } = schedule;
  if (!Array.isArray(milestones) || milestones.some((m) => !Number.isInteger(m) || m < 1)) {
    throw new Error(`${what}: milestones = ${JSON.stringify(milestones)} is invalid; allowed: integers >= 1 (epochs)`);
  }
  for (let i = 1; i < milestones.length; i++) {
    if (milestones[i] <= milestones[i - 1]) {
      throw new Error(`${what}: milestones = ${JSON.stringify(milestones)} must be strictly increasing`);
    }
  }
  if (typeof gamma !== "number" || !(gamma > 0 && gamma <= 1)) {
    throw new Error(`${what}: gamma = ${gamma} is out of range; allowed: 0 < gamma <= 1`);
  }
}

/** Learning rate at 0-based epoch `epoch` under step decay from `baseLr`. */
export function stepDecayLr(baseLr: number, schedule: StepDecay, epoch: number): number {
  let lr = baseLr;
  for (const m of schedule.milestones) if (epoch >= m) lr *= schedule.gamma;
  return lr;
}

/** Sets the optimizer's learning rate for `epoch` from its initial rate; returns the rate. */
export function applyStepDecay(optimizer: RuleOptimizer, schedule: StepDecay, epoch: number): number {
  const lr = stepDecayLr(optimizer.hyperparameters.learningRate, schedule, epoch);
  optimizer.setLearningRate(lr);
  return lr;
}

/** A `model.fit` callback that applies a step-decay schedule at the start of every epoch. */
export function stepDecayCallback(optimizer: RuleOptimizer, schedule: StepDecay): tf.CustomCallback {
  validateStepDecay(schedule);
  return new tf.CustomCallback({
    onEpochBegin: async (epoch: number) => {
      applyStepDecay(optimizer, schedule, epoch);
    },
  });
}
