import type { JobId } from "../core/jobs/decisions.ts";
import { upgradeJob } from "../core/jobs/legacy-records.ts";
import { type TreeBlob, recordBlobs } from "../core/jobs/payload-holds.ts";
import type { JobRecord, JobStatus } from "../core/jobs/state.ts";
import type { ListJobsQuery } from "../runtime/jobs/contract.ts";
import { type CallCount, type FinishedJobs, type StoreCursor, type StoredJob, type StoredSummary, callTally, summaryOf, tenantOf, upgradeStored } from "../runtime/jobs/finished-jobs.ts";

/** At most 3 UTF-8 bytes per UTF-16 unit: 600k units stay under SQLite's 2 MB per value. */
const PART_CHARS = 600_000;

const SCHEMA = [
  // One row per finished job (sub-jobs too); the columns are what lists and expiry select on,
  // the record itself is its JSON. A tree is retired and expired whole (root, retired_at).
  `CREATE TABLE IF NOT EXISTS finished_job (
     id TEXT PRIMARY KEY, root TEXT NOT NULL, retired_at INTEGER NOT NULL, slot INTEGER NOT NULL,
     top INTEGER NOT NULL, status TEXT NOT NULL, accepted_at INTEGER NOT NULL, submitted_by TEXT, parts INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS finished_job_retired ON finished_job (retired_at)",
  "CREATE INDEX IF NOT EXISTS finished_job_slot ON finished_job (slot, id)",
  "CREATE INDEX IF NOT EXISTS finished_job_listed ON finished_job (top, accepted_at, id)",
  // A job with thousands of calls can outgrow one SQLite value (2 MB): its JSON is stored in parts.
  "CREATE TABLE IF NOT EXISTS finished_part (id TEXT NOT NULL, part INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (id, part))",
  "CREATE TABLE IF NOT EXISTS finished_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
  // Each job's calls by node and outcome (callTally), so GET /metrics sums them without reading every job.
  "CREATE TABLE IF NOT EXISTS finished_calls (id TEXT NOT NULL, node TEXT NOT NULL, outcome TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (id, node, outcome))",
  // The large payloads each job names (recordBlobs), so an expiry says whose holds go without
  // parsing the jobs it removes (runtime/jobs/payload-holds.ts). Jobs stored before it have none.
  "CREATE TABLE IF NOT EXISTS finished_blob (id TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (id, sha256))",
];

interface Row {
  id: string;
  root: string;
  retired_at: number;
  slot: number;
  [key: string]: SqlStorageValue;
}

/**
 * The Commander's finished jobs in its Durable Object's SQLite (see runtime/jobs/finished-jobs.ts).
 * Every method is synchronous: the writes of one applied slot land in the same implicit
 * transaction as the rest of that event's writes, and the output gate holds every reply until
 * they are durable, so nothing answers from a row that could still be lost.
 */
export class SqliteFinishedJobs implements FinishedJobs {
  /** The most recently read records, newest last (Map order): reads of a hot job skip the parse. */
  private readonly cache = new Map<JobId, StoredJob>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly cacheSize: number,
  ) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  get(id: JobId): StoredJob | undefined {
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const row = this.sql.exec<Row>("SELECT id, root, retired_at, slot FROM finished_job WHERE id = ?", id).toArray()[0];
    if (!row) return undefined;
    const parts = this.sql.exec<{ body: string }>("SELECT body FROM finished_part WHERE id = ? ORDER BY part", id).toArray();
    // Rows written by older code hold older call records.
    const record = upgradeJob(JSON.parse(parts.map((p) => p.body).join("")) as JobRecord);
    const stored: StoredJob = { id: row.id, root: row.root, retiredAt: row.retired_at, slot: row.slot, record };
    this.remember(stored);
    return stored;
  }

  put(rows: readonly StoredJob[]): void {
    for (const { id, root, retiredAt, slot, record } of rows.map(upgradeStored)) {
      this.forget(id);
      // A replaced record may have had more parts, and other calls, than the new one.
      this.sql.exec("DELETE FROM finished_part WHERE id = ?", id);
      this.sql.exec("DELETE FROM finished_calls WHERE id = ?", id);
      this.sql.exec("DELETE FROM finished_blob WHERE id = ?", id);
      for (const sha256 of recordBlobs(record)) this.sql.exec("INSERT INTO finished_blob (id, sha256) VALUES (?, ?)", id, sha256);
      for (const { node, outcome, count } of callTally(record).values()) {
        this.sql.exec("INSERT INTO finished_calls (id, node, outcome, count) VALUES (?, ?, ?, ?)", id, node, outcome, count);
      }
      const json = JSON.stringify(record);
      const parts = Math.max(1, Math.ceil(json.length / PART_CHARS));
      this.sql.exec(
        "INSERT OR REPLACE INTO finished_job (id, root, retired_at, slot, top, status, accepted_at, submitted_by, parts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        id,
        root,
        retiredAt,
        slot,
        record.parent ? 0 : 1,
        record.status,
        record.acceptedAt,
        record.submittedBy ?? null,
        parts,
      );
      for (let part = 0; part < parts; part++) {
        this.sql.exec("INSERT INTO finished_part (id, part, body) VALUES (?, ?, ?)", id, part, json.slice(part * PART_CHARS, (part + 1) * PART_CHARS));
      }
    }
  }

  expire(cutoff: number): TreeBlob[] {
    const gone = this.sql.exec<{ id: string }>("SELECT id FROM finished_job WHERE retired_at <= ?", cutoff).toArray();
    if (gone.length === 0) return [];
    for (const { id } of gone) this.forget(id);
    // A tree expires whole: its root row (whose accepted_at is the tree's run) goes in the same sweep.
    const blobs = this.sql
      .exec<{ sha256: string; root: string; run: number }>(
        `SELECT DISTINCT b.sha256 AS sha256, j.root AS root, COALESCE(r.accepted_at, j.accepted_at) AS run
         FROM finished_blob b JOIN finished_job j ON j.id = b.id LEFT JOIN finished_job r ON r.id = j.root
         WHERE j.retired_at <= ?`,
        cutoff,
      )
      .toArray()
      .map(({ sha256, root, run }) => ({ sha256, root, run }));
    this.sql.exec("DELETE FROM finished_part WHERE id IN (SELECT id FROM finished_job WHERE retired_at <= ?)", cutoff);
    this.sql.exec("DELETE FROM finished_calls WHERE id IN (SELECT id FROM finished_job WHERE retired_at <= ?)", cutoff);
    this.sql.exec("DELETE FROM finished_blob WHERE id IN (SELECT id FROM finished_job WHERE retired_at <= ?)", cutoff);
    this.sql.exec("DELETE FROM finished_job WHERE retired_at <= ?", cutoff);
    return blobs;
  }

  completeThrough(): number {
    return this.sql.exec<{ value: number }>("SELECT value FROM finished_meta WHERE key = 'complete_through'").toArray()[0]?.value ?? 0;
  }

  setCompleteThrough(slot: number): void {
    this.sql.exec("INSERT OR REPLACE INTO finished_meta (key, value) VALUES ('complete_through', ?)", slot);
  }

  between(after: number, through: number, cursor: StoreCursor | null, limit: number): StoredJob[] {
    const rows = this.sql
      .exec<{ id: string }>(
        `SELECT id FROM finished_job
         WHERE slot > ? AND slot <= ? AND (slot > ? OR (slot = ? AND id > ?)) ORDER BY slot, id LIMIT ?`,
        after,
        through,
        cursor?.slot ?? after,
        cursor?.slot ?? after,
        cursor?.id ?? "",
        Math.max(0, limit),
      )
      .toArray();
    return rows.flatMap((r) => this.get(r.id) ?? []);
  }

  list(query: ListJobsQuery, cutoff: number): StoredSummary[] {
    const tenant = tenantOf(query.viewer);
    const before = query.before;
    const rows = this.sql
      .exec<{ id: string }>(
        `SELECT id FROM finished_job WHERE top = 1 AND retired_at > ?
           AND (? IS NULL OR status = ?) AND (? IS NULL OR submitted_by = ?)
           AND (? IS NULL OR accepted_at < ? OR (accepted_at = ? AND id < ?))
         ORDER BY accepted_at DESC, id DESC LIMIT ?`,
        cutoff,
        query.status ?? null,
        query.status ?? null,
        tenant,
        tenant,
        before?.acceptedAt ?? null,
        before?.acceptedAt ?? null,
        before?.acceptedAt ?? null,
        before?.id ?? null,
        Math.max(0, query.limit),
      )
      .toArray();
    return rows.flatMap(({ id }) => {
      const row = this.get(id);
      return row ? [summaryOf(row.record)] : [];
    });
  }

  counts(): Record<Exclude<JobStatus, "running">, number> {
    const counts = { done: 0, failed: 0, cancelled: 0 };
    for (const row of this.sql.exec<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM finished_job GROUP BY status")) {
      if (row.status in counts) counts[row.status as keyof typeof counts] = row.n;
    }
    return counts;
  }

  callCounts(): CallCount[] {
    return this.sql
      .exec<{ node: string; outcome: string; count: number }>("SELECT node, outcome, SUM(count) AS count FROM finished_calls GROUP BY node, outcome ORDER BY node, outcome")
      .toArray()
      .map((r) => ({ node: r.node, outcome: r.outcome as CallCount["outcome"], count: r.count }));
  }

  private remember(row: StoredJob): void {
    if (this.cacheSize <= 0) return;
    this.cache.set(row.id, row);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  private forget(id: JobId): void {
    this.cache.delete(id);
  }
}
