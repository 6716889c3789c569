/**
 * `npm run bench`: training throughput on TensorFlow.js for the workloads of
 * `shared/bench/torch_reference.py`, optionally against PyTorch in the same run.
 * See `USAGE` in harness.ts and docs/performance.md.
 */
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { formatBackendInfo, initBackend } from "../src/backend";
import {
  Comparison, compareRows, formatRow, parseArgs, ResultRow, roundValue, runTorch, timed, torchReferencePath, torchUnavailable, USAGE,
} from "./harness";
import { prepareWorkload, WORKLOAD_NAMES } from "./workloads";

/** Targets of the issue: tfjs/PyTorch throughput ratio at least this. */
export const RATIO_TARGET = 0.5;
/** Padam's step time at most this multiple of tf.train.adam's. */
export const PADAM_VS_ADAM_TARGET = 1.15;

async function main(): Promise<void> {
  const cores = os.availableParallelism();
  const args = parseArgs(process.argv.slice(2), WORKLOAD_NAMES, cores);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => (args.json ? console.error(line) : console.log(line));
  const info = await initBackend({ backend: args.backend, threads: args.threads, quiet: true });
  log(formatBackendInfo(info));
  const engine = `tfjs-${info.name}`;
  const script = torchReferencePath(path.resolve(__dirname, ".."));
  let compare = args.compare;
  if (compare) {
    const why = torchUnavailable(script);
    if (why !== undefined) {
      log(`[bench] --compare: PyTorch reference unavailable (${why}); printing tfjs results only`);
      compare = false;
    }
  }
  const emit = (r: ResultRow) => {
    if (args.json) console.log(formatRow(r));
    else log(`${r.workload.padEnd(30)} ${r.engine.padEnd(12)} threads ${String(r.threads).padEnd(3)} ${String(r.value).padStart(10)} ${r.unit}`);
  };

  const tfjsRows: ResultRow[] = [];
  const torchRows: ResultRow[] = [];
  const workloads = args.only.length > 0 ? WORKLOAD_NAMES.filter((w) => args.only.includes(w)) : [...WORKLOAD_NAMES];
  for (const w of workloads) {
    log(`[bench] ${w}: building and timing (${args.seconds}s after one warm-up step)...`);
    for (const p of prepareWorkload(w)) {
      let peakRss = process.memoryUsage().rss;
      const step = () => {
        p.step();
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      };
      const row: ResultRow = { workload: p.name, engine, threads: info.threads, unit: p.unit, value: roundValue(timed(step, args.seconds) * p.perStep) };
      p.dispose();
      tfjsRows.push(row);
      emit(row);
      if (p.unit !== "steps/s") {
        emit({ workload: `${p.name}:peak-rss`, engine, threads: info.threads, unit: "MB", value: Math.round(peakRss / 2 ** 20) });
      }
    }
    if (compare) {
      for (const t of args.torchThreads) {
        log(`[bench] ${w}: PyTorch reference, ${t} thread${t === 1 ? "" : "s"}...`);
        for (const r of runTorch(script, w, t, args.seconds)) {
          torchRows.push(r);
          emit(r);
        }
      }
    }
    if (tf.memory().numTensors > 0 && !args.json) log(`[bench] tensors still alive: ${tf.memory().numTensors}`);
  }

  const summary: string[] = [];
  const pa = tfjsRows.find((r) => r.workload === "optimizer-step:padam");
  const ad = tfjsRows.find((r) => r.workload === "optimizer-step:tf.train.adam");
  if (pa && ad) {
    const timeRatio = roundValue(ad.value / pa.value); // step time padam / step time adam
    if (args.json) console.log(formatRow({ workload: "optimizer-step:padam/tf.train.adam", engine, threads: info.threads, unit: "step-time ratio", value: timeRatio }));
    summary.push(`Padam step time / tf.train.adam step time = ${timeRatio} (target <= ${PADAM_VS_ADAM_TARGET}: ${timeRatio <= PADAM_VS_ADAM_TARGET ? "met" : "SHORT"})`);
  }
  if (compare) {
    const comparisons: Comparison[] = compareRows(tfjsRows, torchRows);
    for (const c of comparisons) {
      const ratio = roundValue(c.ratio);
      if (args.json) {
        console.log(formatRow({ workload: c.workload, engine: `${c.tfjsEngine}/pytorch`, threads: c.pytorchThreads, unit: "ratio", value: ratio }));
      }
      summary.push(
        `${c.workload.padEnd(16)} tfjs ${String(c.tfjs).padStart(9)} / PyTorch(${c.pytorchThreads}t) ${String(c.pytorch).padStart(9)} ${c.unit.padEnd(10)} ` +
          `ratio ${ratio} (target >= ${RATIO_TARGET}: ${ratio >= RATIO_TARGET ? "met" : "SHORT"})`,
      );
    }
  }
  if (summary.length > 0) {
    log("[bench] summary");
    for (const s of summary) log("  " + s);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
