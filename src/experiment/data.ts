/**
 * Builds the runner's `TaskData` from `src/datasets`: loads the splits a config names (with
 * its limits) or, for image folders, opens them for streaming, and yields seeded, augmented,
 * normalized batches.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  batchify,
  bpttBatches,
  heldOutMask,
  holdOut,
  CIFAR10_MEAN,
  CIFAR10_STD,
  dataRoots,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  IMAGENET_MEAN,
  IMAGENET_STD,
  imageBatches,
  loadCifar10,
  loadFashionMnist,
  openImageFolder,
  positionsOf,
  loadPtb,
  mixSeed,
  numBatches,
  numBpttBatches,
  randomCropFlip,
  randomResizedCrop,
  resizeCenterCrop,
  type BatchOptions,
  type ImageFolderStream,
  type ImageSet,
  type ImageTransform,
} from "../datasets/index";
import { evaluatesAfter, type ExperimentConfig } from "./config";
import type { Batch, Batches, TaskData } from "./task";

/** The held-out splits a run of `config` evaluates, in the order its metrics list them. */
export function evalSplitsFor(config: ExperimentConfig): ("test" | "valid")[] {
  return config.dataset === "ptb" || config.validLimit ? ["valid", "test"] : ["test"];
}

/** The splits evaluated after 0-based `epoch`: all of {@link evalSplitsFor} where {@link evaluatesAfter} says so, else none. */
export function evalSplitsAfter(config: ExperimentConfig, epoch: number): ("test" | "valid")[] {
  return evaluatesAfter(config, epoch) ? evalSplitsFor(config) : [];
}

function limitOf(v: number | undefined): number | undefined {
  return v === undefined || v === 0 ? undefined : v;
}

/**
 * Where an image task's examples come from: a set held in memory, or an image folder streamed
 * from disk. Both give the same batches for the same options (order, augmentation, normalisation).
 */
interface ImageSource {
  count: number;
  classNames: string[];
  batches(opts: BatchOptions): Batches;
  /** The training part and the validation part held out of it ({@link heldOutMask}). */
  holdOut(count: number): { train: ImageSource; held: ImageSource };
}

function memorySource(set: ImageSet): ImageSource {
  return {
    count: set.count,
    classNames: set.classNames,
    batches: (opts) =>
      (function* (): Generator<Batch> {
        for (const { x, y } of imageBatches(set, opts)) yield { x, y };
      })(),
    holdOut: (count) => {
      const { train, held } = holdOut(set, count);
      return { train: memorySource(train), held: memorySource(held) };
    },
  };
}

/** A streamed source; `opened` collects every stream made (hold-out parts too), for their memory statistics. */
function streamSource(stream: ImageFolderStream, opened: ImageFolderStream[]): ImageSource {
  opened.push(stream);
  return {
    count: stream.count,
    classNames: stream.classNames,
    batches: (opts) =>
      (async function* (): AsyncGenerator<Batch> {
        for await (const b of stream.batches(opts)) {
          yield { x: tf.tensor4d(b.x, [b.count, b.height, b.width, b.channels]), y: tf.tensor1d(b.labels, "int32") };
        }
      })(),
    holdOut: (count) => {
      const isHeld = heldOutMask(stream.labels, stream.classNames.length, count);
      return {
        train: streamSource(stream.subset(positionsOf(isHeld, 0)), opened),
        held: streamSource(stream.subset(positionsOf(isHeld, 1)), opened),
      };
    },
  };
}

interface ImagePipeline {
  train: ImageSource;
  test: ImageSource;
  mean: number[];
  std: number[];
  trainTransform?: ImageTransform;
  testTransform?: ImageTransform;
  describe: string;
}

function imageTask(config: ExperimentConfig, p: ImagePipeline): TaskData {
  const batches = (
    source: ImageSource,
    batchSize: number,
    opts: { shuffle: boolean; seed?: number; epoch?: number; transform?: ImageTransform },
  ) => source.batches({ batchSize, mean: p.mean, std: p.std, ...opts });
  // The loaders read trainLimit + validLimit training images; the validation split is held out of them.
  const { train, held: valid } = config.validLimit
    ? p.train.holdOut(config.validLimit)
    : { train: p.train, held: undefined };
  return {
    kind: "image",
    numClasses: train.classNames.length,
    describe: valid ? `${p.describe} (of the training images, ${valid.count} held out for validation)` : p.describe,
    trainBatchCount: (batchSize) => numBatches(train.count, batchSize),
    // pass 0 trains; pass 1 is the paper's second, evaluation pass over the augmented training set
    trainBatches: (epoch, batchSize, seed, pass) =>
      batches(train, batchSize, {
        shuffle: true,
        seed: pass === 0 ? seed : mixSeed(seed, 1000 + pass),
        epoch,
        transform: p.trainTransform,
      }),
    evalBatches: (split, batchSize) =>
      batches(split === "valid" && valid ? valid : p.test, batchSize, { shuffle: false, transform: p.testTransform }),
    evalSplits: evalSplitsFor(config),
  };
}

/** An image-folder root: absolute, or relative to a data root (the folders in PADAM_DATA, then data/). */
function resolveFolder(root: string): string {
  if (isAbsolute(root)) return root;
  for (const { dir } of dataRoots()) {
    if (existsSync(join(dir, root))) return join(dir, root);
  }
  throw new Error(
    `image folder "${root}" not found in the data roots (${dataRoots()
      .map((r) => r.dir)
      .join(", ")}); set dataRoot to an absolute path or put it under PADAM_DATA`,
  );
}

/** Options of {@link loadTaskData} that do not change a run's numbers. */
export interface TaskDataOptions {
  /**
   * Most bytes each streamed split may hold at once (files read ahead plus one decoded batch);
   * image folders only. Default 256 MiB.
   */
  streamBytes?: number;
}

/** The data of `config`'s run: loaded (Fashion-MNIST, CIFAR-10, PTB) or streamed (image folders). */
export async function loadTaskData(config: ExperimentConfig, options: TaskDataOptions = {}): Promise<TaskData> {
  const limit = limitOf(config.trainLimit);
  // Validation images are held out of the training images read (imageTask), so read that many more.
  const trainLimit = limit === undefined ? undefined : limit + (config.validLimit ?? 0);
  const testLimit = limitOf(config.testLimit);
  switch (config.dataset) {
    case "fashion-mnist": {
      const [train, test] = [
        await loadFashionMnist("train", { limit: trainLimit }),
        await loadFashionMnist("test", { limit: testLimit }),
      ];
      return imageTask(config, {
        train: memorySource(train),
        test: memorySource(test),
        mean: FASHION_MNIST_MEAN,
        std: FASHION_MNIST_STD,
        trainTransform: config.augment ? randomCropFlip({ pad: 2, flip: false }) : undefined,
        describe: `Fashion-MNIST, ${train.count} train / ${test.count} test images`,
      });
    }
    case "cifar10": {
      const train = await loadCifar10("train", { limit: trainLimit });
      const test = await loadCifar10("test", { limit: testLimit });
      return imageTask(config, {
        train: memorySource(train),
        test: memorySource(test),
        mean: CIFAR10_MEAN,
        std: CIFAR10_STD,
        trainTransform: config.augment ? randomCropFlip({ pad: 4, flip: true }) : undefined,
        describe: `CIFAR-10 (${train.source}), ${train.count} train / ${test.count} test images`,
      });
    }
    case "image-folder": {
      const root = resolveFolder(config.dataRoot!);
      const size = config.imageSize ?? 224;
      // Images are resized to 256/224 of the input size when read; crops are taken per batch.
      const stored = Math.round((size * 256) / 224);
      const evalSplit = existsSync(join(root, "val")) ? "val" : "test";
      // Streamed, never held whole (ImageNet's training split decodes to about 250 GB).
      const streamOpts = { imageSize: stored, maxCachedBytes: options.streamBytes };
      const trainStream = openImageFolder(root, "train", { ...streamOpts, limit: trainLimit });
      const testStream = openImageFolder(root, evalSplit, {
        ...streamOpts,
        limit: testLimit,
        classNames: trainStream.classNames,
      });
      const streams: ImageFolderStream[] = [];
      const task = imageTask(config, {
        train: streamSource(trainStream, streams),
        test: streamSource(testStream, streams),
        mean: IMAGENET_MEAN,
        std: IMAGENET_STD,
        trainTransform: config.augment ? randomResizedCrop(size) : resizeCenterCrop(stored, size),
        testTransform: resizeCenterCrop(stored, size),
        describe: `image folder ${root}, ${trainStream.count} train / ${testStream.count} ${evalSplit} images, ${size}x${size} (streamed)`,
      });
      return {
        ...task,
        streamed: {
          maxBytes: trainStream.maxCachedBytes,
          peakBytes: () => Math.max(...streams.map((s) => s.stats.peakBytes)),
        },
      };
    }
    case "ptb": {
      const corpus = await loadPtb();
      const bptt = config.bptt ?? 35;
      const cut = (ids: Int32Array, n?: number) => (n === undefined ? ids : ids.subarray(0, n));
      const train = batchify(cut(corpus.train, trainLimit), config.batchSize);
      const evalData = {
        valid: batchify(cut(corpus.valid, testLimit), config.testBatchSize),
        test: batchify(cut(corpus.test, testLimit), config.testBatchSize),
      };
      const windows = (b: ReturnType<typeof batchify>) =>
        (function* (): Generator<Batch> {
          for (const { x, y } of bpttBatches(b, bptt, { dropLast: true })) yield { x, y };
        })();
      return {
        kind: "language",
        numClasses: corpus.vocab.words.length,
        describe: `Penn Treebank (${corpus.source}), ${train.data.length} train tokens, vocabulary ${corpus.vocab.words.length}`,
        // Language-model batches follow the text in order every epoch (truncated BPTT).
        trainBatchCount: () => numBpttBatches(train, bptt, true),
        trainBatches: () => windows(train),
        evalBatches: (split) => windows(evalData[split]),
        evalSplits: evalSplitsFor(config),
      };
    }
  }
}

/** The first of `batches` (an epoch's first batch, say); the rest are never produced. Throws if there is none. */
export async function firstBatch(batches: Batches): Promise<Batch> {
  for await (const batch of batches) return batch;
  throw new Error("firstBatch: the data yields no batches");
}
