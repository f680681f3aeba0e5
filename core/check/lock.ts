/**
 * The lock file (`paxflow.lock.json`, committed like a package lock): the code digest
 * (code-digest.ts) of every stage version and job the project has built, so that changing a
 * stage's code without a new `version` is refused at build time. `paxflow lock` adds new entries
 * (`--update` replaces changed ones, `--prune` drops those no longer defined); `paxflow check`
 * (and so `npm run build`) verifies the code against it. The runtime reads the same file: a
 * backend whose registry has another digest for a call's stage refuses it
 * (core/sdk/code-identity.ts).
 *
 * Jobs are locked the same way, by "name@version": a job whose code changed under the same version
 * is an error too (its jobs in flight would replay other code: docs/versions.md).
 */
import type { CodeIdentity } from "./analyze.ts";
import type { CodeLock } from "../sdk/code-identity.ts";
import type { Diagnostic } from "./rules.ts";

export const LOCK_FILE = "paxflow.lock.json";

const isRecordOfStrings = (v: unknown): v is Record<string, string> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((d) => typeof d === "string");

/** The lock in a file's text; throws a readable Error for anything else. */
export function parseLock(text: string): CodeLock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const lock = data as Partial<CodeLock> | null;
  if (!lock || !isRecordOfStrings(lock.stages) || !isRecordOfStrings(lock.jobs)) {
    throw new Error('expected { "stages": { "name@version": digest }, "jobs": { "name@version": digest } }');
  }
  // A lock written before jobs had versions keys them by bare name: those entries match nothing
  // (the jobs are lock/missing warnings until `paxflow lock --prune` records "name@version").
  return { stages: { ...lock.stages }, jobs: { ...lock.jobs } };
}

const sortedRecord = (r: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The lock as its file holds it: keys sorted, two-space indent, a final newline (stable diffs). */
export function formatLock(lock: CodeLock): string {
  return `${JSON.stringify({ stages: sortedRecord(lock.stages), jobs: sortedRecord(lock.jobs) }, null, 2)}\n`;
}

const section = (kind: CodeIdentity["kind"]): "stages" | "jobs" => (kind === "stage" ? "stages" : "jobs");

/** The message for a stage or job version whose code is not the code its lock entry was built from. */
export function changedMessage(c: CodeIdentity, locked: string): string {
  return `${c.kind} ${c.ref} changed code without a new version: lock has ${locked}, code has ${c.digest}; bump its version (or run \`paxflow lock --update\` if the old version never ran anywhere)`;
}

const at = (c: CodeIdentity, message: string, severity: Diagnostic["severity"], rule: Diagnostic["rule"]): Diagnostic => ({
  file: c.file,
  line: c.line,
  column: 1,
  rule,
  severity,
  message,
});

/** Definitions that share a ref with different code: two stages named the same. */
function conflicts(code: readonly CodeIdentity[]): Diagnostic[] {
  const first = new Map<string, CodeIdentity>();
  const out: Diagnostic[] = [];
  for (const c of code) {
    if (c.ref === undefined) continue;
    const key = `${c.kind} ${c.ref}`;
    const seen = first.get(key);
    if (!seen) first.set(key, c);
    else if (seen.digest !== c.digest) out.push(at(c, `${c.kind} ${c.ref} is defined twice with different code (${seen.digest} at ${seen.file}:${seen.line}, ${c.digest} here)`, "error", "lock/changed"));
  }
  return out;
}

/**
 * What `paxflow check` says about the code against a lock: an error for a stage or job version
 * whose digest differs from its entry, a warning for a definition not locked yet.
 */
export function verifyLock(lock: CodeLock, code: readonly CodeIdentity[]): Diagnostic[] {
  const out = conflicts(code);
  for (const c of code) {
    if (c.ref === undefined) continue;
    const locked = lock[section(c.kind)][c.ref];
    if (locked === undefined) out.push(at(c, `${c.kind} ${c.ref} is not in the lock yet (run \`paxflow lock\`)`, "warning", "lock/missing"));
    else if (locked !== c.digest) out.push(at(c, changedMessage(c, locked), "error", "lock/changed"));
  }
  return out;
}

export interface LockUpdate {
  /** The new lock (the old one when nothing changed). */
  readonly lock: CodeLock;
  /** "stage x@1 d" lines: entries added, replaced (--update), pruned (--prune). */
  readonly added: string[];
  readonly replaced: string[];
  readonly pruned: string[];
  /** Errors that leave the lock unwritten: a changed stage or job version without --update, a ref defined twice. */
  readonly errors: Diagnostic[];
  /** Definitions that cannot be locked: their name or version is not a constant. */
  readonly unlocked: CodeIdentity[];
}

/** `paxflow lock`: the lock with the code's new entries (see LockUpdate). */
export function updateLock(previous: CodeLock | undefined, code: readonly CodeIdentity[], options: { update?: boolean; prune?: boolean } = {}): LockUpdate {
  const lock: { stages: Record<string, string>; jobs: Record<string, string> } = { stages: { ...previous?.stages }, jobs: { ...previous?.jobs } };
  const added: string[] = [];
  const replaced: string[] = [];
  const pruned: string[] = [];
  const errors = conflicts(code);
  const defined = { stages: new Set<string>(), jobs: new Set<string>() };
  for (const c of code) {
    if (c.ref === undefined) continue;
    const entries = lock[section(c.kind)];
    defined[section(c.kind)].add(c.ref);
    const locked = entries[c.ref];
    if (locked === c.digest) continue;
    if (locked === undefined) added.push(`${c.kind} ${c.ref} ${c.digest}`);
    else if (!options.update) {
      errors.push(at(c, changedMessage(c, locked), "error", "lock/changed"));
      continue;
    } else replaced.push(`${c.kind} ${c.ref} ${locked} -> ${c.digest}`);
    entries[c.ref] = c.digest;
  }
  if (options.prune) {
    for (const name of ["stages", "jobs"] as const) {
      for (const ref of Object.keys(lock[name])) {
        if (defined[name].has(ref)) continue;
        pruned.push(`${name === "stages" ? "stage" : "job"} ${ref} ${lock[name][ref]}`);
        delete lock[name][ref];
      }
    }
  }
  return { lock, added, replaced, pruned, errors, unlocked: code.filter((c) => c.ref === undefined) };
}
