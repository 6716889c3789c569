/**
 * LSTM word-level language models for Penn Treebank: embedding → dropout → L stacked LSTM
 * layers (dropout between them) → dropout → Linear decoder to vocabulary logits at every
 * time step. Input [batch, seqLen] int32 token ids; output [batch, seqLen, vocabSize] logits
 * (train with `softmaxCrossEntropyFromLogits`; perplexity = exp(mean loss)).
 *
 * The paper's LSTM settings are not given in the sources available here (`docs/paper-notes.md` §3.4:
 * unknown); the `ptb-lstm2`/`ptb-lstm3` presets follow the AdaBound/AdaBelief PTB protocol's
 * sizes (AWD-LSTM: Merity et al., arXiv:1708.02182) and are labelled as an assumption. Weight
 * drop and variational (locked) dropout of AWD-LSTM are not implemented: dropout here is
 * ordinary per-element dropout on the non-recurrent connections (Zaremba et al.,
 * arXiv:1409.2329).
 *
 * Structural difference from PyTorch: a PyTorch `nn.LSTM` layer has two bias vectors
 * (b_ih and b_hh, 4H each), a tfjs LSTM layer one (4H), so the tfjs model has 4H fewer
 * parameters per layer; the function is the same (b = b_ih + b_hh).
 */
import * as tf from "@tensorflow/tfjs";
import { BaseModelConfig, checkInt, checkKeys, checkRange, Init, Initializer, SeededDropout } from "./common";

/** Config of an LSTM language model. */
export interface LstmLmConfig extends BaseModelConfig {
  /** Vocabulary size V (10,000 for PTB). */
  vocabSize: number;
  /** Embedding width E. */
  embeddingSize: number;
  /** Hidden units H of every LSTM layer but the last; the last has E units when weights are tied. */
  hiddenSize: number;
  /** Number of stacked LSTM layers (2 or 3 in the paper). */
  numLayers: number;
  /** Dropout rate on embeddings, between layers and before the decoder. */
  dropout: number;
  /** Share the embedding matrix with the decoder (Press & Wolf, arXiv:1608.05859). Default false. */
  tieWeights?: boolean;
  /** Truncated-BPTT length: time steps per training sequence. */
  seqLen: number;
  /**
   * When set, the LSTMs are stateful with this fixed batch size: the hidden state carries
   * over from one batch to the next (truncated BPTT over a batchified stream); call
   * `model.resetStates()` at the start of each epoch/evaluation. When unset, every batch
   * starts from a zero state and any batch size works.
   */
  batchSize?: number;
}

/**
 * Named LSTM presets.
 * - `ptb-lstm2` / `ptb-lstm3`: the paper's PTB models (assumed sizes, see the module doc):
 *   E = 400, H = 1150, dropout 0.4, tied weights (so the last LSTM layer has 400 units),
 *   BPTT 70, batch 20.
 * - `ptb-lstm-small`: the CPU-scale model, identical to the `ptb-lstm2` workload of the
 *   throughput benchmark (`bench/workloads.ts`: embedding 10000x200, 2-layer
 *   LSTM(200), dense 10000; batch 20, 35 steps), i.e. Zaremba et al.'s small model
 *   without dropout.
 */
export const LSTM_PRESETS = {
  "ptb-lstm2": {
    vocabSize: 10000,
    embeddingSize: 400,
    hiddenSize: 1150,
    numLayers: 2,
    dropout: 0.4,
    tieWeights: true,
    seqLen: 70,
    batchSize: 20,
  },
  "ptb-lstm3": {
    vocabSize: 10000,
    embeddingSize: 400,
    hiddenSize: 1150,
    numLayers: 3,
    dropout: 0.4,
    tieWeights: true,
    seqLen: 70,
    batchSize: 20,
  },
  "ptb-lstm-small": {
    vocabSize: 10000,
    embeddingSize: 200,
    hiddenSize: 200,
    numLayers: 2,
    dropout: 0,
    tieWeights: false,
    seqLen: 35,
    batchSize: 20,
  },
} satisfies Record<string, LstmLmConfig>;

export type LstmPresetName = keyof typeof LSTM_PRESETS;

/**
 * An embedding matrix W [V, E] used twice: called on int ids [B, T] it looks rows up
 * (→ [B, T, E]); called on features [B, T, E] it returns logits x·Wᵀ + b (→ [B, T, V]).
 * Sharing one layer keeps the tie through save/load of the topology. Trainable weights:
 * W and the decoder bias b [V] (what PyTorch counts for a tied model).
 */
export class TiedEmbedding extends tf.layers.Layer {
  static className = "PadamTiedEmbedding";
  readonly vocabSize: number;
  readonly embeddingSize: number;
  readonly embeddingsInitializer: Initializer;
  private embeddings: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  constructor(args: { vocabSize: number; embeddingSize: number; embeddingsInitializer?: Initializer; name?: string }) {
    super({ name: args.name });
    this.vocabSize = args.vocabSize;
    this.embeddingSize = args.embeddingSize;
    this.embeddingsInitializer =
      args.embeddingsInitializer ?? tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1 });
  }
  override build(): void {
    this.embeddings = this.addWeight(
      "embeddings",
      [this.vocabSize, this.embeddingSize],
      "float32",
      this.embeddingsInitializer,
    );
    this.bias = this.addWeight("bias", [this.vocabSize], "float32", tf.initializers.zeros());
    this.built = true;
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return s.length === 2 ? [s[0], s[1], this.embeddingSize] : [...s.slice(0, -1), this.vocabSize];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const w = this.embeddings!.read();
      if (x.rank === 2) return tf.gather(w, tf.cast(x, "int32"));
      const flat = tf.reshape(x, [-1, this.embeddingSize]);
      const logits = tf.add(tf.matMul(flat, w, false, true), this.bias!.read());
      return tf.reshape(logits, [...x.shape.slice(0, -1), this.vocabSize]);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), vocabSize: this.vocabSize, embeddingSize: this.embeddingSize };
  }
}
tf.serialization.registerClass(TiedEmbedding);

const LSTM_KEYS = [
  "vocabSize",
  "embeddingSize",
  "hiddenSize",
  "numLayers",
  "dropout",
  "tieWeights",
  "seqLen",
  "batchSize",
  "seed",
] as const;

/** Validates a complete LSTM config; throws naming the field, value and allowed range. */
export function validateLstmLmConfig(config: LstmLmConfig): void {
  checkKeys("lstm-lm", config, LSTM_KEYS);
  checkInt("vocabSize", config.vocabSize, 2, 10_000_000);
  checkInt("embeddingSize", config.embeddingSize, 1, 100_000);
  checkInt("hiddenSize", config.hiddenSize, 1, 100_000);
  checkInt("numLayers", config.numLayers, 1, 8);
  checkRange("dropout", config.dropout, 0, 1);
  checkInt("seqLen", config.seqLen, 1, 100_000);
  if (config.batchSize !== undefined) checkInt("batchSize", config.batchSize, 1, 1_000_000);
  if (config.tieWeights !== undefined && typeof config.tieWeights !== "boolean") {
    throw new Error(`tieWeights must be a boolean, got ${String(config.tieWeights)}`);
  }
}

/** Units of each LSTM layer: H for all but the last, which has E units when tied (AWD-LSTM). */
export function lstmLayerSizes(config: LstmLmConfig): number[] {
  return Array.from({ length: config.numLayers }, (_, i) =>
    i === config.numLayers - 1 && config.tieWeights ? config.embeddingSize : config.hiddenSize,
  );
}

/**
 * Builds the LSTM language model.
 * Initialisation: embedding and untied decoder weights U(−0.1, 0.1), decoder bias 0 (the
 * PyTorch word-language-model example); LSTM kernels, recurrent kernels and biases
 * U(−1/sqrt(H), 1/sqrt(H)) (PyTorch's `nn.LSTM` default). Gate activation sigmoid (tfjs's
 * default would be hard-sigmoid), cell activation tanh, no forget-bias offset.
 * Parameters of PyTorch's equivalent: V·E + Σ_l [4H_l(in_l + H_l) + 8H_l] + (tied ? V :
 * H_L·V + V); tfjs has 4H_l fewer per layer (see the module doc).
 */
export function lstmLm(config: LstmLmConfig): tf.LayersModel {
  validateLstmLmConfig(config);
  const init = new Init(config.seed ?? 0);
  const tied = config.tieWeights ?? false;
  const input =
    config.batchSize !== undefined
      ? tf.input({ batchShape: [config.batchSize, config.seqLen], dtype: "int32", name: "tokens" })
      : tf.input({ shape: [config.seqLen], dtype: "int32", name: "tokens" });
  const embed = tied
    ? new TiedEmbedding({
        vocabSize: config.vocabSize,
        embeddingSize: config.embeddingSize,
        embeddingsInitializer: init.uniform(0.1),
        name: "embedding",
      })
    : tf.layers.embedding({
        inputDim: config.vocabSize,
        outputDim: config.embeddingSize,
        embeddingsInitializer: init.uniform(0.1),
        name: "embedding",
      });
  let x = embed.apply(input) as tf.SymbolicTensor;
  const dropout = (i: number) =>
    new SeededDropout({ rate: config.dropout, seed: init.seeds.next(), name: `dropout${i}` });
  x = dropout(0).apply(x) as tf.SymbolicTensor;
  lstmLayerSizes(config).forEach((units, i) => {
    const limit = 1 / Math.sqrt(units);
    x = tf.layers
      .lstm({
        units,
        returnSequences: true,
        stateful: config.batchSize !== undefined,
        recurrentActivation: "sigmoid",
        activation: "tanh",
        unitForgetBias: false,
        kernelInitializer: init.uniform(limit),
        recurrentInitializer: init.uniform(limit),
        biasInitializer: init.uniform(limit),
        name: `lstm${i + 1}`,
      })
      .apply(x) as tf.SymbolicTensor;
    x = dropout(i + 1).apply(x) as tf.SymbolicTensor;
  });
  const logits = tied
    ? (embed.apply(x) as tf.SymbolicTensor)
    : (tf.layers
        .dense({
          units: config.vocabSize,
          kernelInitializer: init.uniform(0.1),
          biasInitializer: "zeros",
          name: "decoder",
        })
        .apply(x) as tf.SymbolicTensor);
  return tf.model({ inputs: input, outputs: logits, name: "lstm_lm" });
}
