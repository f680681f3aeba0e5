import type { Value } from "../codec.ts";
import { KIND } from "./callable.ts";
import type { CodeLock } from "./code-identity.ts";
import type { Job } from "./job.ts";
import { DefinitionError, type Stage } from "./stage.ts";

type AnyStage = Stage<Value, Value>;
type AnyJob = Job<Value, Value>;

/**
 * The stages and jobs bundled with a deployment: nothing else can run. Both are keyed by ref
 * ("name@version"); several versions of one name may be bundled (older ones kept while jobs
 * started on them may still run: docs/versions.md). `findJob` answers a name with its latest.
 */
export interface Registry {
  readonly stages: ReadonlyMap<string, AnyStage>;
  readonly jobs: ReadonlyMap<string, AnyJob>;
  /** The code digests of what it bundles (paxflow.lock.json; code-identity.ts); absent without a lock. */
  readonly digests?: CodeLock;
}

/** Collects every stage and job exported by the given modules; two different definitions of one name@version are an error. */
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
 * A job's ref, "name@version". A job recorded before jobs had versions (a `job.accepted` without
 * `version`, a sub-job call naming a bare name) is version 1.
 */
export const jobRef = (name: string, version?: number): string => `${name}@${version ?? 1}`;

/** "name@version" split; a bare name has no version (`version` undefined). */
export function splitRef(ref: string): { readonly name: string; readonly version?: number } {
  const at = ref.lastIndexOf("@");
  if (at < 0) return { name: ref };
  const version = Number(ref.slice(at + 1));
  return Number.isSafeInteger(version) && version >= 1 && /^\d+$/.test(ref.slice(at + 1)) ? { name: ref.slice(0, at), version } : { name: ref };
}

/** A job call's target as today's code names it: a bare name (logged before job versions) is version 1. */
export const asJobRef = (target: string): string => (splitRef(target).version === undefined ? jobRef(target) : target);

/** Every bundled version of the job `name`, oldest first. */
export function versionsOf(registry: Registry, name: string): AnyJob[] {
  return [...registry.jobs.values()].filter((j) => j.name === name).sort((a, b) => a.version - b.version);
}

/** The job `nameOrRef` names: "name@version" exactly, or a bare name's latest (highest) version. */
export function findJob(registry: Registry, nameOrRef: string): AnyJob | undefined {
  const { version } = splitRef(nameOrRef);
  return version !== undefined ? registry.jobs.get(nameOrRef) : versionsOf(registry, nameOrRef).at(-1);
}

/** The names of the bundled jobs, each once. */
export const jobNames = (registry: Registry): string[] => [...new Set([...registry.jobs.values()].map((j) => j.name))];

/**
 * Why a job started as `ref` cannot go on with this registry: "VersionGone" when another
 * version of its name is bundled (its own was dropped by a deploy), else "UnknownJob".
 */
export function missingJob(registry: Registry, ref: string): { readonly name: "VersionGone" | "UnknownJob"; readonly message: string } {
  const others = versionsOf(registry, splitRef(ref).name).map((j) => j.ref);
  if (others.length === 0) return { name: "UnknownJob", message: `no job named "${ref}" is deployed` };
  return {
    name: "VersionGone",
    message: `job ${ref} is no longer deployed (deployed: ${others.join(", ")}); a job runs to its end on the version it started with, so keep ${ref} exported while jobs of it run`,
  };
}

/** A running job (or sub-job) and the ref of the code it runs on. */
export interface RunningJob {
  readonly id: string;
  readonly ref: string;
}

/**
 * The job versions running jobs use that `registry` does not bundle, each with those jobs' ids,
 * in ref order: what a deploy of that registry would fail with VersionGone.
 */
export function droppedVersions(registry: Registry, running: readonly RunningJob[]): { readonly ref: string; readonly jobs: string[] }[] {
  const dropped = new Map<string, string[]>();
  for (const { id, ref } of running) {
    const key = asJobRef(ref);
    if (registry.jobs.has(key)) continue;
    dropped.set(key, [...(dropped.get(key) ?? []), id]);
  }
  return [...dropped].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ref, jobs]) => ({ ref, jobs }));
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

/** The digest of a bundled stage or job ("name@version"), or undefined without a lock entry. */
export function digestOf(registry: Registry, kind: "stage" | "job", ref: string): string | undefined {
  const entries = kind === "stage" ? registry.digests?.stages : registry.digests?.jobs;
  return entries && Object.hasOwn(entries, ref) ? entries[ref] : undefined;
}
