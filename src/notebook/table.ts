/**
 * HTML tables from danfojs-node DataFrames (or plain record arrays).
 *
 * danfojs-node has no HTML output (`DataFrame.plot()` throws "Not supported in NodeJS",
 * docs/notebook-stack.md, section 7), so the table is built here from `df.columns`,
 * `df.index` and `df.values`, with every cell HTML-escaped. The DataFrame is read through those
 * three properties only, so this module does not load danfojs itself.
 *
 * Used by the notebooks that compare results with the paper's tables (04, 06, 08) and 00.
 */
import { displayBundle, escapeHtml } from "./display";

/** The part of a danfojs DataFrame that a table needs. */
export interface FrameLike {
  columns: string[];
  index: (string | number)[];
  values: unknown[] | unknown[][];
}

export interface TableOptions {
  /** Significant digits for non-integer numbers (default 4). */
  precision?: number;
  caption?: string;
  /** Show the index column (default: true for DataFrames, false for records). */
  index?: boolean;
  /** Show at most this many rows, then a "… n more rows" line (default 200). */
  maxRows?: number;
}

interface Grid {
  columns: string[];
  index: string[];
  rows: unknown[][];
  showIndex: boolean;
}

function isFrameLike(x: unknown): x is FrameLike {
  return (
    x !== null &&
    typeof x === "object" &&
    Array.isArray((x as FrameLike).columns) &&
    Array.isArray((x as FrameLike).values) &&
    Array.isArray((x as FrameLike).index)
  );
}

function toGrid(source: FrameLike | readonly Record<string, unknown>[], opts: TableOptions): Grid {
  if (isFrameLike(source)) {
    // A one-column frame may report 1-D values.
    const rows = (source.values as unknown[]).map((row) => (Array.isArray(row) ? row : [row]));
    rows.forEach((row, i) => {
      if (row.length !== source.columns.length) {
        throw new Error(
          `toHtmlTable: row ${i} has ${row.length} cells but the frame has ${source.columns.length} columns`,
        );
      }
    });
    return {
      columns: source.columns.map(String),
      index: source.index.map(String),
      rows,
      showIndex: opts.index ?? true,
    };
  }
  if (!Array.isArray(source)) {
    throw new Error(
      `toHtmlTable: source is ${typeof source}; allowed: a danfojs DataFrame or an array of plain objects`,
    );
  }
  const columns: string[] = [];
  source.forEach((rec, i) => {
    if (rec === null || typeof rec !== "object")
      throw new Error(`toHtmlTable: record ${i} is ${JSON.stringify(rec)}; allowed: a plain object`);
    for (const key of Object.keys(rec)) if (!columns.includes(key)) columns.push(key);
  });
  return {
    columns,
    index: source.map((_, i) => String(i)),
    rows: source.map((rec) => columns.map((c) => rec[c])),
    showIndex: opts.index ?? false,
  };
}

/** Formats one cell: integers as is, other numbers to `precision` significant digits. */
export function formatCell(v: unknown, precision = 4): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    return Number(v.toPrecision(precision)).toString();
  }
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

const STYLE = "border-collapse:collapse;font-family:system-ui,sans-serif;font-size:13px;margin:4px 0;";
const CELL = "border:1px solid #ccc;padding:3px 8px;";

/** An HTML `<table>` with every header and cell escaped. */
export function toHtmlTable(source: FrameLike | readonly Record<string, unknown>[], opts: TableOptions = {}): string {
  const precision = opts.precision ?? 4;
  if (!Number.isInteger(precision) || precision < 1 || precision > 21) {
    throw new Error(`toHtmlTable: precision is ${precision}; allowed: an integer from 1 to 21`);
  }
  const maxRows = opts.maxRows ?? 200;
  const grid = toGrid(source, opts);
  const head = (grid.showIndex ? [`<th style="${CELL}"></th>`] : [])
    .concat(grid.columns.map((c) => `<th style="${CELL}background:#f3f3f3;">${escapeHtml(c)}</th>`))
    .join("");
  const body = grid.rows.slice(0, maxRows).map((row, i) => {
    const cells = row.map((v) => {
      const align = typeof v === "number" ? "text-align:right;" : "text-align:left;";
      return `<td style="${CELL}${align}">${escapeHtml(formatCell(v, precision))}</td>`;
    });
    if (grid.showIndex)
      cells.unshift(`<th style="${CELL}background:#f3f3f3;text-align:left;">${escapeHtml(grid.index[i])}</th>`);
    return `<tr>${cells.join("")}</tr>`;
  });
  const more =
    grid.rows.length > maxRows
      ? `<tr><td style="${CELL}" colspan="${grid.columns.length + (grid.showIndex ? 1 : 0)}">… ${grid.rows.length - maxRows} more rows</td></tr>`
      : "";
  const caption = opts.caption
    ? `<caption style="caption-side:top;text-align:left;font-weight:600;padding:2px 0;">${escapeHtml(opts.caption)}</caption>`
    : "";
  return `<table class="padam-table" style="${STYLE}">${caption}<thead><tr>${head}</tr></thead><tbody>${body.join("")}${more}</tbody></table>`;
}

/** A plain-text rendering (the `text/plain` part of the table's bundle). */
export function toTextTable(source: FrameLike | readonly Record<string, unknown>[], opts: TableOptions = {}): string {
  const grid = toGrid(source, opts);
  const precision = opts.precision ?? 4;
  const header = (grid.showIndex ? [""] : []).concat(grid.columns);
  const lines = grid.rows
    .slice(0, opts.maxRows ?? 200)
    .map((row, i) => (grid.showIndex ? [grid.index[i]] : []).concat(row.map((v) => formatCell(v, precision))));
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const fmtLine = (cells: string[]) =>
    cells
      .map((s, c) => s.padEnd(widths[c]))
      .join("  ")
      .trimEnd();
  return [opts.caption ?? "", fmtLine(header), ...lines.map(fmtLine)].filter((l) => l !== "").join("\n");
}

/**
 * Displays a table (HTML plus a text fallback; {@link toHtmlTable} gives the HTML alone).
 * Returns nothing, so a notebook cell that ends with this call echoes no value into the report.
 */
export function showTable(source: FrameLike | readonly Record<string, unknown>[], opts: TableOptions = {}): void {
  displayBundle({ "text/html": toHtmlTable(source, opts), "text/plain": toTextTable(source, opts) });
}
