/**
 * Saving and loading models (with their optimizer) to a folder on disk with the pure-JS tfjs,
 * which has no `file://` handler (only tfjs-node has one). The folder holds `model.json`
 * (topology, training config, weight manifest) and `weights.bin`, the layout tfjs-node writes,
 * so either side can read the other's files.
 *
 *     await model.save(fileSaveHandler("data/models/padam-cnn"), { includeOptimizer: true });
 *     const again = await tf.loadLayersModel(fileLoadHandler("data/models/padam-cnn"));
 *     // again.optimizer continues the same trajectory
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";

const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * A save handler writing `dir/model.json` and `dir/weights.bin`. An existing model in `dir` is
 * only replaced with `{ overwrite: true }`.
 */
export function fileSaveHandler(dir: string, opts: { overwrite?: boolean } = {}): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    if (existsSync(join(dir, MODEL_JSON)) && !opts.overwrite) {
      throw new Error(
        `fileSaveHandler: ${join(dir, MODEL_JSON)} exists; pass { overwrite: true } to replace it, or choose another folder`,
      );
    }
    if (artifacts.modelTopology == null) throw new Error("fileSaveHandler: the model has no topology to save");
    mkdirSync(dir, { recursive: true });
    const weightData =
      artifacts.weightData === undefined
        ? new ArrayBuffer(0)
        : tf.io.concatenateArrayBuffers(
            Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
          );
    // Weights first: model.json names them, so it is written (atomically) last.
    writeAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      trainingConfig: artifacts.trainingConfig,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
    };
    writeAtomic(join(dir, MODEL_JSON), JSON.stringify(modelJson));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

/** A load handler reading what `fileSaveHandler` (or tfjs-node's `file://`) wrote. */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonPath = join(dir, MODEL_JSON);
      if (!existsSync(jsonPath)) throw new Error(`fileLoadHandler: no ${MODEL_JSON} in ${dir}`);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(readFileSync(jsonPath, "utf8")) as tf.io.ModelJSON;
      } catch (e) {
        throw new Error(`fileLoadHandler: ${jsonPath} is not valid JSON (${(e as Error).message})`, { cause: e });
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of modelJson.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = join(dir, p);
          if (!existsSync(file))
            throw new Error(`fileLoadHandler: weight file ${file} named in ${jsonPath} is missing`);
          buffers.push(readFileSync(file));
        }
      }
      const all = Buffer.concat(buffers);
      return tf.io.getModelArtifactsForJSON(modelJson, async () => [
        specs,
        all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
      ]);
    },
  };
}
