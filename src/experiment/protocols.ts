/**
 * The experiment protocol that notebooks 01 (generalization gap), 02 (learning-rate dilemma)
 * and 07 (p sweep) share, per run mode. Sharing one definition makes equal configurations
 * produce equal run ids, so Padam (p = 1/8), Adam and the other baselines trained by 01 are
 * reused by 02 and 07 instead of being trained again.
 *
 * - smoke: seconds (CI);
 * - quick: the CPU-scale Fashion-MNIST CNN, 2,000 training and 1,000 test images, 5 epochs with
 *   lr ×0.1 entering epoch 4, so that two epochs show the behaviour after the decay;
 * - full: the paper's CIFAR-10 ResNet-18 protocol (200 epochs, ×0.1 at 100 and 150; §3.1).
 */
import type { ExperimentConfig } from "./config";
import { presetConfig } from "./presets";
import type { NotebookMode } from "../notebook/env";
import type { AnyOptimizerOptions, OptimizerName } from "../optim/registry";

export interface Protocol {
  preset: string;
  overrides: Partial<Omit<ExperimentConfig, "optimizer">>;
}

export const GAP_PROTOCOL: Readonly<Record<NotebookMode, Protocol>> = Object.freeze({
  smoke: { preset: "fmnist-cnn-smoke", overrides: { epochs: 2, trainLimit: 64, testLimit: 100 } },
  quick: {
    preset: "fmnist-cnn",
    overrides: { epochs: 5, trainLimit: 2000, testLimit: 1000, schedule: { milestones: [3], gamma: 0.1 } },
  },
  full: { preset: "cifar10-resnet18", overrides: {} },
});

/**
 * The config of `optimizer` under `protocol`, with the preset's per-optimizer settings and
 * `optimizerOptions` merged over them (e.g. `{ partial: 0.25 }` or `{ learningRate: 0.1 }`).
 */
export function protocolConfig(
  protocol: Protocol,
  optimizer: OptimizerName,
  optimizerOptions: AnyOptimizerOptions = {},
): ExperimentConfig {
  return presetConfig(protocol.preset, optimizer, { ...protocol.overrides, optimizerOptions });
}
