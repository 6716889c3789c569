/**
 * Penn Treebank word-level language modelling (Mikolov's preprocessed splits: 10k vocabulary,
 * rare words already `<unk>`, numbers `N`).
 *
 * Tokenisation as the PyTorch word-language-model example: every line's whitespace-separated
 * words followed by `<eos>`; ids in order of first appearance in train, then valid, then test.
 */
import * as tf from "@tensorflow/tfjs";
import * as path from "node:path";
import { DataDirOptions, locateDataset, notFoundError, readVerified } from "./manifest";

export const EOS = "<eos>";

/** Vocabulary: id → word and word → id. */
export interface Vocab {
  words: string[];
  index: Map<string, number>;
}

/** Tokenised corpus. */
export interface PtbCorpus {
  vocab: Vocab;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

/** Splits text into words with `<eos>` after every line (a final newline does not start a new line). */
export function tokenize(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const out: string[] = [];
  for (const line of lines) {
    for (const w of line.split(/\s+/)) if (w !== "") out.push(w);
    out.push(EOS);
  }
  return out;
}

/** Adds unseen words of `tokens` to `vocab` (in order of first appearance). */
export function extendVocab(vocab: Vocab, tokens: string[]): void {
  for (const t of tokens) {
    if (!vocab.index.has(t)) {
      vocab.index.set(t, vocab.words.length);
      vocab.words.push(t);
    }
  }
}

/** Maps tokens to ids; throws naming the first word missing from the vocabulary. */
export function encode(tokens: string[], vocab: Vocab, what = "text"): Int32Array {
  const ids = new Int32Array(tokens.length);
  tokens.forEach((t, i) => {
    const id = vocab.index.get(t);
    if (id === undefined) throw new Error(`${what}: word "${t}" (token ${i}) is not in the vocabulary`);
    ids[i] = id;
  });
  return ids;
}

/** Builds the vocabulary over train, valid and test (in that order) and encodes each. Pure. */
export function parsePtb(texts: { train: string; valid: string; test: string }): PtbCorpus {
  const vocab: Vocab = { words: [], index: new Map() };
  const tokens = { train: tokenize(texts.train), valid: tokenize(texts.valid), test: tokenize(texts.test) };
  extendVocab(vocab, tokens.train);
  extendVocab(vocab, tokens.valid);
  extendVocab(vocab, tokens.test);
  return {
    vocab,
    train: encode(tokens.train, vocab),
    valid: encode(tokens.valid, vocab),
    test: encode(tokens.test, vocab),
  };
}

/** Loads PTB from a data root (`ptb/ptb.{train,valid,test}.txt`), verifying sizes and md5s. */
export async function loadPtb(opts: DataDirOptions = {}): Promise<PtbCorpus & { source: string }> {
  const folder = locateDataset("ptb", opts);
  if (folder === undefined) throw notFoundError("ptb", opts);
  const read = (f: string) => Buffer.from(readVerified("ptb", folder, f)).toString("utf8");
  const corpus = parsePtb({ train: read("ptb.train.txt"), valid: read("ptb.valid.txt"), test: read("ptb.test.txt") });
  return { ...corpus, source: path.resolve(folder) };
}

/**
 * A token stream cut into `batchSize` contiguous rows (the remainder dropped): row b holds
 * tokens [b·steps, (b+1)·steps). Stored row-major [batchSize, steps]; each row is read left to
 * right across consecutive BPTT windows, which is what a stateful LSTM expects.
 */
export interface Batchified {
  data: Int32Array;
  batchSize: number;
  steps: number;
}

export function batchify(ids: Int32Array, batchSize: number): Batchified {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${String(batchSize)}`);
  const steps = Math.floor(ids.length / batchSize);
  if (steps < 2)
    throw new Error(
      `batchify: ${ids.length} tokens give ${steps} steps per row at batchSize ${batchSize}; need at least 2`,
    );
  return { data: ids.slice(0, steps * batchSize), batchSize, steps };
}

/** Number of BPTT windows of a batchified stream. */
export function numBpttBatches(b: Batchified, seqLen: number, dropLast = true): number {
  const usable = b.steps - 1; // the last token of a row has no target
  return dropLast ? Math.floor(usable / seqLen) : Math.ceil(usable / seqLen);
}

/**
 * Truncated-BPTT windows: x = rows[:, i : i+len], y = rows[:, i+1 : i+1+len] for
 * i = 0, seqLen, 2·seqLen, …, as int32 tensors [batchSize, len] (the caller disposes them).
 * With `dropLast` (default, needed for a fixed-shape stateful model) only full windows.
 */
export function* bpttBatches(
  b: Batchified,
  seqLen: number,
  opts: { dropLast?: boolean } = {},
): Generator<{ x: tf.Tensor2D; y: tf.Tensor2D }> {
  if (!Number.isInteger(seqLen) || seqLen < 1)
    throw new Error(`seqLen must be a positive integer, got ${String(seqLen)}`);
  const dropLast = opts.dropLast ?? true;
  for (let i = 0; i + 1 < b.steps; i += seqLen) {
    const len = Math.min(seqLen, b.steps - 1 - i);
    if (len < seqLen && dropLast) return;
    const x = new Int32Array(b.batchSize * len);
    const y = new Int32Array(b.batchSize * len);
    for (let r = 0; r < b.batchSize; r++) {
      x.set(b.data.subarray(r * b.steps + i, r * b.steps + i + len), r * len);
      y.set(b.data.subarray(r * b.steps + i + 1, r * b.steps + i + 1 + len), r * len);
    }
    yield { x: tf.tensor2d(x, [b.batchSize, len], "int32"), y: tf.tensor2d(y, [b.batchSize, len], "int32") };
  }
}
