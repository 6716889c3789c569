/**
 * Multi-mime display for the tslab kernel.
 *
 * tslab's public API (`tslab.display`, `tslab.newDisplay()`) sends one mime type per message, but a
 * Plotly figure has to travel as one bundle `{application/vnd.plotly.v1+json, text/html, text/plain}`
 * so that each frontend picks the representation it can render (JupyterLab with the Plotly
 * extension: the JSON; nbconvert HTML and Lab without it: the HTML; terminals: the text). The
 * kernel's internal `tslab/dist/jupyter` module holds `lastWriteDisplayData(content, update)`, which
 * accepts a full `{data, metadata, transient}` message; this file wraps that one internal entry
 * point (tslab is pinned to exactly 1.0.22 for that reason) and falls back to the public API when
 * the internals are not there. See docs/notebook-stack.md, section 4.
 *
 * Outside a kernel (tests, scripts) every function here is a no-op unless a sink is installed
 * with {@link setDisplaySink}.
 *
 * Used by every notebook through `showFigure`, `showTable` and `createLiveCurves`.
 */

/** A mime bundle: mime type to payload (strings, or JSON values for `+json` types). */
export type MimeBundle = Record<string, unknown>;

/** Where a bundle goes: `displayId` names an in-place display, `update` replaces its content. */
export interface DisplayTarget {
  displayId?: string;
  update?: boolean;
}

/** A receiver of display messages, e.g. a test recorder. */
export type DisplaySink = (data: MimeBundle, target: DisplayTarget) => void;

type WriteDisplayData = (
  content: { data: MimeBundle; metadata: Record<string, unknown>; transient: Record<string, unknown> },
  update: boolean,
) => void;

interface TslabPublic {
  display: { html(s: string): void; text(s: string): void };
  newDisplay(): { html(s: string): void; text(s: string): void };
}

let sink: DisplaySink | null = null;
let warnedFallback = false;
const fallbackDisplays = new Map<string, { html(s: string): void; text(s: string): void }>();

/**
 * Routes every display call to `fn` (or back to the kernel with `null`). Returns the previous sink.
 * Meant for tests of code that displays things, and for capturing output in scripts.
 */
export function setDisplaySink(fn: DisplaySink | null): DisplaySink | null {
  const previous = sink;
  sink = fn;
  return previous;
}

/** The kernel's `tslab/dist/jupyter` module, if this process is a tslab kernel. */
function kernelJupyterModule(): { lastWriteDisplayData: WriteDisplayData | null } | null {
  // The kernel loaded its own copy of tslab (the one nearest the notebook); look it up in the
  // module cache rather than resolving from here, so that a second copy can never be picked.
  const cache = require.cache as Record<string, { exports?: unknown } | undefined>;
  for (const key of Object.keys(cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(key)) continue;
    const exported = cache[key]?.exports as { lastWriteDisplayData?: unknown } | undefined;
    if (exported && "lastWriteDisplayData" in exported) {
      return exported as { lastWriteDisplayData: WriteDisplayData | null };
    }
  }
  return null;
}

/** True when running inside a tslab kernel that can display output. */
export function inKernel(): boolean {
  const mod = kernelJupyterModule();
  return mod !== null && typeof mod.lastWriteDisplayData === "function";
}

/** True when display calls go somewhere (a kernel or an installed sink). */
export function canDisplay(): boolean {
  return sink !== null || inKernel();
}

let idCounter = 0;

/** A fresh id for an in-place display (unique within this process). */
export function newDisplayId(): string {
  idCounter += 1;
  return `padam-${process.pid}-${Date.now().toString(36)}-${idCounter}`;
}

/**
 * Sends one mime bundle as a single `display_data` message, or as `update_display_data` for
 * `target.update` with a `target.displayId` that was displayed before.
 *
 * Returns false when nothing could receive it (outside a kernel without a sink).
 */
export function displayBundle(data: MimeBundle, target: DisplayTarget = {}): boolean {
  if (target.update && !target.displayId) {
    throw new Error(
      "displayBundle: target.update is true but target.displayId is missing; an update needs the id of an earlier display",
    );
  }
  if (sink) {
    sink(data, target);
    return true;
  }
  const mod = kernelJupyterModule();
  if (!mod || typeof mod.lastWriteDisplayData !== "function") {
    if (mod) return fallbackDisplay(data, target);
    return false;
  }
  const transient: Record<string, unknown> = {};
  if (target.displayId) transient.display_id = target.displayId;
  mod.lastWriteDisplayData({ data, metadata: {}, transient }, Boolean(target.update));
  return true;
}

/**
 * Fallback through tslab's public API: one mime type per message, so only the HTML (or the text)
 * of the bundle is shown. In-place displays map onto `tslab.newDisplay()`.
 */
function fallbackDisplay(data: MimeBundle, target: DisplayTarget): boolean {
  let tslab: TslabPublic;
  try {
    tslab = require("tslab") as TslabPublic;
  } catch {
    return false;
  }
  if (!warnedFallback) {
    warnedFallback = true;
    console.warn(
      "displayBundle: tslab internals not found (tslab must be 1.0.22); showing only the text/html part of each bundle",
    );
  }
  let display: { html(s: string): void; text(s: string): void } = tslab.display;
  if (target.displayId) {
    let d = fallbackDisplays.get(target.displayId);
    if (!d) {
      d = tslab.newDisplay();
      fallbackDisplays.set(target.displayId, d);
    }
    display = d;
  }
  const html = data["text/html"];
  if (typeof html === "string") display.html(html);
  else display.text(String(data["text/plain"] ?? ""));
  return true;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * JSON for inlining inside a `<script>` element: `<`, `>`, `&` and the JS line separators are
 * written as `\uXXXX` escapes, so no `</script>` or `<!--` can end the element early.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * Shows HTML (one mime type), optionally in place. Returns nothing, so a notebook cell that ends
 * with this call echoes no value into the report.
 */
export function displayHtml(html: string, target: DisplayTarget = {}): void {
  displayBundle({ "text/html": html, "text/plain": stripTags(html) }, target);
}

function stripTags(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/gi, "")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 500);
}
