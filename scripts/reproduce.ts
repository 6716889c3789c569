/**
 * `npm run reproduce -- <experiment> [--stage tuning|final] [--dry-run] [--results-dir <dir>]`
 * re-creates a reference experiment under results/<experiment>/ (finished runs are skipped);
 * `npm run reproduce -- --verify <runId> [--epochs k]` re-executes a committed run and compares;
 * `npm run reproduce -- --verify-stale <experiment>|all` does so in full for every stale run.
 */
import { parseArgs } from "node:util";
import { REFERENCE_NAMES, REPRODUCE_ORDER } from "../src/experiment/reference";
import { reproduceExperiment, STALE_CHECK_EPOCHS, verifyRun, verifyStaleRuns } from "../src/experiment/reproduce";

const HELP = `Usage:
  npm run reproduce -- <experiment>|all [--stage tuning|final|all] [--dry-run] [--results-dir <dir>]
  npm run reproduce -- --verify <runId> [--epochs <k>] [--results-dir <dir>]
  npm run reproduce -- --verify-stale <experiment>|all [--results-dir <dir>]
  npm run reproduce -- --list

Re-creates a reference experiment under results/<experiment>/: its tuning runs (lr grid, validation
split), then the final runs (chosen lr, seeds 0-2). Finished runs are skipped, interrupted ones
resumed; runs another process holds are left to it. --verify re-executes the first k epochs of a
committed run (default: all) and compares every number with its metrics.jsonl: identical on the
backend and threads that made it (on wasm at any thread count: its numbers do not depend on it),
within a relative 1e-3 otherwise. --verify-stale re-executes
in full every finished run that today's determining sources did not make and no full verification
covers (final runs first); each success is recorded in the run's provenance.json, so a stopped
pass continues where it stopped.

Experiments: ${REFERENCE_NAMES.join(", ")}; "all" runs them in the order ${REPRODUCE_ORDER.join(", ")}

Exit codes: 0 done (or verified), 1 a run failed or a verification found differences, 2 usage error,
3 a run diverged.
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        verify: { type: "string" },
        "verify-stale": { type: "string" },
        epochs: { type: "string" },
        stage: { type: "string" },
        "dry-run": { type: "boolean" },
        "results-dir": { type: "string" },
        list: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (values.list) {
      process.stdout.write(REFERENCE_NAMES.join("\n") + "\n");
      return 0;
    }
    const root = values["results-dir"] as string | undefined;
    if (values.verify !== undefined) {
      if (positionals.length > 0)
        throw new UsageError(`--verify takes no experiment name (got ${positionals.join(" ")})`);
      const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
      if (epochs !== undefined && !/^\d+$/.test(String(values.epochs)))
        throw new UsageError(`--epochs ${values.epochs} is invalid; allowed: an integer >= 1`);
      const r = await verifyRun(values.verify as string, { epochs, root, log: (l) => process.stderr.write(l + "\n") });
      for (const m of r.mismatches.slice(0, 20))
        process.stdout.write(`epoch ${m.epoch + 1} ${m.split} ${m.key}: committed ${m.committed}, now ${m.now}\n`);
      process.stdout.write(
        `${r.ok ? "verified" : "DIFFERS"}: ${r.runId}, ${r.epochs} epoch(s), ${r.sameBackend ? "same backend (identical required)" : "other backend or threads (tolerance 1e-3)"}, ${r.mismatches.length} difference(s)\n`,
      );
      return r.ok ? 0 : 1;
    }
    const experimentNames = (given: string, flag: string): readonly string[] => {
      if (given === "all") return REPRODUCE_ORDER;
      if (!REFERENCE_NAMES.includes(given))
        throw new UsageError(`${flag}${JSON.stringify(given)} is unknown; known: ${REFERENCE_NAMES.join(", ")}, all`);
      return [given];
    };
    if (values["verify-stale"] !== undefined) {
      if (positionals.length > 0)
        throw new UsageError(`--verify-stale takes its experiment as its value (got also ${positionals.join(" ")})`);
      let differs = 0;
      for (const name of experimentNames(values["verify-stale"] as string, "--verify-stale ")) {
        const s = await verifyStaleRuns(name, { root, log: (l) => process.stderr.write(l + "\n") });
        process.stdout.write(
          `${name}: ${s.verified.length} stale run(s) verified over all epochs, ${s.differs.length} differing${s.differs.length ? ` (${s.differs.join(", ")})` : ""}, ${s.upToDate} finished run(s) already current or verified\n`,
        );
        differs += s.differs.length;
      }
      return differs > 0 ? 1 : 0;
    }
    if (positionals.length !== 1)
      throw new UsageError(`give one experiment or "all" (known: ${REFERENCE_NAMES.join(", ")})`);
    const names = experimentNames(positionals[0], "experiment ");
    const stage = (values.stage ?? "all") as string;
    if (!["tuning", "final", "all"].includes(stage))
      throw new UsageError(`--stage ${stage} is invalid; allowed: tuning, final, all`);
    let diverged = 0;
    for (const name of names) {
      const s = await reproduceExperiment(name, {
        root,
        stage: stage as "tuning" | "final" | "all",
        dryRun: Boolean(values["dry-run"]),
      });
      if (values["dry-run"]) {
        for (const c of s.planned)
          process.stdout.write(
            `${name} ${c.optimizer} ${JSON.stringify(c.optimizerOptions)} seed ${c.seed} epochs ${c.epochs}\n`,
          );
      }
      process.stdout.write(
        `${name}: ${s.ran} run(s) trained, ${s.skipped} already done, ${s.locked.length} held by another process, ${s.diverged.length} diverged, ${s.verified.length} stale run(s) identical over their first ${STALE_CHECK_EPOCHS} epoch(s) (verified once every epoch is), ${s.differs.length} stale run(s) differing${s.waiting.length ? `; final runs waiting for tuning: ${s.waiting.join(", ")}` : ""}\n`,
      );
      diverged += s.diverged.length;
    }
    return diverged > 0 ? 3 : 0;
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`error: ${(e as Error).message}\n(see --help)\n`);
      return 2;
    }
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
