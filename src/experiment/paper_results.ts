/**
 * The paper's reported numbers (Chen et al., IJCAI 2020 / arXiv:1806.06763 v4, as transcribed in
 * docs/paper-notes.md §7.1), for side-by-side tables in the notebooks. Accuracies in percent,
 * perplexities lower-is-better.
 */
import type { OptimizerName } from "../optim/registry";

export const PAPER_SOURCE = "Chen et al., IJCAI 2020 / arXiv:1806.06763 v4 (as reported)";

/** Column order of the paper's tables. */
export const PAPER_TABLE_OPTIMIZERS: OptimizerName[] = ["sgd", "adam", "amsgrad", "adamw", "yogi", "adabound", "padam"];

type Row = Partial<Record<OptimizerName, number>>;

/** CIFAR-10 test accuracy (%) after 200 epochs. */
export const PAPER_CIFAR10_ACCURACY: Record<"vgg16" | "resnet18" | "wrn16-4", Row> = {
  vgg16: { sgd: 93.71, adam: 92.21, amsgrad: 92.54, adamw: 93.54, yogi: 92.94, adabound: 93.28, padam: 93.78 },
  resnet18: { sgd: 95.0, adam: 92.89, amsgrad: 93.53, adamw: 94.56, yogi: 93.92, adabound: 94.16, padam: 94.94 },
  "wrn16-4": { sgd: 95.26, adam: 92.27, amsgrad: 92.91, adamw: 95.08, yogi: 94.23, adabound: 93.85, padam: 95.34 },
};

/** ImageNet top-1 / top-5 accuracy (%) after 100 epochs. */
export const PAPER_IMAGENET_ACCURACY: Record<"imagenet-resnet18" | "imagenet-vgg16", { top1: Row; top5: Row }> = {
  "imagenet-resnet18": {
    top1: { sgd: 70.23, adam: 63.79, amsgrad: 67.69, adamw: 67.93, yogi: 68.23, adabound: 68.13, padam: 70.07 },
    top5: { sgd: 89.4, adam: 85.61, amsgrad: 88.15, adamw: 88.47, yogi: 88.59, adabound: 88.55, padam: 89.47 },
  },
  "imagenet-vgg16": {
    top1: { sgd: 73.93, adam: 69.52, amsgrad: 69.61, adamw: 69.89, yogi: 71.56, adabound: 70.0, padam: 74.04 },
    top5: { sgd: 91.82, adam: 89.12, amsgrad: 89.19, adamw: 89.35, yogi: 90.25, adabound: 89.27, padam: 91.93 },
  },
};

/** Penn Treebank test perplexity. */
export const PAPER_PTB_PERPLEXITY: Record<"ptb-lstm2" | "ptb-lstm3", Row> = {
  "ptb-lstm2": { sgd: 63.37, adam: 61.58, amsgrad: 62.56, adamw: 63.93, yogi: 64.13, adabound: 63.14, padam: 61.53 },
  "ptb-lstm3": { sgd: 61.22, adam: 60.44, amsgrad: 61.92, adamw: 63.24, yogi: 60.01, adabound: 60.89, padam: 58.48 },
};
