/**
 * The one TensorFlow.js optimizer class behind every optimizer of the library.
 *
 * A concrete optimizer is an `UpdateRule` (its math, written once over `Ops<T>`) plus resolved
 * hyper-parameters. This class adds what tfjs needs around it:
 * - state keyed by variable *name*, created lazily on the first gradient of a variable (the
 *   built-in tfjs optimizers index state by position, which silently mixes state when the
 *   gradient list changes order or subset);
 * - a per-variable step counter t (as `state['step']` in torch.optim), so bias corrections are
 *   right for variables that are updated only sometimes;
 * - a settable learning rate for schedules;
 * - `getWeights`/`setWeights` (iterations, learning rate, per-variable t and slots) so that
 *   `model.save(..., {includeOptimizer: true})` and `tf.loadLayersModel` continue the same
 *   trajectory, and `getConfig`/`fromConfig` for serialization.
 * Every step runs inside `tf.tidy`, so the number of live tensors is constant across steps.
 */
import * as tf from "@tensorflow/tfjs";
import { type Ops, tensorOps } from "./ops";
import { FUSED_ADAPTIVE_KERNEL, fusedKernelAvailable } from "./fused";
import type { AdaptiveCoefficients } from "./moments";
import {
  COMPILED_ADAPTIVE_KERNEL,
  compiledExponentSupported,
  compiledKernelAvailable,
  compiledStepInPlace,
  registerCompiledKernels,
} from "../backend/compiled";

registerCompiledKernels();

/** Per-step context handed to a rule. */
export interface StepContext {
  /** Step count of this variable, 1 on its first update. */
  t: number;
  /** Learning rate in force for this step (after any schedule). */
  lr: number;
  /** Learning rate the optimizer was constructed with (AdaBound scales its bounds by lr / initialLr). */
  initialLr: number;
}

/** The math of one optimizer, for one variable, generic over the array type. */
export interface UpdateRule<H, S extends string = string> {
  /** State slots this configuration keeps per variable, in save order. */
  slots(hp: H): readonly S[];
  /** Value every element of a slot starts at (0 except Yogi's accumulators). */
  initialValue(slot: S, hp: H): number;
  /** One update of x with gradient g; returns the new x and the new value of every slot. */
  step<T>(ops: Ops<T>, x: T, g: T, slots: Record<S, T>, hp: H, ctx: StepContext): { x: T; slots: Record<S, T> };
  /**
   * The step's coefficients, for rules of the adaptive-moment family (slots m, v and vMax; see
   * `AdaptiveCoefficients`): the one source the op-by-op rule, the fused and compiled kernels
   * and the effective-step analysis all use. Absent for the other rules.
   */
  coefficients?(hp: H, ctx: StepContext): AdaptiveCoefficients;
}

/**
 * How an adaptive-family optimizer executes its step (torch.optim's `fused=`), given with the
 * options of its constructor and not saved with them (it does not change the trajectory beyond
 * float32 rounding):
 * - `undefined` (default): the fastest path the backend has — the compiled SIMD pass
 *   (`backend/compiled.ts`) when it handles the step's exponent, else the JS loop on `cpu` and
 *   op by op elsewhere;
 * - `true`: a fused path is required: compiled, else the fused JS loop (`fused.ts`); an error if
 *   the backend has neither for the step;
 * - `"compiled"` / `"js"`: exactly that kernel (an error if the backend lacks it);
 * - `false`: op by op (one tfjs kernel per operation of the rule).
 */
export type FusedOption = boolean | "compiled" | "js" | undefined;
export interface ExecutionOptions {
  fused?: FusedOption;
}
const FUSED_CHOICES: readonly FusedOption[] = [undefined, true, false, "compiled", "js"];

/** Splits the execution options off a constructor's options (the rest are hyper-parameters). */
export function splitExecution<O extends object>(options: O & ExecutionOptions): [O, ExecutionOptions] {
  if (options == null || typeof options !== "object") return [options, {}];
  const { fused, ...rest } = options;
  return [rest as O, fused === undefined ? {} : { fused }];
}

type StepPath = "compiled" | "js" | "op-by-op";

/**
 * Which fused kernels can update a variable on a backend, given a gradient of its shape and
 * dtype: fixed for the variable (its dtype and shape never change), the backend (kernels are
 * registered at import) and the optimizer (the exponent depends on the hyper-parameters only).
 */
interface KernelFit {
  backend: string;
  compiled: boolean;
  js: boolean;
}

/** Options every optimizer has. */
export interface BaseOptions {
  learningRate: number;
}

interface VariableState {
  t: number;
  slots: Record<string, tf.Variable>;
}

/** A named tensor, as tf.Optimizer passes them (the type is not exported by @tensorflow/tfjs). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

const STEP_KEY = "t";

/**
 * The learning rate is saved as the two 32-bit halves of its float64 value (model weights can
 * only be float32 or int32), so that a restored run continues with exactly the same rate.
 */
function encodeFloat64(value: number): tf.Tensor {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return tf.tensor1d([view.getInt32(0), view.getInt32(4)], "int32");
}

function decodeFloat64(halves: ArrayLike<number>): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setInt32(0, halves[0]);
  view.setInt32(4, halves[1]);
  return view.getFloat64(0);
}
const LR_KEY = "lr";

export abstract class RuleOptimizer<H extends BaseOptions = BaseOptions, S extends string = string>
  extends tf.Optimizer
{
  /** Registry name ("padam", "adam", …). */
  readonly optimizerName: string;
  readonly rule: UpdateRule<H, S>;
  /** Resolved hyper-parameters, as constructed (learningRate is the initial rate). */
  readonly hyperparameters: Readonly<H>;
  private lr: number;
  private readonly state = new Map<string, VariableState>();
  /** `KernelFit` per variable, for the backend it was worked out on (see `kernelFit`). */
  private readonly kernelFits = new WeakMap<tf.Variable, KernelFit>();
  /** The `fused` constructor option (see `FusedOption`). */
  readonly fused: FusedOption;

  protected constructor(
    optimizerName: string,
    rule: UpdateRule<H, S>,
    hyperparameters: H,
    execution: ExecutionOptions = {},
  ) {
    super();
    if (!FUSED_CHOICES.includes(execution.fused)) {
      throw new Error(
        `${optimizerName}: option "fused" = ${JSON.stringify(execution.fused)} is not allowed; allowed: true, false, "compiled", "js" or undefined (fastest available)`,
      );
    }
    if (execution.fused !== undefined && execution.fused !== false && rule.coefficients === undefined) {
      throw new Error(
        `${optimizerName}: option "fused" = ${JSON.stringify(execution.fused)} is not allowed; this optimizer has no fused step (allowed: false or undefined)`,
      );
    }
    this.fused = execution.fused;
    this.optimizerName = optimizerName;
    this.rule = rule;
    this.hyperparameters = Object.freeze({ ...hyperparameters });
    this.lr = hyperparameters.learningRate;
  }

  /** Learning rate used by the next step. */
  getLearningRate(): number {
    return this.lr;
  }

  /** Sets the learning rate for the following steps (schedules call this). */
  setLearningRate(lr: number): void {
    if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
      throw new Error(
        `${this.optimizerName}: learning rate = ${lr} is out of range; allowed: finite learningRate >= 0`,
      );
    }
    this.lr = lr;
  }

  /** Names of the variables that have optimizer state, in creation order. */
  stateVariableNames(): string[] {
    return [...this.state.keys()];
  }

  /** Step count of one variable (0 if it was never updated). */
  variableStep(name: string): number {
    return this.state.get(name)?.t ?? 0;
  }

  /** The state slots of one variable (live variables owned by the optimizer; do not dispose). */
  variableSlots(name: string): Readonly<Record<string, tf.Variable>> | undefined {
    return this.state.get(name)?.slots;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list: NamedTensor[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const registered = tf.engine().registeredVariables;
    // Check every name before updating anything, so a bad call changes nothing.
    for (const { name } of list) {
      if (registered[name] == null) {
        throw new Error(`${this.optimizerName}.applyGradients: no variable named "${name}" is registered`);
      }
    }
    // Choose every path first as well: a `fused` request the backend cannot serve changes nothing.
    const paths = list.map(({ name, tensor: g }) => (g == null ? "op-by-op" : this.pathFor(registered[name], g)));
    list.forEach(({ name, tensor: g }, i) => {
      if (g == null) return; // a variable the loss does not depend on
      const x = registered[name];
      const st = this.stateFor(name, x);
      st.t += 1;
      const ctx: StepContext = { t: st.t, lr: this.lr, initialLr: this.hyperparameters.learningRate };
      const path = paths[i];
      if (path !== "op-by-op") {
        const coefficients = this.rule.coefficients!(this.hyperparameters, ctx);
        this.kernelStep(path === "compiled" ? COMPILED_ADAPTIVE_KERNEL : FUSED_ADAPTIVE_KERNEL, x, g, st, coefficients);
        return;
      }
      tf.tidy(() => {
        const current = {} as Record<S, tf.Tensor>;
        for (const s of Object.keys(st.slots) as S[]) current[s] = st.slots[s];
        const out = this.rule.step(tensorOps, x as tf.Tensor, g, current, this.hyperparameters, ctx);
        x.assign(out.x);
        for (const s of Object.keys(st.slots) as S[]) st.slots[s].assign(out.slots[s]);
      });
    });
    this.incrementIterations();
  }

  /** Which path runs this step: the `fused` option against what the backend has (see `FusedOption`). */
  private pathFor(x: tf.Variable, g: tf.Tensor): StepPath {
    if (this.rule.coefficients === undefined || this.fused === false) return "op-by-op";
    const fit = this.kernelFit(x);
    // The gradient is a new tensor every step, so it is checked every step.
    const plain = g.dtype === "float32" && tf.util.arraysEqual(x.shape, g.shape);
    const compiled = plain && fit.compiled;
    const js = plain && fit.js;
    // Default: the JS loop only on cpu (on wasm the SIMD op-by-op kernels beat it).
    if (this.fused === undefined) return compiled ? "compiled" : js && fit.backend === "cpu" ? "js" : "op-by-op";
    const path: StepPath | undefined =
      this.fused === "compiled"
        ? compiled
          ? "compiled"
          : undefined
        : this.fused === "js"
          ? js
            ? "js"
            : undefined
          : compiled
            ? "compiled"
            : js
              ? "js"
              : undefined;
    if (path === undefined) {
      throw new Error(
        `${this.optimizerName}: option "fused" = ${JSON.stringify(this.fused)} cannot run on backend "${fit.backend}" for variable "${x.name}" (dtype ${x.dtype}, exponent ${this.stepExponent()}); the compiled pass needs float32 and an exponent in {0, 1, 1/2, 1/4, 1/8}, the JS loop the cpu or wasm backend; use fused: undefined for the fastest available path`,
      );
    }
    return path;
  }

  /** The `KernelFit` of `x` on the active backend, worked out on its first step there. */
  private kernelFit(x: tf.Variable): KernelFit {
    const backend = tf.getBackend();
    let fit = this.kernelFits.get(x);
    if (fit?.backend !== backend) {
      const float32 = x.dtype === "float32";
      fit = {
        backend,
        compiled: float32 && compiledKernelAvailable() && compiledExponentSupported(this.stepExponent()),
        js: float32 && fusedKernelAvailable(),
      };
      this.kernelFits.set(x, fit);
    }
    return fit;
  }

  /** The exponent of the adaptive step: it depends on the hyper-parameters only, not on t or lr. */
  private stepExponent(): number {
    const ctx = { t: 1, lr: this.lr, initialLr: this.hyperparameters.learningRate };
    return this.rule.coefficients!(this.hyperparameters, ctx).exponent;
  }

  /** The same update through one kernel (compiled or JS): one pass instead of one kernel per operation. */
  private kernelStep(kernel: string, x: tf.Variable, g: tf.Tensor, st: VariableState, c: AdaptiveCoefficients): void {
    const { m, v, vMax } = st.slots;
    if (kernel === COMPILED_ADAPTIVE_KERNEL && compiledStepInPlace(x, g, m, v, vMax, c)) return;
    const inputs: tf.NamedTensorMap = vMax ? { x, g, m, v, vMax } : { x, g, m, v };
    const outs = tf.engine().runKernel(kernel, inputs, c as unknown as tf.NamedAttrMap) as tf.Tensor[];
    x.assign(outs[0]);
    m.assign(outs[1]);
    v.assign(outs[2]);
    if (vMax) vMax.assign(outs[3]);
    tf.dispose(outs);
  }

  private stateFor(name: string, x: tf.Variable): VariableState {
    let st = this.state.get(name);
    if (st == null) {
      st = this.adoptRestoredState(name) ?? this.newState(x);
      this.state.set(name, st);
    }
    return st;
  }

  private newState(x: tf.Variable): VariableState {
    const slots: Record<string, tf.Variable> = {};
    for (const s of this.rule.slots(this.hyperparameters)) {
      const init = this.rule.initialValue(s, this.hyperparameters);
      slots[s] = tf.tidy(() => tf.fill(x.shape, init, x.dtype).variable(false));
    }
    return { t: 0, slots };
  }

  /**
   * A model loaded in a process where its saved variable names are taken gets names with a
   * `_N` suffix (tfjs-layers makes variable names unique). State restored under the saved name
   * is handed to such a variable when no variable of the saved name exists any more.
   */
  private adoptRestoredState(name: string): VariableState | undefined {
    const saved = name.replace(/_\d+$/, "");
    if (saved === name) return undefined;
    const st = this.state.get(saved);
    if (st == null || tf.engine().registeredVariables[saved] != null) return undefined;
    this.state.delete(saved);
    return st;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const weights: NamedTensor[] = [await this.saveIterations(), { name: LR_KEY, tensor: encodeFloat64(this.lr) }];
    for (const [name, st] of this.state) {
      weights.push({ name: `${name}/${STEP_KEY}`, tensor: tf.scalar(st.t, "int32") });
      for (const [slot, v] of Object.entries(st.slots)) weights.push({ name: `${name}/${slot}`, tensor: v });
    }
    return weights;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    this.checkRestoredWeights(weightValues); // before anything is assigned
    const rest = await this.extractIterations(weightValues);
    const restored = new Map<string, VariableState>();
    for (const { name, tensor } of rest) {
      if (name === LR_KEY) {
        this.lr = decodeFloat64(await tensor.data());
        continue;
      }
      const cut = name.lastIndexOf("/");
      const variable = name.slice(0, cut);
      const key = name.slice(cut + 1);
      let st = restored.get(variable);
      if (st == null) restored.set(variable, (st = { t: 0, slots: {} }));
      if (key === STEP_KEY) st.t = (await tensor.data())[0];
      else st.slots[key] = tf.tidy(() => tensor.clone().variable(false));
    }
    for (const [variable, st] of restored) {
      this.disposeState(this.state.get(variable));
      this.state.set(variable, st);
    }
  }

  /**
   * Checks state given to `setWeights` against what this optimizer keeps: "iter" (a scalar)
   * first, then "lr" and, per variable, its step count (a scalar) and every slot of the rule with
   * the variable's shape and dtype. The variable must be registered, under its name or, for a
   * model loaded where that name was taken, as `<name>_<n>` (see adoptRestoredState).
   */
  private checkRestoredWeights(weightValues: NamedTensor[]): void {
    const [first, ...rest] = weightValues;
    if (first?.name !== "iter" || first.tensor.rank !== 0) {
      throw new Error(
        `${this.optimizerName}.setWeights: the first weight must be the iteration count "iter" (shape []), got ${first ? `"${first.name}" with shape [${first.tensor.shape}]` : "no weights"}`,
      );
    }
    const expected = new Set<string>(this.rule.slots(this.hyperparameters));
    const given = new Map<string, Set<string>>(); // variable ("" for lr) -> keys seen
    for (const { name, tensor } of rest) {
      const cut = name.lastIndexOf("/");
      const [variable, key] = name === LR_KEY ? ["", LR_KEY] : [name.slice(0, cut), name.slice(cut + 1)];
      if (name !== LR_KEY && (cut <= 0 || (key !== STEP_KEY && !expected.has(key)))) {
        throw new Error(
          `${this.optimizerName}.setWeights: unexpected weight "${name}"; expected "${LR_KEY}", "<variable>/${STEP_KEY}" or "<variable>/<slot>" with slot in {${[...expected].join(", ")}}`,
        );
      }
      const keys = given.get(variable) ?? new Set<string>();
      if (keys.has(key)) throw new Error(`${this.optimizerName}.setWeights: weight "${name}" is given twice`);
      given.set(variable, keys.add(key));
      this.checkRestoredShape(name, tensor, expected.has(key) ? variable : undefined);
    }
    for (const [variable, keys] of given) {
      const missing = variable === "" ? [] : [...expected].filter((s) => !keys.has(s));
      if (missing.length > 0)
        throw new Error(`${this.optimizerName}.setWeights: variable "${variable}" lacks slot(s) ${missing.join(", ")}`);
    }
  }

  /** A slot must match its variable's shape and dtype; lr is two int32 halves, a step count a scalar. */
  private checkRestoredShape(name: string, tensor: tf.Tensor, slotOf?: string): void {
    const target = slotOf === undefined ? undefined : this.restoreTarget(slotOf, tensor.shape);
    if (slotOf !== undefined && target === undefined) {
      throw new Error(
        `${this.optimizerName}.setWeights: weight "${name}" belongs to no registered variable (neither "${slotOf}" nor "${slotOf}_<n>" exists)`,
      );
    }
    const shape = target?.shape ?? (name === LR_KEY ? [2] : []);
    const dtype = target?.dtype ?? "int32";
    if (!tf.util.arraysEqual(tensor.shape, shape) || tensor.dtype !== dtype) {
      throw new Error(
        `${this.optimizerName}.setWeights: weight "${name}" has shape [${tensor.shape}] (${tensor.dtype}); expected [${shape}] (${dtype})${target ? `, as variable "${target.name}"` : ""}`,
      );
    }
  }

  /** The registered variable restored state named `variable` will belong to (preferring one of `shape`). */
  private restoreTarget(variable: string, shape: number[]): tf.Variable | undefined {
    const registered = tf.engine().registeredVariables;
    if (registered[variable] != null) return registered[variable];
    const renamed = Object.keys(registered).filter(
      (n) => n.startsWith(`${variable}_`) && /^\d+$/.test(n.slice(variable.length + 1)),
    );
    return renamed.map((n) => registered[n]).find((v) => tf.util.arraysEqual(v.shape, shape)) ?? registered[renamed[0]];
  }

  /** Rebuilds an optimizer from `getConfig()` output (tfjs-layers adds a `customObjects` key on load). */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { customObjects: _added, ...options } = config;
    return new cls(options);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...(this.hyperparameters as unknown as tf.serialization.ConfigDict) };
  }

  override dispose(): void {
    for (const st of this.state.values()) this.disposeState(st);
    this.state.clear();
    super.dispose();
  }

  private disposeState(st: VariableState | undefined): void {
    if (st == null) return;
    for (const v of Object.values(st.slots)) v.dispose();
  }
}
