import type { Value } from "../codec.ts";
import { KIND } from "./callable.ts";
import type { Job } from "./job.ts";
import { DefinitionError, type Stage } from "./stage.ts";

type AnyStage = Stage<Value, Value>;
type AnyJob = Job<Value, Value>;

/** The stages and jobs bundled with a deployment: nothing else can run. */
export interface Registry {
  readonly stages: ReadonlyMap<string, AnyStage>;
  readonly jobs: ReadonlyMap<string, AnyJob>;
}

/** Collects every stage and job exported by the given modules; duplicate names are an error. */
export function createRegistry(...modules: readonly object[]): Registry {
  const stages = new Map<string, AnyStage>();
  const jobs = new Map<string, AnyJob>();
  for (const module of modules) {
    for (const value of Object.values(module)) {
      const kind = typeof value === "function" ? (value as { [KIND]?: string })[KIND] : undefined;
      if (kind === "stage") add(stages, (value as AnyStage).ref, value as AnyStage, "stage");
      if (kind === "job") add(jobs, (value as AnyJob).ref, value as AnyJob, "job");
    }
  }
  return { stages, jobs };
}

function add<T>(into: Map<string, T>, ref: string, value: T, kind: string) {
  const existing = into.get(ref);
  if (existing !== undefined && existing !== value) throw new DefinitionError(`two different ${kind}s are named "${ref}"`);
  into.set(ref, value);
}
