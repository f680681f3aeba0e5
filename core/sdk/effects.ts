/**
 * What a job yields. Jobs never run stages themselves: they describe calls, the commander
 * decides where and when they run, and replay feeds the recorded results back.
 */
import type { CallInput } from "./stored.ts";

/** One call of a stage ("name@version") or of a sub-job ("name"). */
export interface Call {
  readonly kind: "stage" | "job";
  readonly target: string;
  readonly input: CallInput;
  /** The job takes the result as a Stored (stage.stored(...)): held, not read. */
  readonly stored?: true;
}

/** Several calls that run concurrently; the job resumes when all have results. */
export interface Parallel {
  readonly kind: "all";
  readonly calls: readonly Call[];
}

export type Effect = Call | Parallel;

/** A job body, or any generator that yields effects and returns T. */
export type Step<T> = Generator<Effect, T, unknown>;

const CALL = Symbol("paxflow.call");

/**
 * What calling a stage or a job returns: a Step that yields exactly one call. Branded, so
 * all() can refuse a helper generator (which may make several calls one after another).
 */
export type CallStep<T> = Step<T> & { readonly [CALL]: true };

export function brandCall<T>(step: Step<T>): CallStep<T> {
  Object.defineProperty(step, CALL, { value: true });
  return step as CallStep<T>;
}

export const isCallStep = (x: unknown): x is CallStep<unknown> => typeof x === "object" && x !== null && CALL in x;

export const isEffect = (x: unknown): x is Effect =>
  typeof x === "object" &&
  x !== null &&
  ((((x as Call).kind === "stage" || (x as Call).kind === "job") && typeof (x as Call).target === "string") ||
    ((x as Parallel).kind === "all" && Array.isArray((x as Parallel).calls)));
