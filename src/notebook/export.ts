/**
 * Static export of Plotly figures to SVG and PNG through Debian's Chromium and puppeteer-core
 * (docs/notebook-stack.md, section 6): a headless page loads the same plotly.js bundle the
 * notebooks embed and `Plotly.toImage` renders each figure. One browser serves a batch of figures
 * and closes itself after a short idle time.
 *
 * The browser never outlives the process that started it: it is killed (process group) and its
 * profile folder removed on exit and on SIGINT/SIGTERM/SIGHUP, and it talks DevTools over a pipe,
 * so it also exits by itself when that process is killed outright.
 *
 * Without Chromium, export is skipped with one message per process. `PADAM_EXPORT_FIGURES=0`
 * turns export off. Figures are derived outputs: an export replaces the files of the same name
 * and says so in its log line.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { figuresRoot, repoRoot } from "./env";

/** The flags that keep Chromium off the network and away from the user's profile. */
export const CHROMIUM_OFFLINE_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox", // required when running as root, as CI containers often do
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];

/**
 * The Chromium binary: `CHROMIUM_PATH` or `PUPPETEER_EXECUTABLE_PATH` if set, else the first of
 * chromium, chromium-browser, google-chrome(-stable) found on PATH or in /usr/bin. Null if none.
 */
export function findChromium(env: Record<string, string | undefined> = process.env): string | null {
  const explicit = env.CHROMIUM_PATH || env.PUPPETEER_EXECUTABLE_PATH;
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
  const dirs = Array.from(new Set([...(env.PATH ?? "").split(path.delimiter).filter(Boolean), "/usr/bin"]));
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return null;
}

/** Result of one figure export. */
export interface ExportResult {
  /** Files written (absolute paths). Empty when skipped. */
  files: string[];
  /** Why nothing was written, when nothing was. */
  skipped?: string;
}

export interface ExportOptions {
  notebook: string;
  name: string;
  width: number;
  height: number;
  formats?: ("svg" | "png")[];
  /** PNG pixel ratio (default 2 for sharp figures in documents). */
  scale?: number;
  /** Root folder; default {@link figuresRoot}. */
  root?: string;
}

// Minimal shapes of the puppeteer-core objects used here. puppeteer-core is loaded with require()
// on first export so notebooks do not type-check or load it unless they export.
interface PuppeteerPage {
  setContent(html: string): Promise<void>;
  addScriptTag(opts: { path: string }): Promise<unknown>;
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}
interface PuppeteerBrowser {
  newPage(): Promise<PuppeteerPage>;
  close(): Promise<void>;
  process(): { pid?: number } | null;
}
interface PuppeteerModule {
  launch(opts: Record<string, unknown>): Promise<PuppeteerBrowser>;
}

interface Session {
  browser: PuppeteerBrowser;
  page: PuppeteerPage;
  userDataDir: string;
}

/** Idle time after the last export before the shared browser is closed. */
const IDLE_CLOSE_MS = 3000;
/** Prefix of the export browser's profile folders in the temp folder: `padam-chromium-<pid>-XXXXXX`. */
export const PROFILE_PREFIX = "padam-chromium-";

let session: Promise<Session> | null = null;
/** The browser that is running now (set once launched), for the synchronous cleanup on exit. */
let live: { pid: number | undefined; userDataDir: string } | null = null;
let idleTimer: NodeJS.Timeout | null = null;
let queue: Promise<unknown> = Promise.resolve();
let skipReported = false;
let hooksInstalled = false;

/**
 * Ends the export browser at once, synchronously (usable in an `exit` handler): SIGKILL to its
 * process group (puppeteer starts it as a group leader, so its zygote and renderers go too), then
 * removes its profile folder.
 */
export function killFigureExporterNow(): void {
  const current = live;
  live = null;
  session = null;
  if (current) endBrowser(current);
}

function endBrowser(b: { pid: number | undefined; userDataDir: string }): void {
  if (b.pid !== undefined) {
    try {
      process.kill(-b.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  fs.rmSync(b.userDataDir, { recursive: true, force: true });
}

/**
 * On SIGINT/SIGTERM/SIGHUP: when no one else listens for the signal, end the browser and die of
 * the signal as Node would have without this handler. When someone else does (tslab's kernel
 * interrupts a cell on SIGINT), leave the decision to them: the `exit` handler still cleans up.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  killFigureExporterNow();
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killFigureExporterNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
}

/** True when a process with this id exists (signal 0 only checks). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the profile folders of export browsers whose owning process is gone (one killed with
 * SIGKILL cannot clean up; its browser exits by itself because the DevTools pipe closes).
 */
export function removeStaleProfiles(tmp: string = os.tmpdir()): string[] {
  const removed: string[] = [];
  for (const entry of fs.readdirSync(tmp)) {
    const m = new RegExp(`^${PROFILE_PREFIX}(\\d+)-`).exec(entry);
    if (!m || pidAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(tmp, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

async function openSession(chromium: string): Promise<Session> {
  const puppeteer = require("puppeteer-core") as PuppeteerModule;
  removeStaleProfiles();
  installExitHooks();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${PROFILE_PREFIX}${process.pid}-`));
  let browser: PuppeteerBrowser;
  try {
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      userDataDir,
      // DevTools over a pipe instead of a socket: when this process dies in any way (even
      // SIGKILL, as Jupyter kills a kernel that does not stop in time), the pipe closes and the
      // browser exits by itself. Over a socket it stayed alive, re-parented to init.
      pipe: true,
      // Our own handlers (installExitHooks): puppeteer's SIGINT handler exits the process, which
      // would turn a kernel interrupt into a dead kernel.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: CHROMIUM_OFFLINE_ARGS.filter((a) => a !== "--headless"),
    });
  } catch (err) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  live = { pid: browser.process()?.pid, userDataDir };
  try {
    const page = await browser.newPage();
    await page.setContent("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body></body></html>");
    await page.addScriptTag({ path: require.resolve("plotly.js-cartesian-dist-min") });
    return { browser, page, userDataDir };
  } catch (err) {
    killFigureExporterNow();
    throw err;
  }
}

/** The profile folder of the export browser running now, or null (used by tests). */
export function figureExporterProfile(): string | null {
  return live?.userDataDir ?? null;
}

/** Closes the shared export browser now (it also closes itself after a few idle seconds). */
export async function closeFigureExporter(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const current = session;
  session = null;
  if (!current) return;
  let s: Session;
  try {
    s = await current;
  } catch {
    return; // a session that failed to open has nothing to close
  }
  const pid = s.browser.process()?.pid;
  await s.browser.close().catch(() => undefined);
  // Only this session's browser: a new export may have started another one meanwhile.
  if (live?.userDataDir === s.userDataDir) live = null;
  endBrowser({ pid, userDataDir: s.userDataDir });
}

function scheduleIdleClose(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void closeFigureExporter(), IDLE_CLOSE_MS);
  // Scripts may exit while the browser idles: the exit hook then kills it.
  idleTimer.unref();
}

/** Decodes the data URL returned by `Plotly.toImage`. */
export function decodeDataUrl(url: string): Buffer {
  const comma = url.indexOf(",");
  if (!url.startsWith("data:") || comma < 0) throw new Error(`decodeDataUrl: not a data URL: ${url.slice(0, 40)}…`);
  const header = url.slice(5, comma);
  const body = url.slice(comma + 1);
  return header.endsWith(";base64") ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
}

/**
 * Writes `<root>/<notebook>/<name>.svg` and `.png` for a figure `{data, layout}`. Exports are
 * serialized (one page renders one figure at a time).
 */
export function exportFigure(
  fig: { data: unknown[]; layout: Record<string, unknown> },
  opts: ExportOptions,
): Promise<ExportResult> {
  const job = queue.then(() => exportNow(fig, opts));
  queue = job.catch(() => undefined);
  return job;
}

async function exportNow(
  fig: { data: unknown[]; layout: Record<string, unknown> },
  opts: ExportOptions,
): Promise<ExportResult> {
  const formats = opts.formats ?? ["svg", "png"];
  // A figure computed more than IDLE_CLOSE_MS after the last one must not race the idle close.
  if (idleTimer) {
    clearTimeout(idleTimer);
    idleTimer = null;
  }
  if (process.env.PADAM_EXPORT_FIGURES === "0") return { files: [], skipped: "PADAM_EXPORT_FIGURES=0" };
  const chromium = findChromium();
  if (!chromium) {
    const reason =
      "figure export skipped: no Chromium found (set CHROMIUM_PATH, or install Debian's chromium package); figures are shown but not written to figures/";
    if (!skipReported) {
      skipReported = true;
      console.log(reason);
    }
    return { files: [], skipped: reason };
  }
  if (!session) session = openSession(chromium);
  let s: Session;
  try {
    s = await session;
  } catch (err) {
    session = null;
    throw new Error(`figure export: could not start Chromium at ${chromium}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const dir = path.join(opts.root ?? figuresRoot(), opts.notebook);
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  let replaced = 0;
  try {
    for (const format of formats) {
      const url = await s.page.evaluate(
        (a: { fig: unknown; format: string; width: number; height: number; scale: number }) => {
          const P = (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
          return P.toImage(a.fig, { format: a.format, width: a.width, height: a.height, scale: a.scale });
        },
        {
          fig: { data: fig.data, layout: { ...fig.layout, height: opts.height, width: opts.width } },
          format,
          width: opts.width,
          height: opts.height,
          scale: format === "png" ? (opts.scale ?? 2) : 1,
        },
      );
      const file = path.join(dir, `${opts.name}.${format}`);
      if (fs.existsSync(file)) replaced++;
      fs.writeFileSync(file, decodeDataUrl(url));
      files.push(file);
    }
  } finally {
    scheduleIdleClose();
  }
  console.log(
    `figure ${opts.name}: wrote ${shownPath(opts.root ?? figuresRoot(), opts.notebook, opts.name)}.{${formats.join(",")}}${replaced > 0 ? " (replacing the previous export)" : ""}`,
  );
  return { files };
}

/**
 * How a figure's path is printed (the line lands in the notebook's report, which may be read on
 * another machine): relative to the repository when the figures root is inside it, else from the
 * root's own folder name on; never an absolute path.
 */
export function shownPath(root: string, notebook: string, name: string): string {
  const fromRepo = path.relative(repoRoot(), path.join(root, notebook, name));
  if (!fromRepo.startsWith("..") && !path.isAbsolute(fromRepo)) return fromRepo;
  return path.join(path.basename(path.resolve(root)), notebook, name);
}
