/**
 * Reading the golden optimizer trajectories (`src/testing/fixtures/optimizers.json`, format and
 * provenance in `fixtures/README.md`) and computing the gradients of their test functions.
 * Test support only.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isOptimizerName, OPTIMIZER_NAMES, type AnyOptimizerOptions, type OptimizerName } from "../optim/registry";

export interface GoldenFunction {
  name: "rosenbrock" | "quadratic" | "logistic";
  a?: number;
  b?: number;
  coeffs?: number[];
  center?: number[];
  features?: number[][];
  labels?: number[];
}

export interface GoldenCase {
  id: string;
  optimizer: OptimizerName;
  mode: "replay" | "function";
  options: AnyOptimizerOptions;
  function?: GoldenFunction;
  steps: number;
  x0: number[];
  grads: number[][];
  expected: number[][];
  tolerance: { rtol: number; atol: number };
}

/** Where the golden file is: `$PADAM_GOLDEN`, else the copy kept in the repository (`fixtures/`). */
export function goldenPath(): string {
  return process.env.PADAM_GOLDEN ?? resolve(__dirname, "fixtures", "optimizers.json");
}

export function loadGoldenCases(path = goldenPath()): GoldenCase[] {
  if (!existsSync(path)) {
    throw new Error(`golden trajectories not found at ${path}; set PADAM_GOLDEN to the optimizers.json file`);
  }
  const data = JSON.parse(readFileSync(path, "utf8")) as { format: number; cases: GoldenCase[] };
  if (data.format !== 1)
    throw new Error(`${path}: unsupported golden format ${data.format}; this reader knows format 1`);
  const unknown = data.cases.find((c) => !isOptimizerName(c.optimizer));
  if (unknown)
    throw new Error(
      `${path}: case ${unknown.id} names optimizer ${JSON.stringify(unknown.optimizer)}; known optimizers: ${OPTIMIZER_NAMES.join(", ")}`,
    );
  return data.cases;
}

/** Gradient of a golden test function at x (float64). */
export function goldenGradient(fn: GoldenFunction, x: ArrayLike<number>): number[] {
  switch (fn.name) {
    case "rosenbrock": {
      // f = (a − x0)² + b·(x1 − x0²)²
      const a = fn.a ?? 1;
      const b = fn.b ?? 100;
      return [-2 * (a - x[0]) - 4 * b * x[0] * (x[1] - x[0] * x[0]), 2 * b * (x[1] - x[0] * x[0])];
    }
    case "quadratic": {
      // f = ½·Σ c_i·(x_i − center_i)²
      const c = fn.coeffs ?? [];
      return Array.from(x, (xi, i) => c[i] * (xi - (fn.center ? fn.center[i] : 0)));
    }
    case "logistic": {
      // f = mean(log(1 + e^z) − y·z), z = F·w; ∇f = Fᵀ(σ(z) − y)/n
      const F = fn.features ?? [];
      const y = fn.labels ?? [];
      const g = new Array<number>(x.length).fill(0);
      for (let r = 0; r < F.length; r++) {
        let z = 0;
        for (let j = 0; j < x.length; j++) z += F[r][j] * x[j];
        const s = 1 / (1 + Math.exp(-z)) - y[r];
        for (let j = 0; j < x.length; j++) g[j] += (F[r][j] * s) / F.length;
      }
      return g;
    }
    default:
      throw new Error(`unknown golden function ${JSON.stringify((fn as { name: string }).name)}`);
  }
}
