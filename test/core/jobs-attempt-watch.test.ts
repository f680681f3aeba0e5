/**
 * The calls a leader's step looks at for a missing attempt (core/jobs/attempt-watch.ts): those a
 * decision named since the last look, every call once after a node's trust changed, and those
 * still needing an attempt. Counted: how often JobsState.attemptsNeeded is asked.
 */
import { describe, expect, it, vi } from "vitest";
import type { Value } from "../../core/codec.ts";
import { AttemptWatch } from "../../core/jobs/attempt-watch.ts";
import type { Decision, NodeSpec } from "../../core/jobs/decisions.ts";
import { JobsState } from "../../core/jobs/state.ts";
import { dispatchedAt, inline, resultAt } from "../shared/decisions.ts";

const spec = (id: string): NodeSpec => ({ id, kind: "runner", url: `http://${id}`, caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 });
const dispatched = (seq: number, attempt: number, node: string, verify?: string): Decision =>
  dispatchedAt({ seq, attempt, node, stage: "shapes/stats@1", input: { seed: seq, n: 1 }, ...(verify ? { verify } : {}) });
const result = (seq: number, attempt: number, node: string, value: Value): Decision => resultAt({ seq, attempt, node, value });

/** A job of `n` calls, each out on runner "a"; the watch applied every decision the state did. */
function fanOut(n: number) {
  const state = new JobsState();
  const watch = new AttemptWatch();
  const apply = (d: Decision) => watch.applied(d, state.apply(d));
  for (const id of ["a", "b", "c"]) apply({ type: "node.registered", node: spec(id), at: 0 });
  apply({ type: "job.accepted", job: "j", name: "shapes/chain", input: inline({ seed: 1 }), at: 1 });
  for (let seq = 0; seq < n; seq++) apply(dispatched(seq, 1, "a"));
  const asked = vi.spyOn(state, "attemptsNeeded");
  const look = () => watch.firstNeeding(state.job("j")!, state)?.seq;
  return { state, watch, apply, asked, look };
}

describe("AttemptWatch", () => {
  it("looks at a job's calls once, then only at those a decision named since", () => {
    const { apply, asked, look } = fanOut(1_000);
    expect(look()).toBeUndefined();
    expect(asked).toHaveBeenCalledTimes(1_000);
    asked.mockClear();
    expect(look()).toBeUndefined();
    expect(asked).not.toHaveBeenCalled();
    apply(result(7, 1, "a", 8));
    apply(result(9, 1, "a", 10));
    expect(look()).toBeUndefined();
    // Both calls have their result now: nothing to ask.
    expect(asked).not.toHaveBeenCalled();
  });

  it("finds a call whose attempt expired, and keeps it until its next attempt is out", () => {
    const { apply, asked, look } = fanOut(1_000);
    look();
    asked.mockClear();
    apply({ type: "call.timeout", job: "j", seq: 500, attempt: 1, node: "a", at: 6, reason: "late" });
    expect(look()).toBe(500);
    expect(asked).toHaveBeenCalledTimes(1);
    // Its redispatch not decided yet (or not chosen): still the one.
    expect(look()).toBe(500);
    apply(dispatched(500, 2, "b"));
    expect(look()).toBeUndefined();
  });

  it("looks at every call again once a node's trust changes: an answer from a node since quarantined no longer counts", () => {
    const { apply, asked, look } = fanOut(3);
    // Call 1 is verified: a has answered, b's attempt is out; one more answer to agree with is coming.
    apply(dispatched(1, 2, "b", "sampled"));
    apply(result(1, 1, "a", "x"));
    expect(look()).toBeUndefined();
    asked.mockClear();
    // a is quarantined, caught elsewhere: no decision names call 1, yet its held answer no longer
    // counts, and b's alone cannot be checked against anything: the call needs another node.
    apply({ type: "node.quarantined", node: "a", at: 7, reason: "caught on another shard" });
    expect(look()).toBe(1);
    expect(asked).toHaveBeenCalledTimes(3);
  });
});
