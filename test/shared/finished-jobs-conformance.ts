/**
 * One behaviour for every FinishedJobs (runtime/jobs/finished-jobs.ts): the in-memory store
 * (test/core/finished-jobs-memory.test.ts) and SQLite in a Durable Object
 * (test/workerd/finished-jobs-do.test.ts) run these same cases.
 */
import { describe, expect, it } from "vitest";
import type { JobId } from "../../core/jobs/decisions.ts";
import { retiredRows, retentionCutoff } from "../../core/jobs/retention.ts";
import type { JobRecord, JobStatus } from "../../core/jobs/state.ts";
import type { FinishedJobs } from "../../runtime/jobs/finished-jobs.ts";
import legacy from "../fixtures/legacy-call-records.json" with { type: "json" };

/** Runs `body` against a fresh store (inside its Durable Object, for SQLite); `reopen` gives the same storage anew. */
export type WithStore = (body: (store: FinishedJobs, reopen: () => FinishedJobs) => void) => Promise<void>;

const input = { inline: "1", bytes: 1 } as JobRecord["input"];

function job(id: string, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: id as JobId,
    name: "double",
    input,
    acceptedAt: 100,
    root: (over.root ?? id) as JobId,
    status: "done" as JobStatus,
    finishedAt: 200,
    output: input,
    submittedBy: "alice",
    calls: [],
    events: [{ n: 1, type: "job.accepted", at: 100 }],
    ...over,
  } as JobRecord;
}

export function finishedJobsConformance(label: string, withStore: WithStore): void {
  describe(`finished jobs store (${label})`, () => {
    it("keeps a finished tree by id, sub-jobs too, and the same slot applied twice changes nothing", () =>
      withStore((store) => {
        const root = job("root", { calls: [{ seq: 0, kind: "job", target: "child@1", input, queuedAt: 100, child: "child" as JobId, startedAt: 100, state: { is: "done", outcome: { ok: true, value: input }, finishedAt: 150 } }] });
        const child = job("child", { root: "root" as JobId, parent: { job: "root" as JobId, seq: 0 } });
        const rows = retiredRows([[root, child]], 7, 200);
        store.put(rows);
        store.put(rows);
        expect(store.get("root" as JobId)).toEqual({ id: "root", root: "root", retiredAt: 200, slot: 7, record: root });
        expect(store.get("child" as JobId)?.record).toEqual(child);
        expect(store.get("child" as JobId)?.root).toBe("root");
        expect(store.get("nope" as JobId)).toBeUndefined();
        expect(store.counts()).toEqual({ done: 2, failed: 0, cancelled: 0 });
      }));

    it("sums the kept jobs' calls by node and outcome, and forgets a replaced or expired job's", () =>
      withStore((store) => {
        const attempt = (node: string) => ({ attempt: 1, node, dispatchedAt: 1, predicted: { node, finishAt: 2, runMs: 1, transferMs: 0, waitMs: 0 }, alternatives: [], reason: "r", by: "c", status: { is: "answered", at: 2 } });
        const withCalls = (id: string, nodes: readonly [string, boolean][]) =>
          job(id, {
            calls: nodes.map(([node, ok], seq) => ({
              seq, kind: "stage", target: "s", input, queuedAt: 1, attempts: [attempt(node)],
              state: { is: "done", node, startedAt: 1, finishedAt: 2, outcome: ok ? { ok: true, value: input } : { ok: false, error: { name: "E", message: "m" } } },
            })) as JobRecord["calls"],
          });
        store.put(retiredRows([[withCalls("c1", [["inline", true], ["inline", true], ["w", false]])]], 1, 100));
        store.put(retiredRows([[withCalls("c2", [["inline", true]])]], 2, 200));
        store.put(retiredRows([[withCalls("c2", [["inline", true]])]], 2, 200));
        const sorted = () => [...store.callCounts()].sort((a, b) => (a.node + a.outcome < b.node + b.outcome ? -1 : 1));
        expect(sorted()).toEqual([
          { node: "inline", outcome: "ok", count: 3 },
          { node: "w", outcome: "failed", count: 1 },
        ]);
        store.expire(150);
        expect(sorted()).toEqual([{ node: "inline", outcome: "ok", count: 1 }]);
      }));

    it("keeps a row in the shape older code wrote (a peer still on it hands such rows over), and reads it in today's", () =>
      withStore((store, reopen) => {
        const old = (legacy.snapshot.jobs as unknown as JobRecord[]).find((j) => j.id === "k")!;
        expect(old.calls[0]).not.toHaveProperty("state");
        store.put(retiredRows([[old]], 3, 300));
        for (const from of [store, reopen()]) {
          expect(from.get("k" as JobId)!.record.calls[0]).toMatchObject({ kind: "stage", state: { is: "done", node: "d" }, attempts: [{ node: "d", status: { is: "open" } }] });
        }
        expect(store.callCounts()).toEqual([{ node: "d", outcome: "ok", count: 1 }]);
      }));

    it("holds a record larger than one SQLite value (2 MB)", () =>
      withStore((store) => {
        const big = job("big", { output: { inline: "x".repeat(2_500_000), bytes: 2_500_000 } as JobRecord["output"] });
        store.put(retiredRows([[big]], 1, 200));
        expect(store.get("big" as JobId)?.record.output).toEqual(big.output);
        // Replaced by a smaller one: no part of the old one is left over.
        store.put(retiredRows([[job("big")]], 1, 200));
        expect(store.get("big" as JobId)?.record).toEqual(job("big"));
      }));

    it("expires whole trees retired at or before the cutoff", () =>
      withStore((store) => {
        const child = job("old-child", { root: "old" as JobId, parent: { job: "old" as JobId, seq: 0 }, finishedAt: 150 });
        store.put(retiredRows([[job("old"), child]], 1, 1_000));
        store.put(retiredRows([[job("new")]], 2, 2_000));
        store.expire(retentionCutoff(1_999, 1_000));
        expect(store.get("old" as JobId)).toBeDefined();
        store.expire(retentionCutoff(2_000, 1_000));
        expect(store.get("old" as JobId)).toBeUndefined();
        expect(store.get("old-child" as JobId)).toBeUndefined();
        expect(store.get("new" as JobId)).toBeDefined();
        expect(store.counts()).toEqual({ done: 1, failed: 0, cancelled: 0 });
      }));

    it("says which large payloads each expired tree named, under its root's run, once each", () =>
      withStore((store) => {
        const r2 = (sha: string) => ({ r2: sha, bytes: 20_000 }) as JobRecord["input"];
        const root = job("tree", { acceptedAt: 40, input: r2("aa"), output: r2("bb"), calls: [{ seq: 0, kind: "job", target: "child@1", input: r2("aa"), queuedAt: 41, child: "tree-child" as JobId, startedAt: 41, state: { is: "done", outcome: { ok: true, value: r2("cc") }, finishedAt: 42 } }] });
        const child = job("tree-child", { acceptedAt: 41, root: "tree" as JobId, parent: { job: "tree" as JobId, seq: 0 }, input: r2("aa"), output: r2("cc") });
        store.put(retiredRows([[root, child]], 1, 1_000));
        store.put(retiredRows([[job("kept", { input: r2("aa") })]], 2, 2_000));
        // Replaced without its payload: the old row's blob is not reported for it.
        store.put(retiredRows([[job("plain", { input: r2("dd") })]], 3, 1_000));
        store.put(retiredRows([[job("plain")]], 3, 1_000));
        expect(store.expire(retentionCutoff(1_999, 1_000))).toEqual([]);
        const gone = store.expire(retentionCutoff(2_000, 1_000));
        const key = (b: { sha256: string; root: string; run: number }) => `${b.sha256} ${b.root} ${b.run}`;
        expect(gone.map(key).sort()).toEqual(["aa tree 40", "bb tree 40", "cc tree 40"]);
        expect(store.expire(retentionCutoff(2_000, 1_000))).toEqual([]);
        expect(store.expire(retentionCutoff(3_000, 1_000)).map(key)).toEqual(["aa kept 100"]);
      }));

    it("pages the jobs retired in a range of slots by (slot, id), for a peer's gap", () =>
      withStore((store) => {
        store.put(retiredRows([[job("a")], [job("c")]], 3, 200));
        store.put(retiredRows([[job("b")]], 4, 200));
        store.put(retiredRows([[job("z")]], 2, 200));
        store.put(retiredRows([[job("y")]], 9, 200));
        const first = store.between(2, 8, null, 2);
        expect(first.map((r) => [r.slot, r.id])).toEqual([[3, "a"], [3, "c"]]);
        expect(first[0]!.record).toEqual(job("a"));
        const last = first.at(-1)!;
        expect(store.between(2, 8, { slot: last.slot, id: last.id }, 2).map((r) => r.id)).toEqual(["b"]);
        expect(store.between(4, 8, null, 10)).toEqual([]);
      }));

    it("lists top-level jobs newest first, by status, tenant and cursor", () =>
      withStore((store) => {
        store.put(retiredRows([[job("j1", { acceptedAt: 10 })]], 1, 200));
        store.put(retiredRows([[job("j2", { acceptedAt: 20, status: "failed", submittedBy: "bob" })]], 2, 200));
        store.put(retiredRows([[job("j3", { acceptedAt: 20 }), job("j3-sub", { acceptedAt: 25, root: "j3" as JobId, parent: { job: "j3" as JobId, seq: 0 } })]], 3, 200));
        const admin = { kind: "admin", name: "root" } as const;
        const alice = { kind: "tenant", name: "alice" } as const;
        expect(store.list({ viewer: admin, limit: 10 }, 0).map((j) => j.id)).toEqual(["j3", "j2", "j1"]);
        expect(store.list({ viewer: alice, limit: 10 }, 0).map((j) => j.id)).toEqual(["j3", "j1"]);
        expect(store.list({ viewer: admin, limit: 10, status: "failed" }, 0).map((j) => j.id)).toEqual(["j2"]);
        expect(store.list({ viewer: admin, limit: 10, status: "running" }, 0)).toEqual([]);
        expect(store.list({ viewer: admin, limit: 1, before: { acceptedAt: 20, id: "j3" as JobId } }, 0).map((j) => j.id)).toEqual(["j2"]);
        expect(store.list({ viewer: admin, limit: 1 }, 0)).toEqual([{ id: "j3", name: "double", version: 1, status: "done", acceptedAt: 20, finishedAt: 200, calls: 0 }]);
        // Expired but not swept yet: not listed, so the page is filled from older ones.
        store.put(retiredRows([[job("j4", { acceptedAt: 30 })]], 4, 50));
        expect(store.list({ viewer: admin, limit: 2 }, 100).map((j) => j.id)).toEqual(["j3", "j2"]);
        expect(store.list({ viewer: admin, limit: 2 }, 0).map((j) => j.id)).toEqual(["j4", "j3"]);
      }));

    it("keeps its rows and how far it is complete across a restart", () =>
      withStore((store, reopen) => {
        expect(store.completeThrough()).toBe(0);
        store.put(retiredRows([[job("kept")]], 5, 200));
        store.setCompleteThrough(5);
        const again = reopen();
        expect(again.completeThrough()).toBe(5);
        expect(again.get("kept" as JobId)?.record).toEqual(job("kept"));
      }));
  });
}
