/**
 * Checkpoints of a run: model weights (trainable and BatchNorm statistics), optimizer state and
 * a small JSON record (epoch, dropout counters, …), in one binary file written atomically:
 * [uint32 header length][header JSON][tf.io-encoded weights].
 *
 * Optimizer state is stored by the *index* of the model weight it belongs to, not by variable
 * name: tfjs names variables after layer counters of the process, so a model rebuilt in a
 * notebook that built other models first has other names. Restoring maps indices back to the
 * current model's names.
 */
import { existsSync, readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import type { NamedTensor, RuleOptimizer } from "../optim/rule_optimizer";
import { writeFileAtomic } from "./store";

interface Header {
  format: 1;
  specs: tf.io.WeightsManifestEntry[];
  extra: Record<string, unknown>;
}

export async function saveCheckpoint(
  path: string,
  model: tf.LayersModel,
  optimizer: RuleOptimizer,
  extra: Record<string, unknown>,
): Promise<void> {
  const indexOf = new Map(model.weights.map((w, i) => [(w.read() as tf.Variable).name, i]));
  const named: NamedTensor[] = model.weights.map((w, i) => ({ name: `model/${i}`, tensor: w.read() }));
  for (const { name, tensor } of await optimizer.getWeights()) {
    const cut = name.lastIndexOf("/");
    const variable = cut > 0 ? name.slice(0, cut) : "";
    const index = indexOf.get(variable);
    if (index !== undefined) named.push({ name: `opt/${index}/${name.slice(cut + 1)}`, tensor });
    else if (cut < 0)
      named.push({ name: `opt/${name}`, tensor }); // iterations, learning rate
    else throw new Error(`saveCheckpoint: optimizer state for "${variable}", which is not a weight of the model`);
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  const header = Buffer.from(JSON.stringify({ format: 1, specs, extra } satisfies Header));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(header.length);
  writeFileAtomic(path, Buffer.concat([size, header, Buffer.from(data as ArrayBuffer)]));
}

/** What to do about a checkpoint that cannot be used (part of every error below). */
const REMEDY = "to start the run over, pass --force (npm run train / sweep) or { force: true } (runExperiment)";

const bytes = (n: number) => n.toLocaleString("en-US");

/** Bytes the encoded tensors of `specs` take (tf.io.encodeWeights), or undefined for strings (variable length). */
function bodyBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  const width: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
  let total = 0;
  for (const spec of specs) {
    if (spec.dtype === "string") return undefined;
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    total += tf.util.sizeFromShape(spec.shape) * (width[dtype] ?? tf.util.bytesPerElement(dtype as tf.DataType));
  }
  return total;
}

/**
 * Reads `path` and checks its layout: a 4-byte header length, a format-1 JSON header, and
 * exactly the bytes its weight specs describe. Errors name the file, what is wrong and the remedy.
 */
function readCheckpointFile(path: string): { header: Header; body: Buffer } {
  if (!existsSync(path)) throw new Error(`checkpoint ${path} not found; ${REMEDY}`);
  const buf = readFileSync(path);
  const fail = (what: string) => new Error(`checkpoint ${path} is ${what}; ${REMEDY}`);
  if (buf.length < 4) throw fail(`truncated: ${bytes(buf.length)} of at least 4 bytes (no header length)`);
  const headerLength = buf.readUInt32LE(0);
  if (4 + headerLength > buf.length)
    throw fail(
      `truncated: ${bytes(buf.length)} of at least ${bytes(4 + headerLength)} bytes (its header alone takes ${bytes(headerLength)})`,
    );
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(4, 4 + headerLength).toString("utf8")) as Header;
  } catch {
    throw fail(`corrupt: its ${bytes(headerLength)}-byte header is not valid JSON`);
  }
  if (header?.format !== 1 || !Array.isArray(header.specs))
    throw fail(`corrupt: its header is not format 1 with a list of weight specs`);
  const body = bodyBytes(header.specs);
  const expected = body === undefined ? undefined : 4 + headerLength + body;
  if (expected !== undefined && buf.length < expected)
    throw fail(`truncated: ${bytes(buf.length)} of ${bytes(expected)} bytes`);
  if (expected !== undefined && buf.length > expected)
    throw fail(`corrupt: ${bytes(buf.length)} bytes where its header describes ${bytes(expected)}`);
  return { header, body: buf.subarray(4 + headerLength) };
}

/** Restores model and optimizer from `path`; returns the extra record. Nothing is restored unless every weight fits. */
export async function loadCheckpoint(
  path: string,
  model: tf.LayersModel,
  optimizer: RuleOptimizer,
): Promise<Record<string, unknown>> {
  const { header, body } = readCheckpointFile(path);
  const weights = tf.io.decodeWeights(
    body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    header.specs,
  );
  try {
    const { modelWeights, optimizerWeights } = splitWeights(weights, model);
    await optimizer.setWeights(optimizerWeights);
    modelWeights.forEach((tensor, i) => model.weights[i].write(tensor));
  } catch (e) {
    throw new Error(`checkpoint ${path} does not fit this run: ${(e as Error).message}; ${REMEDY}`, { cause: e });
  } finally {
    tf.dispose(Object.values(weights));
  }
  return header.extra;
}

/** Sorts decoded entries into the model's weights (by index, shapes checked) and the optimizer's (under current variable names). */
function splitWeights(
  weights: tf.NamedTensorMap,
  model: tf.LayersModel,
): { modelWeights: tf.Tensor[]; optimizerWeights: NamedTensor[] } {
  const names = model.weights.map((w) => (w.read() as tf.Variable).name);
  const modelWeights: tf.Tensor[] = [];
  const optimizerWeights: NamedTensor[] = [];
  let iterations: NamedTensor | undefined;
  for (const [name, tensor] of Object.entries(weights)) {
    const parts = name.split("/");
    const i = Number(parts[1]);
    if (parts[0] === "model" || parts.length === 3) {
      if (!(Number.isInteger(i) && i >= 0 && i < names.length))
        throw new Error(`it has ${name} but the model has ${names.length} weights`);
    }
    if (parts[0] === "model") {
      const expected = model.weights[i].shape as number[];
      if (!tf.util.arraysEqual(tensor.shape, expected))
        throw new Error(`${name} (${names[i]}) has shape [${tensor.shape}], the model's is [${expected}]`);
      modelWeights[i] = tensor;
    } else if (parts.length === 2 && parts[1] === "iter") iterations = { name: "iter", tensor };
    else if (parts.length === 2) optimizerWeights.push({ name: parts[1], tensor });
    else optimizerWeights.push({ name: `${names[i]}/${parts[2]}`, tensor });
  }
  const missing = names.findIndex((_, i) => modelWeights[i] === undefined);
  if (missing >= 0)
    throw new Error(
      `it lacks model/${missing} (${names[missing]}); it holds ${modelWeights.filter(Boolean).length} of the model's ${names.length} weights`,
    );
  if (iterations === undefined) throw new Error("it has no optimizer iteration count");
  return { modelWeights, optimizerWeights: [iterations, ...optimizerWeights] };
}

/**
 * The epoch (0-based) a checkpoint holds, read from its header alone (no tensors are decoded);
 * −1 when there is no checkpoint file. Throws when the file is damaged (see readCheckpointFile).
 */
export function checkpointEpoch(path: string): number {
  if (!existsSync(path)) return -1;
  const epoch = readCheckpointFile(path).header.extra?.epoch;
  if (typeof epoch !== "number")
    throw new Error(`checkpoint ${path} is corrupt: its header records no epoch; ${REMEDY}`);
  return epoch;
}
