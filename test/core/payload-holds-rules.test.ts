/** The pure rules of payload holds (core/jobs/payload-holds.ts): which blobs a decision and a job name, under which tree, and the keys. */
import { describe, expect, it } from "vitest";
import type { Decision, JobId } from "../../core/jobs/decisions.ts";
import { deletingKey, holdKey, holdsOf, markedBlob, recordBlobs } from "../../core/jobs/payload-holds.ts";
import type { JobRecord } from "../../core/jobs/state.ts";

const r2 = (sha: string) => ({ r2: sha, bytes: 20_000 });
const inline = { inline: "AQ==", bytes: 1 };

describe("payload holds' rules", () => {
  it("hold each blob a proposal names once per tree: a new job's under itself, a sub-job's and a call's under their root's run", () => {
    const known = new Map<string, { root: JobId; run: number }>([["parent", { root: "top" as JobId, run: 7 }]]);
    const decisions = [
      { type: "job.accepted", job: "fresh", name: "n", input: r2("aa"), at: 30 },
      { type: "call.dispatched", job: "fresh", seq: 0, attempt: 1, stage: "s", input: r2("aa"), node: "inline", at: 31 },
      { type: "call.result", job: "fresh", seq: 0, attempt: 1, node: "inline", outcome: { ok: true, value: r2("bb") }, startedAt: 31, finishedAt: 31, at: 31 },
      { type: "job.accepted", job: "parent.0", name: "n", input: r2("cc"), at: 32, parent: { job: "parent", seq: 0 } },
      { type: "job.finished", job: "parent", at: 33, outcome: { ok: true, output: r2("dd") } },
      { type: "job.finished", job: "fresh", at: 33, outcome: { ok: true, output: inline } },
      { type: "call.result", job: "gone", seq: 0, attempt: 1, node: "n1", outcome: { ok: true, value: r2("ee") }, startedAt: 1, finishedAt: 1, at: 34 },
    ] as unknown as Decision[];
    const holds = holdsOf(decisions, 2, (id) => known.get(id));
    expect(holds.map((h) => `${h.sha256} ${h.shard} ${h.root} ${h.run}`)).toEqual(["aa 2 fresh 30", "bb 2 fresh 30", "cc 2 top 7", "dd 2 top 7"]);
  });

  it("find every blob a job's record names: input, output, calls' inputs, results and held answers", () => {
    const job = {
      input: r2("in"),
      output: r2("out"),
      calls: [
        { kind: "stage", input: r2("in"), state: { is: "done", outcome: { ok: true, value: r2("res") } } },
        { kind: "stage", input: inline, state: { is: "verifying", answers: [{ outcome: { ok: true, value: r2("answer") } }, { outcome: { ok: false, error: {} } }] } },
        { kind: "stage", input: inline, state: { is: "done", outcome: { ok: false, error: {} } } },
      ],
    } as unknown as JobRecord;
    expect(recordBlobs(job).sort()).toEqual(["answer", "in", "out", "res"]);
  });

  it("keep each client-chosen job id and commander name inside its own key", () => {
    expect(holdKey({ sha256: "ab", shard: 1, root: "a/b@c" as JobId, run: 5 })).toBe("payload-holds/ab/1/a%2Fb%40c@5");
    expect(markedBlob(deletingKey("ab", "shard-0/commander-1"), "shard-0/commander-1")).toBe("ab");
    expect(markedBlob(deletingKey("ab", "shard-0/commander-1"), "shard-0/commander-2")).toBeNull();
    expect(markedBlob("payload-holds/ab/1/x@1", "x")).toBeNull();
  });
});
