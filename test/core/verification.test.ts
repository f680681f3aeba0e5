import { describe, expect, it } from "vitest";
import { dispatchedAt } from "../shared/decisions.ts";
import { type Value, encode } from "../../core/codec.ts";
import { type AdvanceContext, type JobSeed, advance } from "../../core/jobs/advance.ts";
import { type CallOutcome, type Decision, INLINE_NODE, type NodeSpec, WORKER_NODE, decisionId } from "../../core/jobs/decisions.ts";
import { type Payload, inlinePayload } from "../../core/jobs/payload.ts";
import { type PlacementNode, place } from "../../core/jobs/placement.ts";
import { JobsState, heldAnswers, outcomeOf } from "../../core/jobs/state.ts";
import { stage } from "../shared/calls.ts";
import {
  type Answer,
  DEFAULT_VERIFY_POLICY,
  attemptsNeeded,
  countable,
  describePolicy,
  groups,
  quorumFor,
  sameOutcome,
  sampled,
  verifyReason,
} from "../../core/jobs/verification.ts";
import { registry } from "../shared/registry.ts";

const p = (value: Value) => inlinePayload(encode(value));
const ok = (value: Value): CallOutcome<Payload> => ({ ok: true, value: p(value) });
const answer = (attempt: number, node: string, value: Value): Answer => ({ attempt, node, outcome: ok(value), startedAt: 0, finishedAt: 1 });

describe("verification rules", () => {
  it("compares outcomes by their bytes, and failures by name and message", () => {
    expect(sameOutcome(ok({ a: 1 }), ok({ a: 1 }))).toBe(true);
    expect(sameOutcome(ok({ a: 1 }), ok({ a: 2 }))).toBe(false);
    expect(sameOutcome({ ok: true, value: { r2: "h", bytes: 9 } }, { ok: true, value: { r2: "h", bytes: 9 } })).toBe(true);
    expect(sameOutcome({ ok: true, value: { r2: "h", bytes: 9 } }, ok(1))).toBe(false);
    const fail = (message: string): CallOutcome<Payload> => ({ ok: false, error: { name: "RangeError", message } });
    expect(sameOutcome(fail("x"), fail("x"))).toBe(true);
    expect(sameOutcome(fail("x"), fail("y"))).toBe(false);
    expect(sameOutcome(fail("x"), ok("x"))).toBe(false);
  });

  it("groups answers largest first and counts one answer per trusted node", () => {
    const answers = [answer(1, "a", 1), answer(2, "b", 2), answer(3, "c", 2), answer(4, "b", 2)];
    expect(groups(answers).map((g) => g.map((x) => x.node))).toEqual([["b", "c", "b"], ["a"]]);
    expect(countable(answers, (n) => n === "c").map((x) => x.attempt)).toEqual([1, 2]);
  });

  it("asks for another attempt only when the answers and attempts out cannot reach agreement", () => {
    expect(attemptsNeeded(2, [], 2)).toBe(0); // both out
    expect(attemptsNeeded(2, [answer(1, "a", 1)], 1)).toBe(0); // one answered, one out
    expect(attemptsNeeded(2, [answer(1, "a", 1)], 0)).toBe(1); // the other timed out
    expect(attemptsNeeded(2, [answer(1, "a", 1), answer(2, "b", 2)], 0)).toBe(1); // a dispute: a third decides
    expect(attemptsNeeded(2, [answer(1, "a", 1), answer(2, "b", 2)], 1)).toBe(0); // the third is out
    expect(attemptsNeeded(1, [], 0)).toBe(1);
  });

  it("needs two agreeing answers while a runner has answered or may still, one of the plane's own otherwise", () => {
    const trusted = (n: string) => n === WORKER_NODE || n === INLINE_NODE;
    expect(quorumFor([answer(2, WORKER_NODE, 1)], true, trusted)).toBe(2);
    expect(quorumFor([answer(1, "r", 1)], false, trusted)).toBe(2);
    expect(quorumFor([answer(2, WORKER_NODE, 1)], false, trusted)).toBe(1);
    expect(quorumFor([], false, trusted)).toBe(1);
  });

  it("describes the policy for GET /v1/cluster, with a warning only when nothing is verified", () => {
    expect(describePolicy(DEFAULT_VERIFY_POLICY)).toEqual({ fraction: 0, newNodeCalls: 10 });
    expect(describePolicy({ fraction: 0.1, newNodeCalls: 0 })).not.toHaveProperty("warning");
    expect(describePolicy({ fraction: 0, newNodeCalls: 0 }).warning).toMatch(/verification is off/);
  });

  it("samples a stable fraction of calls, by their identity", () => {
    const picks = Array.from({ length: 10_000 }, (_, i) => sampled(`job-${i % 97}`, i, 0.1));
    const share = picks.filter(Boolean).length / picks.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
    expect(Array.from({ length: 10_000 }, (_, i) => sampled(`job-${i % 97}`, i, 0.1))).toEqual(picks);
    expect(sampled("j", 1, 0)).toBe(false);
    expect(sampled("j", 1, 1)).toBe(true);
  });

  it("verifies a new node's first calls and the sample, never the plane's own backends", () => {
    const policy = { fraction: 0, newNodeCalls: 3 };
    expect(verifyReason(policy, { job: "j", seq: 0 }, { id: "r", trusted: false, dispatchedBefore: 2 })).toMatch(/new node: r's call 3 of the first 3/);
    expect(verifyReason(policy, { job: "j", seq: 0 }, { id: "r", trusted: false, dispatchedBefore: 3 })).toBeNull();
    expect(verifyReason({ fraction: 1, newNodeCalls: 0 }, { job: "j", seq: 0 }, { id: "r", trusted: false, dispatchedBefore: 9 })).toMatch(/sampled/);
    expect(verifyReason({ fraction: 1, newNodeCalls: 9 }, { job: "j", seq: 0 }, { id: WORKER_NODE, trusted: true, dispatchedBefore: 0 })).toBeNull();
  });
});

describe("JobsState: verified calls", () => {
  const spec = (id: string): NodeSpec => ({ id, kind: "runner", url: `http://${id}`, caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 });
  const dispatched = (attempt: number, node: string, verify?: string): Decision =>
    dispatchedAt({ attempt, node, stage: "shapes/stats@1", input: { seed: 1, n: 1 }, ...(verify ? { verify } : {}) });
  const result = (attempt: number, node: string, value: Value): Decision => ({
    type: "call.result",
    job: "j",
    seq: 0,
    attempt,
    node,
    outcome: ok(value),
    startedAt: 3,
    finishedAt: 4 + attempt,
    at: 5 + attempt,
  });
  const fresh = () => {
    const s = new JobsState();
    for (const id of ["a", "b", "c"]) s.apply({ type: "node.registered", node: spec(id), at: 0 });
    s.apply({ type: "job.accepted", job: "j", name: "shapes/chain", input: p({ seed: 1 }), at: 1 });
    s.apply(dispatched(1, "a", "sampled"));
    s.apply(dispatched(2, "b"));
    return s;
  };

  it("holds the first answer and accepts the result once a second node agrees", () => {
    const s = fresh();
    expect(s.apply(result(1, "a", "right"))).toEqual({ effect: "job", job: "j" });
    const call = s.job("j")!.calls[0]!;
    expect(call.state).toMatchObject({ is: "verifying", reason: "sampled" });
    expect(heldAnswers(stage(call))).toHaveLength(1);
    s.apply(result(2, "b", "right"));
    expect(call.state).toEqual({ is: "done", outcome: ok("right"), node: "a", startedAt: 3, finishedAt: 5, verified: { reason: "sampled", settled: "agreed", by: ["a", "b"], dissenters: [] } });
    expect(s.counters).toMatchObject({ verifiedCalls: 1, disputes: 0, quarantines: 0 });
    expect(s.node("a")!.dispatched).toBe(1);
    expect(s.job("j")!.events.at(-1)!.detail).toMatch(/verified: a and b agree/);
  });

  it("on a dispute waits for a third node, then quarantines the one that disagrees with the majority", () => {
    const s = fresh();
    s.apply(result(1, "a", "right"));
    s.apply(result(2, "b", "wrong"));
    const call = s.job("j")!.calls[0]!;
    expect(call.state.is).toBe("verifying");
    s.apply(dispatched(3, "c"));
    expect(s.apply(result(3, "c", "right"))).toEqual({ effect: "job", job: "j", quarantined: ["b"] });
    expect(call.state).toMatchObject({ is: "done", outcome: ok("right"), verified: { settled: "agreed", by: ["a", "c"], dissenters: ["b"] } });
    expect(s.node("b")).toMatchObject({ status: "quarantined", quarantine: { call: { job: "j", seq: 0 } } });
    expect(s.node("b")!.quarantine!.reason).toMatch(/differs from a and c/);
    expect(s.counters).toMatchObject({ verifiedCalls: 1, disputes: 1, quarantines: 1 });
  });

  it("accepts the plane's own answer unverified once the runner under test ended without one, and not before", () => {
    const runnerThenWorker = () => {
      const s = new JobsState();
      s.apply({ type: "node.registered", node: spec("r"), at: 0 });
      s.apply({ type: "job.accepted", job: "j", name: "shapes/chain", input: p({ seed: 1 }), at: 1 });
      s.apply(dispatched(1, "r", "new node"));
      s.apply(dispatched(2, WORKER_NODE));
      return s;
    };
    const timeout: Decision = { type: "call.timeout", job: "j", seq: 0, attempt: 1, node: "r", at: 9, reason: "r did not take the call" };
    // The Worker answers first: held while r may still answer; r's attempt ends: accepted.
    const s = runnerThenWorker();
    s.apply(result(2, WORKER_NODE, "right"));
    const call = stage(s.job("j")!.calls[0]);
    expect(call.state.is).toBe("verifying");
    expect(s.attemptsNeeded(call, call.attempts.slice(0, 1))).toBe(0);
    s.apply(timeout);
    expect(call.state).toMatchObject({ is: "done", outcome: ok("right"), node: WORKER_NODE, verified: { reason: "new node", settled: "unchecked" } });
    expect(s.counters.verifiedCalls).toBe(0);
    expect(s.job("j")!.events.at(-1)).toMatchObject({ type: "call.timeout", detail: expect.stringMatching(/accepted unverified from worker: no answer of r left to check/) });
    // r's attempt ends first: the Worker's answer is accepted when it comes; r's late answer is a duplicate.
    const t = runnerThenWorker();
    t.apply(timeout);
    const later = stage(t.job("j")!.calls[0]);
    expect(t.attemptsNeeded(later, [later.attempts[1]!])).toBe(0);
    t.apply(result(2, WORKER_NODE, "right"));
    expect(later.state).toMatchObject({ outcome: ok("right"), node: WORKER_NODE });
    t.apply(result(1, "r", "wrong"));
    expect(outcomeOf(later)).toEqual(ok("right"));
    expect(t.counters.duplicateResults).toBe(1);
    // Two runners: one's answer still needs the other's (or a third node's), whatever the Worker says.
    const u = fresh();
    u.apply(result(1, "a", "right"));
    u.apply({ ...timeout, attempt: 2, node: "b" } as Decision);
    expect(u.job("j")!.calls[0]!.state.is).toBe("verifying");
    expect(u.attemptsNeeded(stage(u.job("j")!.calls[0]), [])).toBe(1);
  });

  it("refuses a quarantined node's work and results, and keeps it quarantined when it registers again or heartbeats back", () => {
    const s = fresh();
    s.apply(result(1, "a", "right"));
    s.apply(result(2, "b", "wrong"));
    s.apply(dispatched(3, "c"));
    s.apply(result(3, "c", "right"));
    s.apply({ type: "job.accepted", job: "k", name: "shapes/chain", input: p({ seed: 2 }), at: 10 });
    const stale = s.counters.staleDecisions;
    s.apply({ ...dispatched(1, "b"), job: "k" } as Decision);
    expect(s.job("k")!.calls).toHaveLength(0);
    s.apply({ type: "node.registered", node: spec("b"), at: 11 });
    s.apply({ type: "node.back", node: "b", at: 12, load: { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 } });
    expect(s.node("b")!.status).toBe("quarantined");
    expect(s.counters.staleDecisions).toBe(stale + 2);
    s.apply({ ...dispatched(1, "a"), job: "k" } as Decision);
    s.apply({ ...result(1, "a", "x"), job: "k" } as Decision);
    expect(outcomeOf(s.job("k")!.calls[0]!)).toEqual(ok("x"));
  });

  it("does not count a quarantined node's held answer towards agreement", () => {
    const s = fresh();
    // b is caught on another call first.
    s.apply({ type: "job.accepted", job: "k", name: "shapes/chain", input: p({ seed: 2 }), at: 1 });
    s.apply(result(2, "b", "wrong"));
    for (const [attempt, node, value] of [[1, "a", "r"], [2, "b", "w"], [3, "c", "r"]] as const) {
      s.apply({ ...dispatched(attempt, node, attempt === 1 ? "sampled" : undefined), job: "k" } as Decision);
      s.apply({ ...result(attempt, node, value), job: "k" } as Decision);
    }
    expect(s.node("b")!.status).toBe("quarantined");
    const call = s.job("j")!.calls[0]!;
    s.apply(dispatched(3, "c"));
    s.apply(result(3, "c", "wrong"));
    expect(call.state.is).toBe("verifying"); // b's "wrong" no longer counts, so c's is alone
    expect(s.counters.distrustedResults).toBe(0);
  });

  it("refuses a dispatch decided before its node's quarantine, and says the job must be advanced again", () => {
    const s = fresh();
    s.apply({ type: "node.quarantined", node: "c", at: 3, reason: "caught by shard 1" });
    s.apply({ type: "job.accepted", job: "k", name: "shapes/chain", input: p({ seed: 2 }), at: 4 });
    const stale = s.counters.staleDecisions;
    expect(s.apply({ ...dispatched(1, "c"), job: "k" } as Decision)).toEqual({ effect: "job", job: "k" });
    expect(s.job("k")!.calls).toHaveLength(0);
    expect(s.counters.staleDecisions).toBe(stale + 1);
    // Its retry to another node has another log id (ids name the node), so the log's dedupe keeps it.
    expect(decisionId({ ...dispatched(1, "a"), job: "k" } as Decision)).not.toBe(decisionId({ ...dispatched(1, "c"), job: "k" } as Decision));
  });

  it("starts verifying on a later attempt (a backup on a new node): the earlier attempt's answer must agree", () => {
    const s = new JobsState();
    for (const id of ["a", "b"]) s.apply({ type: "node.registered", node: spec(id), at: 0 });
    s.apply({ type: "job.accepted", job: "j", name: "shapes/chain", input: p({ seed: 1 }), at: 1 });
    s.apply(dispatched(1, "a"));
    s.apply(dispatched(2, "b", "new node"));
    s.apply(result(2, "b", "from b"));
    expect(s.job("j")!.calls[0]!.state.is).toBe("verifying");
    s.apply(result(1, "a", "from b"));
    expect(s.job("j")!.calls[0]!.state).toMatchObject({ verified: { settled: "agreed", by: ["b", "a"], reason: "new node" } });
  });

  it("does not quarantine a node whose answer was an error (the host may have failed it)", () => {
    const s = fresh();
    s.apply(result(1, "a", "right"));
    s.apply({ ...result(2, "b", "x"), outcome: { ok: false, error: { name: "RangeError", message: "out of memory" } } } as Decision);
    s.apply(dispatched(3, "c"));
    s.apply(result(3, "c", "right"));
    expect(s.job("j")!.calls[0]!.state).toMatchObject({ verified: { by: ["a", "c"], dissenters: ["b"] } });
    expect(s.node("b")!.status).toBe("up");
    expect(s.counters.quarantines).toBe(0);
  });

  it("a snapshot keeps held answers and quarantines", () => {
    const s = fresh();
    s.apply(result(1, "a", "right"));
    const copy = new JobsState();
    copy.restore(JSON.parse(JSON.stringify(s.snapshot())));
    copy.apply(result(2, "b", "right"));
    expect(copy.job("j")!.calls[0]!.state).toMatchObject({ verified: { by: ["a", "b"] } });
  });
});

describe("advance: verification", () => {
  const spec = (id: string, cpu: number): NodeSpec => ({ id, kind: "runner", url: `http://${id}`, caps: ["cpu"], speed: { cpu }, slots: 4, latencyMs: 1, bandwidthMBps: 1_000 });
  const nodes = (...runners: NodeSpec[]): PlacementNode[] => [
    { spec: { ...spec(INLINE_NODE, 1), kind: "inline", latencyMs: 0 }, freeAt: 0 },
    { spec: { ...spec(WORKER_NODE, 1), kind: "worker", slots: 100 }, freeAt: 0 },
    ...runners.map((s) => ({ spec: s, freeAt: 0 })),
  ];
  const ctx = (placement: PlacementNode[], verify: AdvanceContext["verify"]): AdvanceContext => ({
    registry,
    now: 100,
    by: "c",
    place: (r) => place({ ...r, inlineMaxMs: 2 }, placement),
    runInline: (stage, input) => ({ outcome: { ok: true, value: registry.stages.get(stage)!.run(input) }, startedAt: 100, finishedAt: 100 }),
    verify,
  });
  const seed: JobSeed = { id: "j", name: "shapes/spin", input: { iterations: 1, salt: 1 }, calls: [], outputs: new Map(), ancestry: [] };

  it("dispatches a verified call to two nodes at once, the second being the best other node", () => {
    const drafts = advance(seed, ctx(nodes(spec("fast", 100), spec("next", 50)), () => "sampled"));
    expect(drafts).toHaveLength(2);
    expect(drafts[0]).toMatchObject({ type: "call.dispatched", attempt: 1, node: "fast", verify: "sampled" });
    expect(drafts[1]).toMatchObject({ type: "call.dispatched", attempt: 2, node: "next" });
    expect((drafts[1] as { reason: string }).reason).toMatch(/^verifies attempt 1 on fast \(sampled\)/);
    expect(drafts[1]).not.toHaveProperty("verify");
  });

  it("counts the calls this pass gave a node, and dispatches once with a note when no second node can run it", () => {
    const seen: number[] = [];
    const fanout: JobSeed = { ...seed, name: "monte-carlo/pi", input: { seed0: 1, runs: 3, samplesPerRun: 1_000_000 } };
    const only = nodes(spec("fast", 1_000));
    const gpuOnly: PlacementNode[] = only.filter((n) => n.spec.id === "fast");
    advance(fanout, ctx(only, (_call, _node, earlier) => (seen.push(earlier), null)));
    expect(seen.slice(0, 2)).toEqual([0, 1]);
    const drafts = advance(seed, ctx(gpuOnly, () => "new node"));
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).not.toHaveProperty("verify");
    expect((drafts[0] as { reason: string }).reason).toMatch(/not verified \(new node\): no second node can run it/);
  });
});
