import type { Value } from "../codec.ts";
import { KIND } from "./callable.ts";
import type { CodeLock } from "./code-identity.ts";
import type { Job } from "./job.ts";
import { DefinitionError, type Stage } from "./stage.ts";

type AnyStage = Stage<Value, Value>;
type AnyJob = Job<Value, Value>;

/** The stages and jobs bundled with a deployment: nothing else can run. */
export interface Registry {
  readonly stages: ReadonlyMap<string, AnyStage>;
  readonly jobs: ReadonlyMap<string, AnyJob>;
  /** The code digests of what it bundles (paxflow.lock.json; code-identity.ts); absent without a lock. */
  readonly digests?: CodeLock;
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

/**
 * The registry with the code digests of a lock (`import lock from "./paxflow.lock.json" with
 * { type: "json" }`): its backends refuse calls dispatched for other code (code-identity.ts).
 * Only the entries of what the registry bundles are kept.
 */
export function withCodeDigests(registry: Registry, lock: CodeLock): Registry {
  const pick = (entries: Readonly<Record<string, string>>, bundled: ReadonlyMap<string, unknown>) =>
    Object.fromEntries(Object.entries(entries).filter(([ref]) => bundled.has(ref)));
  return { ...registry, digests: { stages: pick(lock.stages, registry.stages), jobs: pick(lock.jobs, registry.jobs) } };
}

/** The digest of a bundled stage ("name@version") or job (name), or undefined without a lock entry. */
export function digestOf(registry: Registry, kind: "stage" | "job", ref: string): string | undefined {
  const entries = kind === "stage" ? registry.digests?.stages : registry.digests?.jobs;
  return entries && Object.hasOwn(entries, ref) ? entries[ref] : undefined;
}
