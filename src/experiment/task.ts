/**
 * What the runner needs from a data set, independent of how it is stored: seeded epochs of
 * training batches and fixed evaluation batches. `data.ts` builds these from `src/datasets`.
 */
import type * as tf from "@tensorflow/tfjs";

export interface Batch {
  /** Images NHWC float32 (normalized), or token ids [batch, seqLen] int32. */
  x: tf.Tensor;
  /** Class ids [batch] or next-token ids [batch, seqLen], int32. */
  y: tf.Tensor;
}

export interface TaskData {
  kind: "image" | "language";
  /** Classes (image) or vocabulary size (language). */
  numClasses: number;
  /** Human-readable description for logs and config records. */
  describe: string;
  /** Number of training batches in one epoch. */
  trainBatchCount(batchSize: number): number;
  /**
   * The training batches of one epoch. Order and augmentation depend only on (seed, epoch,
   * pass), so a resumed run sees exactly the batches an uninterrupted one would.
   */
  trainBatches(epoch: number, batchSize: number, seed: number, pass: number): Batches;
  /** Evaluation batches of a held-out split ("test", or "valid" and "test" for language). */
  evalBatches(split: "test" | "valid", batchSize: number): Batches;
  /** Splits evaluated every epoch. */
  evalSplits: ("test" | "valid")[];
  /**
   * Set when the images are streamed from disk instead of held in memory (image folders): the
   * bound on the bytes each split's stream holds, and the most any of them has held so far.
   */
  streamed?: { maxBytes: number; peakBytes(): number };
}

/** Batches held in memory come synchronously; streamed ones arrive as their files are read. */
export type Batches = Iterable<Batch> | AsyncIterable<Batch>;
