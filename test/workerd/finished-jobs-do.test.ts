import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobId } from "../../core/jobs/decisions.ts";
import { upgradeJob } from "../../core/jobs/legacy-records.ts";
import type { JobRecord } from "../../core/jobs/state.ts";
import { SqliteFinishedJobs } from "../../durable-objects/finished-jobs-sqlite.ts";
import legacy from "../fixtures/legacy-call-records.json" with { type: "json" };
import { finishedJobsConformance } from "../shared/finished-jobs-conformance.ts";

let next = 0;

// Any SQLite-backed Durable Object gives the storage; an acceptor's tables do not collide with these.
finishedJobsConformance("SQLite in a Durable Object", async (body) => {
  const stub = env.ACCEPTOR.get(env.ACCEPTOR.idFromName(`finished-jobs-store-${next++}`));
  await runInDurableObject(stub, (_instance, state) => {
    body(new SqliteFinishedJobs(state.storage.sql, 2), () => new SqliteFinishedJobs(state.storage.sql, 2));
  });
});

describe("SQLite rows written by older code", () => {
  it("are read in today's shape (core/jobs/legacy-records.ts)", async () => {
    const stub = env.ACCEPTOR.get(env.ACCEPTOR.idFromName("finished-jobs-legacy-rows"));
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      new SqliteFinishedJobs(sql, 0);
      // The row as that code's put() wrote it: the record as its JSON.
      const old = (legacy.snapshot.jobs as unknown as JobRecord[]).find((j) => j.id === "k")!;
      sql.exec("INSERT INTO finished_job (id, root, retired_at, slot, top, status, accepted_at, submitted_by, parts) VALUES ('k', 'k', 300, 3, 1, 'done', ?, NULL, 1)", old.acceptedAt);
      sql.exec("INSERT INTO finished_part (id, part, body) VALUES ('k', 0, ?)", JSON.stringify(old));
      const read = new SqliteFinishedJobs(sql, 0).get("k" as JobId)!.record;
      expect(read.calls[0]).toMatchObject({ kind: "stage", state: { is: "done", node: "d", outcome: { ok: true } }, attempts: [{ node: "d", status: { is: "open" } }] });
      expect(read).toEqual(upgradeJob(old));
    });
  });
});
