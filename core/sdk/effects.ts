/**
 * What a job yields. Jobs never run stages themselves: they describe calls, the commander
 * decides where and when they run, and replay feeds the recorded results back.
 */
import type { Value } from "../codec.ts";

/** One call of a stage ("name@version") or of a sub-job ("name"). */
export interface Call {
  readonly kind: "stage" | "job";
  readonly target: string;
  readonly input: Value;
}

/** Several calls that run concurrently; the job resumes when all have results. */
export interface Parallel {
  readonly kind: "all";
  readonly calls: readonly Call[];
}

export type Effect = Call | Parallel;

/** The generator a stage or job call returns: it yields one effect and returns the typed result. */
export type Step<T> = Generator<Effect, T, unknown>;

export const isEffect = (x: unknown): x is Effect =>
  typeof x === "object" &&
  x !== null &&
  ((((x as Call).kind === "stage" || (x as Call).kind === "job") && typeof (x as Call).target === "string") ||
    ((x as Parallel).kind === "all" && Array.isArray((x as Parallel).calls)));
