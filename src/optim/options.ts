/**
 * Validation of optimizer options: every check runs at construction, before any tensor is made,
 * and every message names the optimizer, the option, the value and what is allowed.
 */

/** How one option is checked. */
export type OptionSpec =
  | { kind: "number"; test: (v: number) => boolean; allowed: string }
  | { kind: "boolean" }
  | { kind: "choice"; choices: readonly string[] };

export type OptionSpecs<H> = { readonly [K in keyof H]: OptionSpec };

/** Finite and >= 0. */
export const nonNegative = (name: string): OptionSpec => ({
  kind: "number",
  test: (v) => Number.isFinite(v) && v >= 0,
  allowed: `${name} >= 0`,
});

/** In [0, 1): momentum coefficients β. */
export const unitInterval = (name: string): OptionSpec => ({
  kind: "number",
  test: (v) => v >= 0 && v < 1,
  allowed: `0 <= ${name} < 1`,
});

/** Finite and > 0: ε. */
export const positive = (name: string): OptionSpec => ({
  kind: "number",
  test: (v) => Number.isFinite(v) && v > 0,
  allowed: `${name} > 0`,
});

export const closedRange = (
  name: string,
  lo: number,
  hi: number,
  loText = String(lo),
  hiText = String(hi),
): OptionSpec => ({
  kind: "number",
  test: (v) => v >= lo && v <= hi,
  allowed: `${loText} <= ${name} <= ${hiText}`,
});

export const flag: OptionSpec = { kind: "boolean" };

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/**
 * Merges `given` over `defaults` after checking every key and value against `specs`.
 * `required` lists options without a default (torch.optim.SGD's lr).
 */
export function resolveOptions<H extends object>(
  optimizer: string,
  given: Partial<H> | undefined,
  defaults: Partial<H>,
  specs: OptionSpecs<H>,
  required: readonly (keyof H)[] = [],
): H {
  if (given != null && (typeof given !== "object" || Array.isArray(given))) {
    throw new Error(`${optimizer}: options must be a plain object, got ${show(given)}`);
  }
  const known = Object.keys(specs) as (keyof H & string)[];
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!(key in specs)) {
      throw new Error(`${optimizer}: unknown option "${key}"; known options: ${known.join(", ")}`);
    }
    if (value === undefined) continue;
    const spec = specs[key as keyof H];
    if (spec.kind === "number") {
      if (typeof value !== "number" || Number.isNaN(value)) {
        throw new Error(`${optimizer}: option "${key}" must be a number, got ${show(value)}`);
      }
      if (!spec.test(value)) {
        throw new Error(`${optimizer}: option "${key}" = ${value} is out of range; allowed: ${spec.allowed}`);
      }
    } else if (spec.kind === "boolean") {
      if (typeof value !== "boolean") {
        throw new Error(`${optimizer}: option "${key}" must be true or false, got ${show(value)}`);
      }
    } else if (typeof value !== "string" || !spec.choices.includes(value)) {
      throw new Error(
        `${optimizer}: option "${key}" = ${show(value)} is not allowed; allowed: ${spec.choices.map((c) => JSON.stringify(c)).join(", ")}`,
      );
    }
    out[key] = value;
  }
  for (const key of required) {
    if (out[key as string] === undefined) {
      throw new Error(
        `${optimizer}: option "${String(key)}" is required (the reference implementation has no default)`,
      );
    }
  }
  return out as H;
}

/**
 * For the registry names that fix a flag (`amsgrad` → amsgrad: true, `amsbound` → amsbound:
 * true): refuses an explicit false, naming the registry entry that has the flag off.
 */
export function requireFlagOn(optimizer: string, flag: string, value: boolean, offName: string): void {
  if (!value) {
    throw new Error(
      `${optimizer}: option "${flag}" = false is not allowed; allowed: true (use the "${offName}" optimizer for ${flag} = false)`,
    );
  }
}
