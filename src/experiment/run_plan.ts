/**
 * What `runExperiment` does with a run directory it holds the lock of: start it, resume it from
 * its checkpoint, return a finished or diverged run as it is, or refuse with the reason.
 *
 * A run is reused or resumed only when its records agree: `config.json` equals the requested
 * config (canonical form), `status.json` is readable, every metrics record checks out, the
 * metrics cover exactly the epochs the status (and, on resume, the checkpoint) says are done.
 * The one disagreement that is repaired is the one a kill leaves: records of the epoch after the
 * checkpoint (appended before the checkpoint was written, possibly torn). They are dropped and
 * that epoch is trained again, which gives the same numbers (runs are deterministic), and the
 * plan's note says so. Anything else is a {@link RunDirError} naming the file and what to do;
 * `force` replaces the run instead.
 */
import type { ExperimentConfig } from "./config";
import { checkpointEpoch } from "./checkpoint";
import { evalSplitsAfter } from "./data";
import { configDifferences, describeDamage, RunDir, RunDirError, type MetricLine, type StatusFile } from "./store";

export type RunPlan =
  | { kind: "fresh"; note?: string }
  | { kind: "reuse"; status: StatusFile; metrics: MetricLine[] }
  /** Continue after `epoch` (0-based, the checkpoint's); `metrics` are the records to keep. */
  | { kind: "resume"; epoch: number; metrics: MetricLine[]; note: string; rewriteMetrics: boolean };

export interface PlanOptions {
  resume?: boolean;
  force?: boolean;
}

const FORCE_HINT = "run it again with --force (runExperiment(config, { force: true })) to replace it";

/** Decides what to do with `runDir` for `config`; see the module comment. Clears the directory when `force` is set. */
export function planRun(runDir: RunDir, config: ExperimentConfig, options: PlanOptions): RunPlan {
  if (!runDir.exists()) return { kind: "fresh" };
  if (options.force) {
    runDir.clear();
    return { kind: "fresh", note: "replacing the existing run (--force)" };
  }
  const record = runDir.record();
  if (!record)
    throw new RunDirError(
      `${runDir.configPath} is missing, so ${runDir.dir} cannot be trusted as this config's run; ${FORCE_HINT}`,
    );
  const differences = configDifferences(record.config, config);
  if (differences.length > 0) {
    throw new RunDirError(
      `${runDir.configPath} does not match the requested config at ${differences.join(", ")} ` +
        `(stored ${describeValues(record.config, differences)}; requested ${describeValues(config, differences)}); ` +
        `the stored run is kept; ${FORCE_HINT}`,
    );
  }
  const status = runDir.status();
  if (!status)
    throw new RunDirError(`${runDir.statusPath} is missing, so how far ${runDir.dir} got is unknown; ${FORCE_HINT}`);
  const { lines, damaged } = runDir.readMetrics();
  // A training record per epoch, plus one per held-out split after the epochs that evaluate.
  const perEpoch: PerEpoch = (epoch) => 1 + evalSplitsAfter(config, epoch).length;

  if (status.status !== "running") {
    if (damaged.length > 0) throw new RunDirError(`${describeDamage(damaged)}\n(run ${status.status}); ${FORCE_HINT}`);
    assertEpochs(
      runDir,
      lines,
      status.epoch,
      perEpoch,
      `status.json says ${status.status} after epoch ${status.epoch + 1}`,
    );
    return { kind: "reuse", status, metrics: lines };
  }
  if (!options.resume) {
    throw new RunDirError(
      `run ${runDir.dir} already exists and is unfinished (${status.epoch + 1} of ${config.epochs} epochs done); ` +
        `resume it with --resume (runExperiment(config, { resume: true })), or ${FORCE_HINT.replace(/^run it again/, "start over")}`,
    );
  }
  return planResume(runDir, status, lines, damaged, perEpoch);
}

function planResume(
  runDir: RunDir,
  status: StatusFile,
  lines: MetricLine[],
  damaged: ReturnType<RunDir["readMetrics"]>["damaged"],
  perEpoch: PerEpoch,
): RunPlan {
  const saved = status.epoch < 0 ? -1 : checkpointEpoch(runDir.checkpointPath);
  // The checkpoint is written after an epoch's metrics and before its status: it may be one ahead.
  if (saved !== status.epoch && saved !== status.epoch + 1) {
    throw new RunDirError(
      `${runDir.checkpointPath} holds epoch ${saved + 1} but ${runDir.statusPath} says ${status.epoch + 1} epochs are done; ${FORCE_HINT}`,
    );
  }
  // Only a torn last line beyond the checkpoint is a kill's trace; damage anywhere else loses records.
  let through = 0; // records of epochs 0..saved
  for (let e = 0; e <= saved; e++) through += perEpoch(e);
  const lost = damaged.filter((d) => !(d.torn && d.line > through));
  if (lost.length > 0)
    throw new RunDirError(
      `${describeDamage(lost)}\nthese records cannot be recovered from the checkpoint; ${FORCE_HINT}`,
    );
  const kept = lines.filter((m) => m.epoch <= saved);
  assertEpochs(runDir, kept, saved, perEpoch, `the checkpoint holds epoch ${saved + 1}`);
  const beyond = lines.filter((m) => m.epoch > saved);
  if (beyond.some((m) => m.epoch > saved + 1)) {
    throw new RunDirError(
      `${runDir.metricsPath} has records of epoch ${Math.max(...beyond.map((m) => m.epoch)) + 1}, beyond the checkpoint's epoch ${saved + 1} + 1; ${FORCE_HINT}`,
    );
  }
  const dropped = beyond.length + damaged.length;
  const note =
    `resuming after epoch ${saved + 1}` +
    (saved > status.epoch ? " (the checkpoint was one epoch ahead of status.json)" : "") +
    (dropped > 0
      ? `; dropped ${dropped} record(s) of epoch ${saved + 2} written before the interruption (that epoch is trained again, with the same numbers)`
      : "");
  return { kind: "resume", epoch: saved, metrics: kept, note, rewriteMetrics: dropped > 0 };
}

/** Records an epoch (0-based) writes. */
type PerEpoch = (epoch: number) => number;

/** Metrics must hold exactly `perEpoch(epoch)` records for each epoch 0..last, in order. */
function assertEpochs(runDir: RunDir, lines: MetricLine[], last: number, perEpoch: PerEpoch, claim: string): void {
  for (let epoch = 0; epoch <= last; epoch++) {
    const n = lines.filter((m) => m.epoch === epoch).length;
    if (n !== perEpoch(epoch)) {
      throw new RunDirError(
        `${runDir.metricsPath} has ${n} record(s) for epoch ${epoch + 1} (expected ${perEpoch(epoch)}) although ${claim}; ${FORCE_HINT}`,
      );
    }
  }
  const later = lines.find((m) => m.epoch > last);
  if (later)
    throw new RunDirError(
      `${runDir.metricsPath} has records of epoch ${later.epoch + 1} although ${claim}; ${FORCE_HINT}`,
    );
}

function describeValues(config: ExperimentConfig, paths: string[]): string {
  const at = (path: string) =>
    path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], config);
  return paths.map((p) => `${p} = ${JSON.stringify(at(p)) ?? "absent"}`).join(", ");
}
