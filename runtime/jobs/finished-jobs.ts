/**
 * Where a commander keeps finished jobs: off the heap, for JOB_RETENTION. A finished tree is
 * final (no decision changes a job once it ended), so it is written once, in the slot that ended
 * it, and read by id; memory holds only running jobs (JobsState with retainFinished 0) and a
 * bounded cache. Two implementations answer alike (test/shared/finished-jobs-conformance.ts):
 * this in-memory one (tests, the memory shard, benchmarks) and SQLite in the Commander Durable
 * Object (durable-objects/finished-jobs-sqlite.ts).
 *
 * Completeness: `completeThrough` is the slot through which the store holds every job retired
 * (less the expired ones). A commander that applies every slot keeps it moving with the log; one
 * that adopts a snapshot skips slots, and copies the jobs retired in the skipped ones from the
 * snapshot's author (job-driver.ts fillGap), which was complete through the snapshot when it
 * took it. Until then its store has a gap, and it does not answer from it as leader.
 */
import type { JobId, NodeId } from "../../core/jobs/decisions.ts";
import { type TreeBlob, recordBlobs } from "../../core/jobs/payload-holds.ts";
import type { RetiredJob } from "../../core/jobs/retention.ts";
import { upgradeJob } from "../../core/jobs/legacy-records.ts";
import { type JobRecord, type JobStatus, outcomeOf, takenFrom } from "../../core/jobs/state.ts";
import { type Viewer, mayAccess } from "../../core/jobs/tenancy.ts";
import type { JobSummary, ListJobsQuery } from "./contract.ts";

export type StoredJob = RetiredJob<JobRecord>;

/**
 * A row in today's record shape: a peer that still runs older code hands over rows in its shape
 * (job-driver.ts fillGap), and SQLite holds rows older code wrote (legacy-records.ts).
 */
export function upgradeStored(row: StoredJob): StoredJob {
  const record = upgradeJob(row.record);
  return record === row.record ? row : { ...row, record };
}

/** Where a page of `between` starts: after this (slot, id). */
export interface StoreCursor {
  readonly slot: number;
  readonly id: JobId;
}

export type StoredSummary = Omit<JobSummary, "shard">;

/** Another commander of the shard, as one filling its gap reaches it (an RPC in the Durable Objects). */
export interface FinishedJobsPeer {
  finishedBetween(after: number, through: number, cursor: StoreCursor | null, limit: number): Promise<StoredJob[]>;
}

export interface FinishedJobs {
  /** A finished job that is still here, by id (sub-jobs too); whether it expired is the reader's rule (retention.ts). */
  get(id: JobId): StoredJob | undefined;
  /** Keeps these jobs; the same job again replaces itself (a slot applied twice writes the same rows). */
  put(rows: readonly StoredJob[]): void;
  /**
   * Removes every tree retired at or before `cutoff` (retention.ts retentionCutoff), and says
   * which large payloads each named (recordBlobs), for their holds to go (payload-holds.ts).
   */
  expire(cutoff: number): TreeBlob[];
  /** The slot through which every retired job is here (see above); 0 for a new store. */
  completeThrough(): number;
  setCompleteThrough(slot: number): void;
  /** Jobs retired in slots after `after` through `through`, by (slot, id), after `cursor`, at most `limit`: a peer's gap. */
  between(after: number, through: number, cursor: StoreCursor | null, limit: number): StoredJob[];
  /**
   * Top-level jobs the viewer may see, newest accepted first (acceptedAt, then id, descending), as
   * listJobs pages them, leaving out those retired at or before `cutoff` (expired, maybe not yet
   * swept): a page is short only at the end.
   */
  list(query: ListJobsQuery, cutoff: number): StoredSummary[];
  /** Jobs kept (sub-jobs included), by status. */
  counts(): Record<Exclude<JobStatus, "running">, number>;
  /** The kept jobs' calls by node and outcome (callTally), summed. */
  callCounts(): CallCount[];
}

export interface CallCount {
  readonly node: NodeId;
  readonly outcome: "ok" | "failed" | "running";
  readonly count: number;
}

/** The key callTally counts a (node, outcome) under. */
export const callKey = (node: NodeId, outcome: CallCount["outcome"]): string => `${node}\u0000${outcome}`;

/**
 * A job's calls by the node that answered them (or runs them now) and how they ended, as GET
 * /metrics counts them; a call of an ended job that never got a result is not counted.
 */
export function callTally(job: JobRecord, into = new Map<string, { node: NodeId; outcome: CallCount["outcome"]; count: number }>()) {
  for (const call of job.calls) {
    const node = takenFrom(call) ?? (call.kind === "stage" ? call.attempts.at(-1)?.node : undefined);
    if (node === undefined) continue;
    const result = outcomeOf(call);
    const outcome = result ? (result.ok ? "ok" : "failed") : job.status === "running" ? "running" : null;
    if (outcome === null) continue;
    const key = callKey(node, outcome);
    const entry = into.get(key) ?? { node, outcome, count: 0 };
    entry.count++;
    into.set(key, entry);
  }
  return into;
}

export const summaryOf = (job: JobRecord): StoredSummary => ({
  id: job.id,
  name: job.name,
  version: job.version ?? 1,
  status: job.status,
  acceptedAt: job.acceptedAt,
  ...(job.finishedAt === undefined ? {} : { finishedAt: job.finishedAt }),
  calls: job.calls.length,
});

/** listJobs' order: newest accepted first, ties by id, descending. */
export const newestFirst = (a: { acceptedAt: number; id: JobId }, b: { acceptedAt: number; id: JobId }): number =>
  b.acceptedAt - a.acceptedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Whether a job falls in a listJobs page: top-level, of the status asked, visible to the viewer, before the cursor. */
export function listed(job: JobRecord, query: ListJobsQuery): boolean {
  const before = query.before;
  if (job.parent || (query.status && job.status !== query.status) || !mayAccess(job, query.viewer)) return false;
  return !before || job.acceptedAt < before.acceptedAt || (job.acceptedAt === before.acceptedAt && job.id < before.id);
}

/** The submitter a viewer is limited to: none for an admin. */
export const tenantOf = (viewer: Viewer): string | null => (viewer.kind === "admin" ? null : viewer.name);

export class MemoryFinishedJobs implements FinishedJobs {
  private readonly rows = new Map<JobId, StoredJob>();
  private through = 0;

  get(id: JobId): StoredJob | undefined {
    // A copy, as SQLite gives: a reader must not reach into the store.
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }

  put(rows: readonly StoredJob[]): void {
    for (const row of rows) this.rows.set(row.id, structuredClone(upgradeStored(row)));
  }

  expire(cutoff: number): TreeBlob[] {
    const gone = new Map<string, TreeBlob>();
    for (const row of this.rows.values()) {
      if (row.retiredAt > cutoff) continue;
      // A tree expires whole: its root is here, and goes in the same sweep.
      const run = this.rows.get(row.root)?.record.acceptedAt ?? row.record.acceptedAt;
      for (const sha256 of recordBlobs(row.record)) gone.set(`${sha256}/${row.root}`, { sha256, root: row.root, run });
    }
    for (const [id, row] of this.rows) if (row.retiredAt <= cutoff) this.rows.delete(id);
    return [...gone.values()];
  }

  completeThrough(): number {
    return this.through;
  }

  setCompleteThrough(slot: number): void {
    this.through = slot;
  }

  between(after: number, through: number, cursor: StoreCursor | null, limit: number): StoredJob[] {
    return [...this.rows.values()]
      .filter((r) => r.slot > after && r.slot <= through && (!cursor || r.slot > cursor.slot || (r.slot === cursor.slot && r.id > cursor.id)))
      .sort((a, b) => a.slot - b.slot || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, Math.max(0, limit))
      .map((r) => structuredClone(r));
  }

  list(query: ListJobsQuery, cutoff: number): StoredSummary[] {
    return [...this.rows.values()]
      .filter((r) => r.retiredAt > cutoff)
      .map((r) => r.record)
      .filter((job) => listed(job, query))
      .sort(newestFirst)
      .slice(0, query.limit)
      .map(summaryOf);
  }

  counts(): Record<Exclude<JobStatus, "running">, number> {
    const counts = { done: 0, failed: 0, cancelled: 0 };
    for (const { record } of this.rows.values()) if (record.status !== "running") counts[record.status]++;
    return counts;
  }

  callCounts(): CallCount[] {
    const tally = new Map<string, { node: NodeId; outcome: CallCount["outcome"]; count: number }>();
    for (const { record } of this.rows.values()) callTally(record, tally);
    return [...tally.values()];
  }
}
