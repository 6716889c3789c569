/** Exit codes of `npm run train` and `npm run sweep` (listed in their --help). */
export const EXIT = {
  /** Every run finished (now or before). */
  ok: 0,
  /** A run failed, or its stored records were refused (the message says which and why). */
  error: 1,
  /** Bad command line or runs directory: nothing was trained or written. */
  usage: 2,
  /** A run diverged (non-finite training loss); a sweep still runs the rest of its grid. */
  diverged: 3,
  /** A plan entry's run is held by another live worker and was left to it. */
  locked: 4,
  /** A plan worker was stopped by a signal (time limit, scancel, Ctrl-C); the run resumes when started again. */
  stopped: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
