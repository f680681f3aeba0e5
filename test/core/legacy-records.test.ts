/**
 * Records written before calls had a state union (a bag of optional fields, `timedOutAt` for every
 * ending) are read into today's shape. The fixture was written by that code's JobsState
 * (test/fixtures/legacy-call-records.json: its decisions and the snapshot it took of them).
 */
import { describe, expect, it } from "vitest";
import { type Decision, decodeDecision } from "../../core/jobs/decisions.ts";
import { upgradeJob } from "../../core/jobs/legacy-records.ts";
import { type AttemptRecord, type CallRecord, type JobRecord, JobsState, type JobsSnapshot } from "../../core/jobs/state.ts";
import { resultAt } from "../shared/decisions.ts";
import { stage } from "../shared/calls.ts";
import legacy from "../fixtures/legacy-call-records.json" with { type: "json" };

const fixture = legacy as unknown as { decisions: unknown[]; snapshot: JobsSnapshot };
const decisions = fixture.decisions.map((d) => decodeDecision(d)!);

/** The state today's code builds from the same log. */
function applied(): JobsState {
  const s = new JobsState();
  for (const d of decisions) s.apply(d);
  return s;
}

function restored(): JobsState {
  const s = new JobsState();
  s.restore(structuredClone(fixture.snapshot));
  return s;
}

/**
 * What an old record could not say: which attempt a call's result came from (its answered
 * attempts read as open once the call is done), and when a held answer arrived (its end, instead).
 */
function asOldCouldTell(job: JobRecord): JobRecord {
  const status = (call: CallRecord, t: AttemptRecord): AttemptRecord["status"] =>
    t.status.is === "answered" ? (call.state.is === "done" ? { is: "open" } : { is: "answered", at: 0 }) : t.status;
  return { ...job, calls: job.calls.map((c) => (c.kind === "stage" ? { ...c, attempts: c.attempts.map((t) => ({ ...t, status: status(c, t) })) } : c)) };
}

describe("call records written by older code", () => {
  it("a snapshot's jobs read as the state today's code builds from the same log", () => {
    const [now, old] = [applied(), restored()];
    expect(decisions).toHaveLength(fixture.decisions.length);
    for (const id of ["j", "j.4", "j.5", "k"]) expect(asOldCouldTell(old.job(id)!), id).toEqual(asOldCouldTell(now.job(id)!));
    expect(old.snapshot().counters).toEqual(now.snapshot().counters);
    expect(old.allNodes()).toEqual(now.allNodes());
  });

  it("reads each kind of call: taken, agreed with a dissenter, taken unchecked, held, sub-jobs, out", () => {
    const calls = restored().job("j")!.calls;
    expect(stage(calls[0]).attempts.map((t) => t.status)).toEqual([{ is: "ended", how: "unrecorded", at: 7 }, { is: "open" }]);
    expect(calls[0]!.state).toMatchObject({ is: "done", node: "b", startedAt: 8.5, finishedAt: 8.75 });
    expect(calls[1]!.state).toMatchObject({ is: "done", node: "a", verified: { reason: "sampled", settled: "agreed", by: ["a", "c"], dissenters: ["b"] } });
    expect(calls[2]!.state).toMatchObject({ is: "done", node: "worker", verified: { reason: "new node", settled: "unchecked" } });
    expect(calls[3]!.state).toMatchObject({ is: "verifying", reason: "sampled", answers: [{ attempt: 1, node: "c" }] });
    expect(stage(calls[3]).attempts.map((t) => t.status.is)).toEqual(["answered", "open"]);
    expect(calls[4]).toMatchObject({ kind: "job", child: "j.4", startedAt: 23, state: { is: "done", finishedAt: 24 } });
    expect(calls[5]).toMatchObject({ kind: "job", child: "j.5", startedAt: 25, state: { is: "pending" } });
    expect(calls[6]!.state).toEqual({ is: "pending" });
  });

  it("a restored old snapshot goes on with the log: the held call settles, the call out gets its result", () => {
    const s = restored();
    const at = s.appliedAt;
    const result = (seq: number, attempt: number, node: string, value: string): Decision => resultAt({ seq, attempt, node, value, startedAt: at + 1, finishedAt: at + 2, at: at + 3 });
    s.apply(result(3, 2, "d", "three"));
    expect(s.job("j")!.calls[3]!.state).toMatchObject({ is: "done", node: "c", verified: { settled: "agreed", by: ["c", "d"], dissenters: [] } });
    s.apply(result(6, 1, "d", "six"));
    expect(s.job("j")!.calls[6]!.state).toMatchObject({ is: "done", node: "d" });
    // A second answer for the held attempt is a duplicate, as it was.
    s.apply(result(3, 1, "c", "three"));
    expect(s.counters.duplicateResults).toBe(1);
  });

  it("leaves a record in today's shape as it is", () => {
    const job = applied().job("j")!;
    expect(upgradeJob(job)).toBe(job);
  });
});
