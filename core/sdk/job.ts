import type { Value } from "../codec.ts";
import { callable } from "./callable.ts";
import type { Call, Effect, Parallel, Step } from "./effects.ts";
import { DefinitionError, checkName } from "./stage.ts";

export interface JobSpec<I extends Value, O extends Value> {
  readonly name: string;
  /** Deterministic generator: replayed from the log, so it may only yield calls. */
  readonly run: (input: I) => Generator<Effect, O, unknown>;
}

/** A job is callable too: `yield* job(input)` runs it as a sub-job and returns its result. */
export interface Job<I extends Value, O extends Value> extends JobSpec<I, O> {
  (input: I): Step<O>;
  readonly ref: string;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;

export function defineJob<I extends Value, O extends Value>(spec: JobSpec<I, O>): Job<I, O> {
  const name = checkName("job", spec.name);
  if (!(spec.run instanceof GeneratorFunction)) {
    throw new DefinitionError(`job "${name}": run must be a generator function (*run(input) { ... })`);
  }
  function* call(input: I): Step<O> {
    const effect: Call = { kind: "job", target: name, input };
    return (yield effect) as O;
  }
  return callable(call, "job", { name, run: spec.run, ref: name }) as unknown as Job<I, O>;
}

type Results<T extends readonly Step<unknown>[]> = { -readonly [K in keyof T]: T[K] extends Step<infer R> ? R : never };

/** The call a stage or job call would yield, without running it. */
function callOf(step: Step<unknown>, index: number): Call {
  const first = step.next();
  const effect = first.done ? undefined : first.value;
  if (!effect || effect.kind === "all") {
    throw new TypeError(`all(): argument ${index} is not a stage or job call (nested all() is not supported; flatten it)`);
  }
  return effect;
}

/**
 * Runs calls concurrently and resumes with all their results, in argument order:
 * `const [a, b] = yield* all(stageA(x), stageB(y))`, or `yield* all(xs.map((x) => stage(x)))`.
 * If any call fails, the job resumes with the first failure (in argument order) thrown.
 */
export function all<T extends readonly Step<unknown>[]>(...steps: T): Step<Results<T>>;
export function all<T>(steps: readonly Step<T>[]): Step<T[]>;
export function* all(...args: unknown[]): Step<unknown[]> {
  const steps = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as Step<unknown>[];
  if (steps.length === 0) return [];
  const effect: Parallel = { kind: "all", calls: steps.map(callOf) };
  return (yield effect) as unknown[];
}
