/**
 * The pure side of results that last: JobsState hands each finished tree over as it ends
 * (retiredByLastApply) and keeps none with retainFinished 0; the log's clock (appliedAt); the
 * retention rule (core/jobs/retention.ts); a snapshot taken when finished jobs still lived in
 * the state gives them up (releaseFinished).
 */
import { describe, expect, it } from "vitest";
import { encode } from "../../core/codec.ts";
import type { Decision } from "../../core/jobs/decisions.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import { expired, retentionCutoff, retiredRows } from "../../core/jobs/retention.ts";
import { JobsState } from "../../core/jobs/state.ts";

const p = (value: number | string) => inlinePayload(encode(value));
const accepted = (job: string, at: number, parent?: { job: string; seq: number }): Decision => ({ type: "job.accepted", job, name: "x", input: p(1), at, ...(parent ? { parent } : {}) });
const finished = (job: string, at: number): Decision => ({ type: "job.finished", job, at, outcome: { ok: true, output: p(job) } });

describe("finished trees leave the state", () => {
  it("are handed over whole, root first, by the decision that ends them, and kept nowhere with retainFinished 0", () => {
    const s = new JobsState({ retainFinished: 0 });
    s.apply(accepted("root", 1));
    s.apply(accepted("root.0", 2, { job: "root", seq: 0 }));
    expect(s.apply(finished("root.0", 3))).toMatchObject({ effect: "job", job: "root" });
    // A sub-job's end is not its tree's: it stays with its running root.
    expect(s.retiredByLastApply).toEqual([]);
    expect(s.job("root.0")?.status).toBe("done");
    s.apply(finished("root", 4));
    expect(s.retiredByLastApply.map((tree) => tree.map((j) => [j.id, j.status]))).toEqual([[["root", "done"], ["root.0", "done"]]]);
    expect(s.job("root")).toBeUndefined();
    expect(s.job("root.0")).toBeUndefined();
    expect(s.snapshot().jobs).toEqual([]);
    // Reset by the next decision: it is what the last one did, not state.
    s.apply(accepted("next", 5));
    expect(s.retiredByLastApply).toEqual([]);
  });

  it("keeps the log's clock: the latest time among the applied decisions, across a snapshot", () => {
    const s = new JobsState({ retainFinished: 0 });
    s.apply(accepted("a", 10));
    s.apply(accepted("b", 7)); // another leader's clock, behind: the log's clock does not go back
    expect(s.appliedAt).toBe(10);
    const copy = new JobsState({ retainFinished: 0 });
    copy.restore(JSON.parse(JSON.stringify(s.snapshot())));
    expect(copy.appliedAt).toBe(10);
  });

  it("gives up the finished trees an older snapshot still held", () => {
    const s = new JobsState({ retainFinished: 5 });
    for (const [n, id] of ["a", "b"].entries()) {
      s.apply(accepted(id, n));
      s.apply(finished(id, n + 1));
    }
    s.apply(accepted("running", 9));
    const copy = new JobsState({ retainFinished: 0 });
    copy.restore(JSON.parse(JSON.stringify(s.snapshot())));
    expect(copy.releaseFinished().map((tree) => tree.map((j) => j.id))).toEqual([["a"], ["b"]]);
    expect(copy.snapshot().jobs.map((j) => j.id)).toEqual(["running"]);
    expect(copy.releaseFinished()).toEqual([]);
  });
});

describe("retention on the log's clock", () => {
  it("expires a tree once the clock reaches its retirement plus the retention, every job of it alike", () => {
    expect(expired(1_000, 1_999, 1_000)).toBe(false);
    expect(expired(1_000, 2_000, 1_000)).toBe(true);
    expect(retentionCutoff(2_000, 1_000)).toBe(1_000);
    const rows = retiredRows([[{ id: "r" }, { id: "r.0" }], [{ id: "s" }]], 4, 1_500);
    expect(rows.map((r) => [r.id, r.root, r.slot, r.retiredAt])).toEqual([
      ["r", "r", 4, 1_500],
      ["r.0", "r", 4, 1_500],
      ["s", "s", 4, 1_500],
    ]);
  });
});
