/**
 * `npm run bench`: training throughput on TensorFlow.js for the workloads of `workloads.ts`,
 * optionally against their PyTorch counterparts (`torch_reference.py`) in the same run, or
 * (`--memory`) a check that memory does not grow over many steps.
 * See `USAGE` in harness.ts and docs/performance.md.
 */
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { formatBackendInfo, initBackend } from "../src/backend";
import {
  BenchArgs,
  Comparison,
  compareRows,
  formatRow,
  memoryCheck,
  parseArgs,
  ResultRow,
  roundValue,
  runTorch,
  runTorchConvShapes,
  timed,
  timedInterleaved,
  torchReferencePath,
  torchUnavailable,
  USAGE,
} from "./harness";
import {
  buildMicroKernel,
  CEILING_NETWORKS,
  CEILING_SHAPES,
  ceilingSummary,
  buildProjectConvKernels,
  PROJECT_CONV_ENGINE,
  projectConvRows,
  projectConvSummary,
  microKernelPeak,
  networkBounds,
  tfjsCeilingRows,
} from "./ceiling";
import { buildImportedConvKernels, projectKernelRows, WITH_PROJECT_KERNELS } from "./project_kernels";
import { Prepared, prepareWorkload, REFERENCE_SCALE, WORKLOAD_NAMES, WorkloadScale } from "./workloads";

/** Targets of the issue: tfjs/PyTorch throughput ratio at least this. */
export const RATIO_TARGET = 0.8;
/** Padam's step time at most this multiple of tf.train.adam's, and of the project's Adam's. */
export const PADAM_VS_TF_ADAM_TARGET = 1.15;
export const PADAM_VS_ADAM_TARGET = 1.05;

const MB = 2 ** 20;

type Emit = (r: ResultRow) => void;

/** Times one workload's rows (several rows: in turns), with each row's peak resident set. */
function measure(prepared: Prepared[], seconds: number, engine: string, threads: number, emit: Emit): ResultRow[] {
  const peaks = prepared.map(() => process.memoryUsage().rss);
  const steps = prepared.map((p, i) => () => {
    p.step();
    peaks[i] = Math.max(peaks[i], process.memoryUsage().rss);
  });
  const rates = steps.length === 1 ? [timed(steps[0], seconds)] : timedInterleaved(steps, seconds);
  const rows = prepared.map((p, i): ResultRow => ({
    workload: p.name,
    engine,
    threads,
    unit: p.unit,
    value: roundValue(rates[i] * p.perStep),
  }));
  rows.forEach((row, i) => {
    emit(row);
    // Rows of one workload run side by side in one process: the peak of the first is the workload's.
    if (i === 0)
      emit({ workload: `${row.workload}:peak-rss`, engine, threads, unit: "MB", value: Math.round(peaks[i] / MB) });
  });
  return rows;
}

/** `--memory`: every row of every workload for `args.steps` steps; false when one grew. */
function memoryMode(
  args: BenchArgs,
  workloads: readonly string[],
  engine: string,
  threads: number,
  emit: Emit,
  log: (l: string) => void,
): boolean {
  let ok = true;
  const b = args.batch;
  const scale: WorkloadScale =
    b === undefined
      ? REFERENCE_SCALE
      : { ...REFERENCE_SCALE, fmnistBatch: b, resnet20Batch: b, resnetBatch: b, lstmBatch: b };
  for (const w of workloads) {
    for (const p of prepareWorkload(w as (typeof WORKLOAD_NAMES)[number], scale)) {
      log(`[bench] ${p.name}: ${args.steps} steps, checking memory...`);
      const r = memoryCheck(p.step, args.steps, {
        rss: () => process.memoryUsage().rss,
        tensors: () => tf.memory().numTensors,
      });
      p.dispose();
      emit({ workload: `${p.name}:peak-rss`, engine, threads, unit: "MB", value: Math.round(r.rssPeak / MB) });
      emit({
        workload: `${p.name}:rss-growth`,
        engine,
        threads,
        unit: "MB",
        value: roundValue((r.rssEnd - r.rssStart) / MB),
      });
      emit({
        workload: `${p.name}:tensor-growth`,
        engine,
        threads,
        unit: "tensors",
        value: r.tensorsEnd - r.tensorsStart,
      });
      if (!r.ok) {
        log(
          `[bench] ${p.name}: memory GREW over ${r.steps} steps (tensors ${r.tensorsStart} -> ${r.tensorsEnd}, resident set +${roundValue((r.rssEnd - r.rssStart) / MB)} MB, allowed +${roundValue(r.rssAllowance / MB)} MB)`,
        );
        ok = false;
      }
    }
  }
  return ok;
}

/** Lines comparing Padam's step with Adam's (same run, rows timed in turns). */
function padamSummary(rows: ResultRow[], emitRatio: (name: string, v: number) => void): string[] {
  const rate = (w: string) => rows.find((r) => r.workload === w)?.value;
  const padam = rate("optimizer-step:padam");
  if (padam === undefined) return [];
  const out: string[] = [];
  const pairs: [string, string, number | undefined][] = [
    ["tf.train.adam", "optimizer-step:tf.train.adam", PADAM_VS_TF_ADAM_TARGET],
    ["adam", "optimizer-step:adam", PADAM_VS_ADAM_TARGET],
    ["amsgrad", "optimizer-step", undefined],
  ];
  const noMax = rate("optimizer-step:padam-no-max");
  const adam = rate("optimizer-step:adam");
  for (const [label, workload, target] of pairs) {
    const other = rate(workload);
    if (other === undefined) continue;
    const ratio = roundValue(other / padam); // step time of Padam / step time of the other
    emitRatio(`optimizer-step:padam/${label}`, ratio);
    const verdict =
      target === undefined ? "the same state as Padam's" : `target <= ${target}: ${ratio <= target ? "met" : "SHORT"}`;
    out.push(`Padam step time / ${label} step time = ${ratio} (${verdict})`);
  }
  if (noMax !== undefined && adam !== undefined) {
    const ratio = roundValue(adam / noMax);
    emitRatio("optimizer-step:padam-no-max/adam", ratio);
    out.push(
      `Padam (no running max) step time / adam step time = ${ratio} (same state as Adam; target <= ${PADAM_VS_ADAM_TARGET}: ${ratio <= PADAM_VS_ADAM_TARGET ? "met" : "SHORT"})`,
    );
  }
  return out;
}

function comparisonSummary(comparisons: Comparison[], emitRatio: (c: Comparison, v: number) => void): string[] {
  return comparisons.map((c) => {
    const ratio = roundValue(c.ratio);
    emitRatio(c, ratio);
    return (
      `${c.workload.padEnd(22)} tfjs(${c.tfjsThreads}t) ${String(c.tfjs).padStart(9)} / PyTorch(${c.pytorchThreads}t) ${String(c.pytorch).padStart(9)} ${c.unit.padEnd(10)} ` +
      `ratio ${ratio} (target >= ${RATIO_TARGET}: ${ratio >= RATIO_TARGET ? "met" : "SHORT"})`
    );
  });
}

/**
 * `--ceiling`: the conv nets' dominant convolutions against the wasm SIMD ceiling (ceiling.ts),
 * one thread on every side; each side's best of `args.rounds` rounds.
 */
async function ceilingMode(args: BenchArgs, emit: Emit, log: (l: string) => void): Promise<void> {
  const info = await initBackend({ backend: args.backend, threads: 1, quiet: true });
  const engine = `tfjs-${info.name}`;
  log(`[bench] --ceiling: ${formatBackendInfo(info)}; building the wasm SIMD micro-kernel...`);
  const kernel = buildMicroKernel();
  const projectConv = buildProjectConvKernels();
  const importedConv = buildImportedConvKernels();
  const script = torchReferencePath(path.resolve(__dirname, ".."));
  const why = args.compare ? torchUnavailable(script) : undefined;
  if (why !== undefined) log(`[bench] --compare: PyTorch reference unavailable (${why}); tfjs and the ceiling only`);
  const rows: ResultRow[] = [];
  const torchRows: ResultRow[] = [];
  let answered: Record<string, Record<string, number>> = {};
  for (let round = 1; round <= args.rounds; round++) {
    log(`[bench] round ${round}/${args.rounds}: micro-kernel peak, then ${CEILING_SHAPES.length} shapes x 3 products`);
    for (const p of microKernelPeak(kernel, args.seconds)) {
      const row = {
        workload: `ceiling:peak-${p.tile}`,
        engine: "wasm-simd128",
        threads: 1,
        unit: "GFLOP/s",
        value: p.gflops,
      };
      rows.push(row);
      emit(row);
    }
    for (const r of [
      ...tfjsCeilingRows(CEILING_SHAPES, args.seconds, engine, info.threads),
      ...projectConvRows(projectConv, CEILING_SHAPES, args.seconds),
    ]) {
      rows.push(r);
      emit(r);
    }
    log(
      `[bench] round ${round}/${args.rounds}: the conv nets with the training kernels and with the project's, in turns`,
    );
    const nets = projectKernelRows(
      importedConv,
      CEILING_NETWORKS.map((n) => n.workload),
      args.seconds,
    );
    answered = nets.answeredPerStep;
    for (const r of nets.rows) {
      rows.push(r);
      emit(r);
    }
    if (args.compare && why === undefined) {
      log(`[bench] round ${round}/${args.rounds}: PyTorch, 1 thread...`);
      const nets = CEILING_NETWORKS.flatMap((n) => runTorch(script, n.workload, 1, args.seconds));
      for (const r of [...runTorchConvShapes(script, CEILING_SHAPES, 1, args.seconds), ...nets]) {
        if (r.unit === "MB") continue;
        torchRows.push(r);
        emit(r);
      }
    }
  }
  const mine = best(rows);
  const peak = Math.max(...mine.filter((r) => r.workload.startsWith("ceiling:peak-")).map((r) => r.value));
  log(`[bench] summary (best of ${args.rounds} round(s); SIMD128 ceiling ${peak} GFLOP/s, the best tile)`);
  const torchBest = best(torchRows);
  for (const l of ceilingSummary(
    mine.filter((r) => r.engine === engine && r.workload.startsWith("ceiling:")),
    peak,
    torchBest,
  ))
    log("  " + l);
  log(`[bench] the project's own kernels (bench/ceiling/conv_*.c; not yet used in training)`);
  for (const l of projectConvSummary(
    mine.filter((r) => r.engine === PROJECT_CONV_ENGINE),
    mine.filter((r) => r.engine === engine && r.workload.startsWith("ceiling:")),
    peak,
  ))
    log("  " + l);
  for (const { workload } of CEILING_NETWORKS) {
    const [today, own] = [engine, WITH_PROJECT_KERNELS].map(
      (e) => mine.find((r) => r.workload === workload && r.engine === e)?.value ?? NaN,
    );
    const calls = Object.entries(answered[workload] ?? {})
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    log(
      `  ${workload}: ${today} samples/s with the training kernels, ${own} with the project's (${roundValue(own / today)}x; calls answered per step: ${calls || "none"})`,
    );
  }
  for (const b of networkBounds(peak)) {
    emit({
      workload: `ceiling:${b.workload}:max`,
      engine: "wasm-simd128",
      threads: 1,
      unit: "samples/s",
      value: b.maxSamples,
    });
    const t = torchBest.find((r) => r.workload === b.workload);
    log(
      `  ${b.workload}: ${roundValue(b.flopsPerSample / 1e6)} MFLOP of convolutions per sample, so at most ${b.maxSamples} samples/s at the ceiling` +
        (t === undefined
          ? ""
          : `; PyTorch ${t.value} samples/s: at most ${roundValue(b.maxSamples / t.value)}x PyTorch`),
    );
  }
}

/** Keeps each row's largest value over rounds (the best speed; the highest peak resident set). */
function best(rows: ResultRow[]): ResultRow[] {
  const out = new Map<string, ResultRow>();
  for (const r of rows) {
    const key = `${r.workload}|${r.engine}|${r.threads}`;
    const seen = out.get(key);
    if (seen === undefined || r.value > seen.value) out.set(key, r);
  }
  return [...out.values()];
}

async function main(): Promise<void> {
  const cores = os.availableParallelism();
  const args = parseArgs(process.argv.slice(2), WORKLOAD_NAMES, cores);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => (args.json ? console.error(line) : console.log(line));
  const emitRow: Emit = (r) =>
    args.json
      ? console.log(formatRow(r))
      : log(`${r.workload.padEnd(40)} ${r.engine.padEnd(14)} ${String(r.value).padStart(10)} ${r.unit}`);
  if (args.ceiling) return ceilingMode(args, emitRow, log);
  // With --compare both sides run at 1 thread and one per core unless told otherwise, as PyTorch.
  const threadSettings: (number | undefined)[] =
    args.threads ?? (args.compare && !args.memory ? [...new Set([1, Math.min(8, cores)])] : [undefined]);
  let info = await initBackend({ backend: args.backend, threads: threadSettings[0], quiet: true });
  log(formatBackendInfo(info));
  const engine = `tfjs-${info.name}`;
  const emit: Emit = (r) => {
    if (args.json) console.log(formatRow(r));
    else
      log(
        `${r.workload.padEnd(34)} ${r.engine.padEnd(12)} threads ${String(r.threads).padEnd(3)} ${String(r.value).padStart(10)} ${r.unit}`,
      );
  };
  const workloads = args.only.length > 0 ? WORKLOAD_NAMES.filter((w) => args.only.includes(w)) : [...WORKLOAD_NAMES];
  if (args.memory) {
    if (!memoryMode(args, workloads, engine, info.threads, emit, log)) process.exitCode = 1;
    return;
  }

  const script = torchReferencePath(path.resolve(__dirname, ".."));
  let compare = args.compare;
  if (compare) {
    const why = torchUnavailable(script);
    if (why !== undefined) {
      log(`[bench] --compare: PyTorch reference unavailable (${why}); printing tfjs results only`);
      compare = false;
    }
  }
  let tfjsRows: ResultRow[] = [];
  let torchRows: ResultRow[] = [];
  for (const w of workloads) {
    for (let round = 1; round <= (compare ? args.rounds : 1); round++) {
      const of = compare && args.rounds > 1 ? ` (round ${round}/${args.rounds})` : "";
      log(`[bench] ${w}${of}: building and timing (${args.seconds}s after one warm-up step)...`);
      for (const threads of threadSettings) {
        if (threadSettings.length > 1) {
          info = await initBackend({ backend: args.backend, threads, quiet: true });
          log(`[bench] ${w}${of}: tfjs, ${info.threads} thread${info.threads === 1 ? "" : "s"}...`);
        }
        const prepared = prepareWorkload(w);
        tfjsRows.push(...measure(prepared, args.seconds, engine, info.threads, emit));
        prepared.forEach((p) => p.dispose());
        if (tf.memory().numTensors > 0 && !args.json) log(`[bench] tensors still alive: ${tf.memory().numTensors}`);
      }
      if (!compare) continue;
      for (const t of args.torchThreads) {
        log(`[bench] ${w}${of}: PyTorch, ${t} thread${t === 1 ? "" : "s"}...`);
        for (const r of runTorch(script, w, t, args.seconds)) {
          torchRows.push(r);
          emit(r);
        }
      }
    }
  }
  tfjsRows = best(tfjsRows);
  torchRows = best(torchRows);

  const ratioRow = (workload: string, engineName: string, threads: number, unit: string, value: number) => {
    if (args.json) console.log(formatRow({ workload, engine: engineName, threads, unit, value }));
  };
  // Padam vs Adam within each thread setting (those rows are timed in turns).
  const summary: string[] = [];
  for (const threads of new Set(tfjsRows.map((r) => r.threads))) {
    const lines = padamSummary(
      tfjsRows.filter((r) => r.threads === threads),
      (name, v) => ratioRow(name, engine, threads, "step-time ratio", v),
    );
    summary.push(...lines.map((l) => `[${threads} thread${threads === 1 ? "" : "s"}] ${l}`));
  }
  if (compare) {
    const speeds = tfjsRows.filter((r) => r.unit !== "MB");
    summary.push(
      ...comparisonSummary(compareRows(speeds, torchRows), (c, v) =>
        ratioRow(c.workload, `${c.tfjsEngine}/pytorch`, c.pytorchThreads, "ratio", v),
      ),
    );
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
