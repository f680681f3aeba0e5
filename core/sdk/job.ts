import type { Value } from "../codec.ts";
import { callable } from "./callable.ts";
import { type Call, type CallStep, type Effect, type Parallel, type Step, brandCall, isCallStep } from "./effects.ts";
import { DefinitionError, checkName } from "./stage.ts";
import type { CallInput } from "./stored.ts";

/**
 * The part of Standard Schema (https://standardschema.dev) paxflow uses: zod, valibot and
 * arktype schemas all carry it, so a job can name its input's shape without paxflow
 * depending on any of them.
 */
export interface InputSchema<I> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<I> | Promise<StandardResult<I>>;
  };
}

export type StandardResult<I> =
  | { readonly value: I; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] }[] };

export interface JobSpec<I extends Value, O extends Value> {
  readonly name: string;
  /**
   * Which code of the job this is (default 1): with `name`, names it in the log ("name@version").
   * A job runs to its end on the version it started with, so bump it when the job's code (or a
   * stage version it calls) changes, and keep the old one exported while jobs of it may run
   * (docs/versions.md).
   */
  readonly version?: number;
  /** Deterministic generator: replayed from the log, so it may only yield calls. */
  readonly run: (input: I) => Generator<Effect, O, unknown>;
  /** Optional: the API refuses inputs this schema rejects (400 naming the field) before a job exists. */
  readonly input?: InputSchema<I>;
}

/** A job is callable too: `yield* job(input)` runs it as a sub-job and returns its result. */
export interface Job<I extends Value, O extends Value> extends JobSpec<I, O> {
  (input: CallInput<I>): CallStep<O>;
  readonly version: number;
  /** "name@version": how calls, the registry and the log refer to this code. */
  readonly ref: string;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;

export function defineJob<I extends Value, O extends Value>(spec: JobSpec<I, O>): Job<I, O> {
  const name = checkName("job", spec.name);
  const version = spec.version ?? 1;
  if (!Number.isInteger(version) || version < 1) throw new DefinitionError(`job "${name}": version must be an integer >= 1`);
  const ref = `${name}@${version}`;
  if (!(spec.run instanceof GeneratorFunction)) {
    throw new DefinitionError(`job "${name}": run must be a generator function (*run(input) { ... })`);
  }
  function* steps(input: CallInput<I>): Step<O> {
    const effect: Call = { kind: "job", target: ref, input };
    return (yield effect) as O;
  }
  const call = (input: CallInput<I>): CallStep<O> => brandCall(steps(input));
  if (spec.input !== undefined && typeof spec.input?.["~standard"]?.validate !== "function") {
    throw new DefinitionError(`job "${name}": input must be a Standard Schema (zod, valibot, arktype, ...)`);
  }
  const base = { name, version, run: spec.run, ref };
  const props = spec.input === undefined ? base : { ...base, input: spec.input };
  return callable(call, "job", props) as unknown as Job<I, O>;
}

type Results<T extends readonly CallStep<unknown>[]> = { -readonly [K in keyof T]: T[K] extends CallStep<infer R> ? R : never };

/** The call a stage or job call would yield, without running it. */
function callOf(step: unknown, index: number, seen: Set<unknown>): Call {
  if (!isCallStep(step)) {
    throw new TypeError(`all(): argument ${index} is not a stage or job call; all() runs calls, not helper generators (call the helper's stages directly)`);
  }
  if (seen.has(step)) throw new TypeError(`all(): argument ${index} is a call object already passed before; call the stage again for a second call`);
  seen.add(step);
  const first = step.next();
  return first.value as Call;
}

/**
 * Runs calls concurrently and resumes with all their results, in argument order:
 * `const [a, b] = yield* all(stageA(x), stageB(y))`, `yield* all([stageA(x), stageB(y)])`, or
 * `yield* all(xs.map((x) => stage(x)))`. If any call fails, the job resumes with the first
 * failure (in argument order) thrown.
 */
export function all<T extends readonly CallStep<unknown>[]>(...calls: T): Step<Results<T>>;
export function all<T extends readonly CallStep<unknown>[]>(calls: readonly [...T]): Step<Results<T>>;
export function* all(...args: unknown[]): Step<unknown[]> {
  const steps = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (steps.length === 0) return [];
  const seen = new Set<unknown>();
  const effect: Parallel = { kind: "all", calls: steps.map((step, i) => callOf(step, i, seen)) };
  return (yield effect) as unknown[];
}
