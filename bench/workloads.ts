/**
 * The training-throughput workloads, built from the project's own models (`src/models`) and
 * optimizers (`src/optim`); `bench/torch_reference.py` builds the same networks in PyTorch.
 * The first three are the networks the CPU-tier experiments train (presets `fmnist-cnn`,
 * `cifar10-resnet20`, `ptb-lstm-small`, at their batch sizes); ResNet-18 is the paper's.
 *
 * | workload        | network                                   | batch      | optimizer            | unit      |
 * |-----------------|-------------------------------------------|------------|----------------------|-----------|
 * | fmnist-cnn      | `fmnist-cnn` (conv32-pool-conv64-pool-128-10) | 64     | AMSGrad, lr 1e-3     | samples/s |
 * | cifar-resnet20  | CIFAR ResNet-20 (`resnet20`, option-A shortcuts) | 128 | SGD momentum 0.9, lr 0.1 | samples/s |
 * | ptb-lstm-small  | LSTM LM `ptb-lstm-small` (10000x200, 2xLSTM200, dense 10000) | 20x35 | SGD lr 1 | tokens/s |
 * | cifar-resnet18  | CIFAR ResNet-18 (`resnet18`, the paper's)  | 32         | SGD momentum 0.9, lr 0.1 | samples/s |
 * | optimizer-step  | one AMSGrad update of ResNet-18's trainable set (11.2M values), gradients given | – | AMSGrad | steps/s |
 *
 * Every training step is forward + softmax cross-entropy + backward + update on fixed random
 * inputs (as the reference does), and ends by reading the loss back, so the time includes all
 * work. The `optimizer-step` workload also times Adam, Padam (p = 1/8, with and without its
 * running max) and `tf.train.adam` on the same parameter set (rows `optimizer-step:adam`,
 * `:padam`, `:padam-no-max`, `:tf.train.adam`), in turns.
 */
import * as tf from "@tensorflow/tfjs";
import { buildModel, LSTM_PRESETS, softmaxCrossEntropyFromLogits } from "../src/models";
import { createOptimizer } from "../src/optim";
import { randInt, seededRandom } from "../src/util/random";

export const WORKLOAD_NAMES = [
  "fmnist-cnn",
  "cifar-resnet20",
  "ptb-lstm-small",
  "cifar-resnet18",
  "optimizer-step",
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** One prepared benchmark: call `step()` repeatedly, then `dispose()`. */
export interface Prepared {
  /** Result row name (the workload, or `workload:variant`). */
  name: string;
  unit: "samples/s" | "tokens/s" | "steps/s";
  /** Units of work per step (samples or tokens); 1 for steps/s. */
  perStep: number;
  step: () => void;
  dispose: () => void;
}

/** Sizes that tests (and `--memory --batch`) shrink; the defaults are the reference's. */
export interface WorkloadScale {
  fmnistBatch: number;
  resnet20Batch: number;
  resnetBatch: number;
  lstmBatch: number;
  lstmSteps: number;
  lstmVocab: number;
  /** Whose parameters `optimizer-step` updates (the reference: ResNet-18's 11.2M). */
  optimizerModel: "resnet18" | "fmnist-cnn";
}

export const REFERENCE_SCALE: Readonly<WorkloadScale> = Object.freeze({
  fmnistBatch: 64, // preset fmnist-cnn
  resnet20Batch: 128, // preset cifar10-resnet20
  resnetBatch: 32,
  lstmBatch: 20, // preset ptb-lstm-small: batch 20, bptt 35
  lstmSteps: 35,
  lstmVocab: 10000,
  optimizerModel: "resnet18",
});

function seededInts(n: number, max: number, seed: number): Int32Array {
  // Fixed inputs without touching tfjs's global random state.
  const rng = seededRandom(seed);
  return Int32Array.from({ length: n }, () => randInt(rng, max));
}

/** One timed training step of `model` on fixed inputs (x, y) with softmax cross-entropy. */
function trainingStep(
  name: WorkloadName,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  y: tf.Tensor,
  unit: Prepared["unit"],
  perStep: number,
): Prepared {
  return {
    name,
    unit,
    perStep,
    step: () => {
      const loss = optimizer.minimize(
        () => softmaxCrossEntropyFromLogits(y, model.apply(x, { training: true }) as tf.Tensor),
        true,
      );
      loss!.dataSync();
      loss!.dispose();
    },
    dispose: () => {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

function classifier(
  name: WorkloadName,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  inputShape: number[],
  batch: number,
  numClasses: number,
): Prepared {
  const x = tf.randomNormal([batch, ...inputShape], 0, 1, "float32", 1);
  const y = tf.tensor1d(seededInts(batch, numClasses, 2), "int32");
  return trainingStep(name, model, optimizer, x, y, "samples/s", batch);
}

/** Builds the result rows of one workload (one row, or three for optimizer-step). */
export function prepareWorkload(name: WorkloadName, scale: WorkloadScale = REFERENCE_SCALE): Prepared[] {
  switch (name) {
    case "fmnist-cnn":
      return [
        classifier(
          name,
          buildModel("fmnist-cnn", { seed: 0 }),
          createOptimizer("amsgrad", { learningRate: 1e-3 }),
          [28, 28, 1],
          scale.fmnistBatch,
          10,
        ),
      ];
    case "cifar-resnet20":
      return [
        classifier(
          name,
          buildModel("resnet20", { seed: 0 }),
          createOptimizer("sgd", { learningRate: 0.1, momentum: 0.9 }),
          [32, 32, 3],
          scale.resnet20Batch,
          10,
        ),
      ];
    case "cifar-resnet18":
      return [
        classifier(
          name,
          buildModel("resnet18", { seed: 0 }),
          createOptimizer("sgd", { learningRate: 0.1, momentum: 0.9 }),
          [32, 32, 3],
          scale.resnetBatch,
          10,
        ),
      ];
    case "ptb-lstm-small": {
      const { lstmBatch: b, lstmSteps: t, lstmVocab: v } = scale;
      // Stateless (no fixed batchSize): every batch starts from a zero state, as the reference.
      const model = buildModel("lstm-lm", {
        ...LSTM_PRESETS["ptb-lstm-small"],
        vocabSize: v,
        seqLen: t,
        batchSize: undefined,
        seed: 0,
      });
      const optimizer = createOptimizer("sgd", { learningRate: 1 });
      const x = tf.tensor2d(seededInts(b * t, v, 3), [b, t], "int32");
      const y = tf.tensor2d(seededInts(b * t, v, 4), [b, t], "int32");
      return [trainingStep(name, model, optimizer, x, y, "tokens/s", b * t)];
    }
    case "optimizer-step":
      return optimizerSteps(scale.optimizerModel);
  }
}

/**
 * One update over a model's trainable parameter set with fixed random gradients, for AMSGrad
 * (PyTorch's `Adam(amsgrad=True)`), Adam, Padam (p = 1/8, with its running max) and tfjs's
 * built-in Adam, each on the default (fastest) path. Each gets its own copy of the variables so
 * that their states do not interact.
 */
function optimizerSteps(modelName: "resnet18" | "fmnist-cnn"): Prepared[] {
  const model = buildModel(modelName, { seed: 0 });
  const shapes = model.trainableWeights.map((w) => w.shape as number[]);
  model.dispose();
  const make = (name: string, optimizer: tf.Optimizer): Prepared => {
    // tidy frees the initial values (tf.variable keeps its own copy); variables survive it.
    const vars = tf.tidy(() =>
      shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.1, "float32", i), true, `${name}/w${i}`)),
    );
    const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", 1000 + i));
    const named = vars.map((v, i) => ({ name: v.name, tensor: grads[i] }));
    return {
      name,
      unit: "steps/s",
      perStep: 1,
      step: () => {
        optimizer.applyGradients(named);
        // Wait for the update: read one value of the last variable.
        vars[vars.length - 1].dataSync();
      },
      dispose: () => {
        optimizer.dispose();
        tf.dispose([...vars, ...grads]);
      },
    };
  };
  return [
    make("optimizer-step", createOptimizer("amsgrad", { learningRate: 1e-3 })),
    make("optimizer-step:adam", createOptimizer("adam", { learningRate: 1e-3 })),
    make("optimizer-step:padam", createOptimizer("padam", { learningRate: 0.1, partial: 0.125 })),
    // Padam without its running max keeps Adam's state (m, v): the like-for-like comparison with Adam.
    make(
      "optimizer-step:padam-no-max",
      createOptimizer("padam", { learningRate: 0.1, partial: 0.125, amsgrad: false }),
    ),
    make("optimizer-step:tf.train.adam", tf.train.adam(1e-3, 0.9, 0.999, 1e-8)),
  ];
}
