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

export async function saveCheckpoint(path: string, model: tf.LayersModel, optimizer: RuleOptimizer, extra: Record<string, unknown>): Promise<void> {
  const indexOf = new Map(model.weights.map((w, i) => [(w.read() as tf.Variable).name, i]));
  const named: NamedTensor[] = model.weights.map((w, i) => ({ name: `model/${i}`, tensor: w.read() }));
  for (const { name, tensor } of await optimizer.getWeights()) {
    const cut = name.lastIndexOf("/");
    const variable = cut > 0 ? name.slice(0, cut) : "";
    const index = indexOf.get(variable);
    if (index !== undefined) named.push({ name: `opt/${index}/${name.slice(cut + 1)}`, tensor });
    else if (cut < 0) named.push({ name: `opt/${name}`, tensor }); // iterations, learning rate
    else throw new Error(`saveCheckpoint: optimizer state for "${variable}", which is not a weight of the model`);
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  const header = Buffer.from(JSON.stringify({ format: 1, specs, extra } satisfies Header));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(header.length);
  writeFileAtomic(path, Buffer.concat([size, header, Buffer.from(data as ArrayBuffer)]));
}

/** Restores model and optimizer from `path`; returns the extra record. */
export async function loadCheckpoint(path: string, model: tf.LayersModel, optimizer: RuleOptimizer): Promise<Record<string, unknown>> {
  if (!existsSync(path)) throw new Error(`checkpoint not found: ${path}`);
  const buf = readFileSync(path);
  const headerLength = buf.readUInt32LE(0);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(4, 4 + headerLength).toString("utf8")) as Header;
  } catch {
    throw new Error(`checkpoint ${path} is corrupt (unreadable header); delete the run directory or start it with --fresh`);
  }
  const body = buf.subarray(4 + headerLength);
  const weights = tf.io.decodeWeights(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer, header.specs);
  const names = model.weights.map((w) => (w.read() as tf.Variable).name);
  const optimizerWeights: NamedTensor[] = [];
  let iterations: NamedTensor | undefined;
  for (const [name, tensor] of Object.entries(weights)) {
    const parts = name.split("/");
    if (parts[0] === "model") {
      const i = Number(parts[1]);
      if (!(i < names.length)) throw new Error(`checkpoint ${path} has ${name} but the model has ${names.length} weights`);
      model.weights[i].write(tensor);
    } else if (parts.length === 2 && parts[1] === "iter") {
      iterations = { name: "iter", tensor };
    } else if (parts.length === 2) {
      optimizerWeights.push({ name: parts[1], tensor });
    } else {
      optimizerWeights.push({ name: `${names[Number(parts[1])]}/${parts[2]}`, tensor });
    }
  }
  if (iterations === undefined) throw new Error(`checkpoint ${path} has no optimizer iteration count`);
  await optimizer.setWeights([iterations, ...optimizerWeights]);
  tf.dispose(Object.values(weights));
  return header.extra;
}

/**
 * The epoch (0-based) a checkpoint holds, read from its header alone (no tensors are decoded);
 * −1 when there is no checkpoint file. Throws when the header is unreadable.
 */
export function checkpointEpoch(path: string): number {
  if (!existsSync(path)) return -1;
  const buf = readFileSync(path);
  const headerLength = buf.length >= 4 ? buf.readUInt32LE(0) : -1;
  let header: Header | undefined;
  try {
    if (headerLength >= 0 && 4 + headerLength <= buf.length) header = JSON.parse(buf.subarray(4, 4 + headerLength).toString("utf8")) as Header;
  } catch {
    header = undefined;
  }
  const epoch = header?.extra?.epoch;
  if (typeof epoch !== "number") throw new Error(`checkpoint ${path} is damaged (${buf.length} bytes, no readable header with an epoch); start the run over with --force`);
  return epoch;
}
