/**
 * Per-kernel time of one training step of a workload (development aid for docs/performance.md):
 *   npx tsx bench/profile.ts cifar-resnet18 [batch] [--project-kernels]
 * `--project-kernels` puts the project's convolution kernels (bench/project_kernels.ts) in front
 * of the wasm backend's (one thread).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend";
import { buildImportedConvKernels, useProjectConvKernels } from "./project_kernels";
import { prepareWorkload, REFERENCE_SCALE, WORKLOAD_NAMES, WorkloadName } from "./workloads";

const WARMUP_STEPS = 5;

async function main(): Promise<void> {
  const own = process.argv.includes("--project-kernels");
  const argv = process.argv.filter((a) => a !== "--project-kernels");
  const name = argv[2] as WorkloadName;
  if (!WORKLOAD_NAMES.includes(name))
    throw new Error(`workload = ${JSON.stringify(name)}; allowed: ${WORKLOAD_NAMES.join(", ")}`);
  const batch = argv[3] === undefined ? undefined : Number(argv[3]);
  if (batch !== undefined && !(Number.isInteger(batch) && batch > 0))
    throw new Error(`batch = ${JSON.stringify(argv[3])}; allowed: a positive integer`);
  await initBackend(own ? { backend: "wasm", threads: 1 } : {});
  if (own) useProjectConvKernels(buildImportedConvKernels());
  const scale = {
    ...REFERENCE_SCALE,
    ...(batch ? { fmnistBatch: batch, resnet20Batch: batch, resnetBatch: batch, lstmBatch: batch } : {}),
  };
  const [p] = prepareWorkload(name, scale);
  // V8 optimizes the JS kernels (batch norm, sums, MaxPoolGrad) only after some calls: one
  // warm-up step profiled them at about twice their steady cost.
  for (let i = 0; i < WARMUP_STEPS; i++) p.step();
  const t0 = performance.now();
  const prof = await tf.profile(() => p.step());
  const total = performance.now() - t0;
  const byKernel = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += k.kernelTimeMs as number;
    e.n++;
    byKernel.set(k.name, e);
  }
  const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const sum = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`${name}: step ${total.toFixed(0)} ms (profiled), kernels ${sum.toFixed(0)} ms`);
  for (const [k, e] of rows.slice(0, 25))
    console.log(`${k.padEnd(28)} ${e.ms.toFixed(1).padStart(9)} ms  ${String(e.n).padStart(4)} calls`);
  p.dispose();
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
