import type { Value } from "../codec.ts";
import { callable } from "./callable.ts";
import type { CallInput, Stored } from "./stored.ts";
import { type Cap, KNOWN_CAPS } from "./caps.ts";
import { type Call, type CallStep, type Step, brandCall } from "./effects.ts";

export { type Cap, KNOWN_CAPS };

/**
 * Expected cost as functions of n, the size of the encoded input in bytes, of running the
 * stage's `run` (its CPU implementation) on the reference machine. A backend's speed profile
 * scales it: a gpu-runner measures, at start-up, how much faster (or slower) its kernels are
 * than `run`, and the scheduler places calls with that, not with a guess.
 */
export interface CostModel {
  readonly runtimeMs: (n: number) => number;
  readonly outputBytes: (n: number) => number;
}

/** Element types a kernel's buffers hold (WGSL f32, u32, i32). */
export type KernelArray = Float32Array | Uint32Array | Int32Array;

/**
 * How one input becomes a dispatch. The gpu-runner binds, in @group(0):
 *
 *   @binding(0 .. k-1)  `inputs`, each as `var<storage, read>` (k may be 0)
 *   @binding(k)         the output, `var<storage, read_write>`, zero-filled, `output.length`
 *                       elements of `output.type`
 *   @binding(k+1)       `params` as `var<uniform>` u32 values, zero-padded to 16 bytes
 *
 * Every buffer is at least 16 bytes (WebGPU cannot bind an empty one): an empty input still
 * gets a buffer, and its true length belongs in `params`.
 */
export interface KernelBinding {
  readonly inputs: readonly KernelArray[];
  readonly output: { readonly type: "f32" | "u32" | "i32"; readonly length: number };
  readonly params: readonly number[];
  /** Workgroups to dispatch in x, y, z (each at most 65,535). */
  readonly workgroups: readonly [number, number, number];
}

/**
 * A WGSL compute kernel with the same semantics as the stage's `run` (its CPU reference).
 * The gpu-runner compiles `wgsl` once per stage, binds what `bind(input)` says, dispatches,
 * reads the output buffer back and hands it to `read`. `bind` and `read` are pure, like `run`.
 */
export interface SimdKernel<I, O> {
  readonly wgsl: string;
  readonly entryPoint: string;
  readonly bind: (input: I) => KernelBinding;
  /** The stage's result from the output buffer (exactly `output.length` elements). */
  readonly read: (output: KernelArray, input: I) => O;
}

export interface StageSpec<I extends Value, O extends Value> {
  /** Unique; with `version`, names the code in the log. */
  readonly name: string;
  readonly version: number;
  readonly caps: readonly Cap[];
  readonly timeoutMs: number;
  readonly cost: CostModel;
  /** Pure: the checker verifies it. For SIMD stages, the CPU reference implementation. */
  readonly run: (input: I) => O;
  readonly kernel?: SimdKernel<I, O>;
}

/** A stage is callable: `yield* stage(input)` is one call whose result is typed O. */
export interface Stage<I extends Value, O extends Value> extends StageSpec<I, O> {
  (input: CallInput<I>): CallStep<O>;
  /** The same call, whose result the job holds without reading it (core/sdk/stored.ts). */
  stored(input: CallInput<I>): CallStep<Stored<O>>;
  /** "name@version": how calls and the log refer to this code. */
  readonly ref: string;
}

export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

const NAME = /^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)*$/;

export function checkName(kind: string, name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new DefinitionError(`${kind} name must be lowercase words joined by "-" (optionally "/"-scoped), got ${JSON.stringify(name)}`);
  }
  return name;
}

function checkSpec<I extends Value, O extends Value>(spec: StageSpec<I, O>): void {
  const name = checkName("stage", spec.name);
  const where = `stage "${name}"`;
  if (!Number.isInteger(spec.version) || spec.version < 1) throw new DefinitionError(`${where}: version must be an integer >= 1`);
  if (!Array.isArray(spec.caps) || spec.caps.length === 0) throw new DefinitionError(`${where}: caps must list at least one capability`);
  for (const cap of spec.caps) {
    if (!(KNOWN_CAPS as readonly string[]).includes(cap)) {
      throw new DefinitionError(`${where}: unknown capability "${cap}" (known: ${KNOWN_CAPS.join(", ")})`);
    }
  }
  if (!(Number.isFinite(spec.timeoutMs) && spec.timeoutMs > 0)) throw new DefinitionError(`${where}: timeoutMs must be a positive number`);
  if (typeof spec.cost?.runtimeMs !== "function" || typeof spec.cost?.outputBytes !== "function") {
    throw new DefinitionError(`${where}: cost needs runtimeMs(n) and outputBytes(n) functions`);
  }
  if (typeof spec.run !== "function") throw new DefinitionError(`${where}: run must be a function`);
  if (spec.kernel && !spec.caps.includes("simd")) throw new DefinitionError(`${where}: a stage with a kernel needs the "simd" capability`);
}

export function defineStage<I extends Value, O extends Value>(spec: StageSpec<I, O>): Stage<I, O> {
  checkSpec(spec);
  const ref = `${spec.name}@${spec.version}`;
  function* steps<R>(input: CallInput<I>, held: boolean): Step<R> {
    const effect: Call = held ? { kind: "stage", target: ref, input, stored: true } : { kind: "stage", target: ref, input };
    return (yield effect) as R;
  }
  const call = (input: CallInput<I>): CallStep<O> => brandCall(steps<O>(input, false));
  const stored = (input: CallInput<I>): CallStep<Stored<O>> => brandCall(steps<Stored<O>>(input, true));
  return callable(call, "stage", { ...spec, ref, stored }) as unknown as Stage<I, O>;
}
