/** What a runner offering a call's result is told, before and after the offer is proposed (core/jobs/result-offers.ts). */
import { describe, expect, it } from "vitest";
import type { Decision, NodeSpec } from "../../core/jobs/decisions.ts";
import { type Offer, replyAfterProposing, replyBeforeProposing } from "../../core/jobs/result-offers.ts";
import { JobsState } from "../../core/jobs/state.ts";
import { dispatchedAt, inline, resultAt } from "../shared/decisions.ts";

const spec = (id: string): NodeSpec => ({ id, kind: "runner", url: `http://${id}`, caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 });
const dispatched = (attempt: number, node: string, verify?: string): Decision => dispatchedAt({ attempt, node, stage: "t/work@1", input: 1, ...(verify ? { verify } : {}) });
const offer = (attempt: number, node: string, finishedAt = 4): Offer => ({ job: "j", seq: 0, attempt, node, startedAt: 3, finishedAt });
const result = (attempt: number, node: string, value: string, finishedAt = 4): Decision => resultAt({ seq: 0, attempt, node, value, finishedAt });

/** Job "j" with call 0 out on a (attempt 1) and b (attempt 2), verified when `verify` says why. */
function state(verify?: string): JobsState {
  const s = new JobsState();
  for (const id of ["a", "b", "c"]) s.apply({ type: "node.registered", node: spec(id), at: 0 });
  s.apply({ type: "job.accepted", job: "j", name: "t/job", input: inline(0), at: 1 });
  s.apply(dispatched(1, "a", verify));
  s.apply(dispatched(2, "b"));
  return s;
}

describe("replies to a result offer", () => {
  it("before proposing: refuses an unknown job or an attempt not sent to the node; answers the same report again from the log", () => {
    const s = state();
    expect(replyBeforeProposing(undefined, offer(1, "a"))).toEqual({ accepted: false, reason: "unknown job j" });
    expect(replyBeforeProposing(s.job("j"), offer(1, "b"))).toEqual({ accepted: false, reason: "call j#0 attempt 1 was not dispatched to b" });
    expect(replyBeforeProposing(s.job("j"), offer(1, "a"))).toBeNull();
    s.apply(result(1, "a", "x"));
    expect(replyBeforeProposing(s.job("j"), offer(1, "a"))).toEqual({ accepted: true, reason: "this result is already recorded" });
    // Another run's report (other times), or another attempt's: proposed, and the log decides.
    expect(replyBeforeProposing(s.job("j"), offer(1, "a", 9))).toBeNull();
    expect(replyBeforeProposing(s.job("j"), offer(2, "b"))).toBeNull();
  });

  it("after proposing: the result taken, or the first result won, or the job ended, or the node is quarantined", () => {
    const s = state();
    s.apply(result(1, "a", "x"));
    expect(replyAfterProposing(s.job("j")!, offer(1, "a"), null)).toEqual({ accepted: true });
    s.apply(result(2, "b", "y"));
    expect(replyAfterProposing(s.job("j")!, offer(2, "b"), null)).toEqual({ accepted: false, reason: "the call already had a result (first result wins)" });
    expect(replyAfterProposing(s.job("j")!, offer(2, "b"), "it lied")).toEqual({ accepted: false, reason: "b is quarantined: it lied" });
    s.apply({ type: "job.cancelled", job: "j", at: 9, reason: "test", by: { kind: "plane" } });
    expect(replyAfterProposing(s.job("j")!, offer(2, "b"), null)).toEqual({ accepted: false, reason: "job j already cancelled" });
  });

  it("a verified call: an answer held, then among those that agreed, is accepted and answered from the log when sent again", () => {
    const s = state("sampled");
    s.apply(result(1, "a", "x"));
    expect(replyAfterProposing(s.job("j")!, offer(1, "a"), null)).toEqual({ accepted: true, reason: "held until a second node agrees" });
    expect(replyBeforeProposing(s.job("j"), offer(1, "a"))).toEqual({ accepted: true, reason: "this result is already recorded" });
    s.apply(result(2, "b", "x", 5));
    expect(replyAfterProposing(s.job("j")!, offer(2, "b", 5), null)).toEqual({ accepted: true, reason: "verified" });
    // Its held answer is gone once the call is accepted; that b agreed is kept.
    expect(replyBeforeProposing(s.job("j"), offer(2, "b", 7))).toEqual({ accepted: true, reason: "this result is already recorded" });
  });
});
