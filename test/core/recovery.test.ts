import { describe, expect, it } from "vitest";
import { dispatchedAt } from "../shared/decisions.ts";
import { type Value, encode } from "../../core/codec.ts";
import type { Decision, NodeSpec } from "../../core/jobs/decisions.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import { type PlacementNode, place } from "../../core/jobs/placement.ts";
import {
  MAX_ATTEMPTS,
  MAX_TOTAL_ATTEMPTS,
  type RecoveryContext,
  SPECULATIVE,
  attemptEnded,
  attemptTimeoutMs,
  awaited,
  backupOf,
  comesBack,
  drains,
  nextAttempt,
} from "../../core/jobs/recovery.ts";
import { JobsState, type StageCall } from "../../core/jobs/state.ts";
import { checkCodeIdentity, createRegistry, defineStage, withCodeDigests } from "../../core/index.ts";

const p = (value: Value) => inlinePayload(encode(value));
const work = defineStage({ name: "t/work", version: 1, caps: ["cpu"], timeoutMs: 1_000, cost: { runtimeMs: () => 50, outputBytes: () => 9 }, run: (x: number): number => x + 1 });
const registry = createRegistry({ work });
const spec = (id: string): NodeSpec => ({ id, kind: "runner", url: `http://${id}`, caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 });
const RUNNERS = ["a", "b", "c"];

/** A state with three runners and job "j" whose call 0 went to `a` (attempt 1). */
function fresh(): JobsState {
  const s = new JobsState();
  for (const id of RUNNERS) s.apply({ type: "node.registered", node: spec(id), at: 0 });
  s.apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
  s.apply(dispatched(1, "a"));
  return s;
}

const dispatched = (attempt: number, node: string, verify?: string): Decision => dispatchedAt({ attempt, node, stage: "t/work@1", input: 1, ...(verify ? { verify } : {}) });

/** Placement over the registered runners that are up (no inline or worker backends: the choice is among a, b and c). */
function context(s: JobsState): RecoveryContext {
  return {
    state: s,
    registry,
    by: "leader",
    verify: { fraction: 0, newNodeCalls: 0 },
    place: (request) => {
      const nodes: PlacementNode[] = s.allNodes().filter((n) => n.status === "up").map((n) => ({ spec: n.spec, freeAt: 0 }));
      return place({ ...request, inlineMaxMs: 0 }, nodes);
    },
  };
}

const ref = (attempt: number, node: string) => ({ job: "j", seq: 0, attempt, node });

describe("recovery rules", () => {
  it("gives a slower node proportionally longer, never a faster one less, and counts the predicted wait and transfer", () => {
    const none = { waitMs: 0, transferMs: 0 };
    expect(attemptTimeoutMs(1_000, 1, none)).toBe(1_000);
    expect(attemptTimeoutMs(1_000, 0.5, none)).toBe(2_000);
    expect(attemptTimeoutMs(1_000, 4, none)).toBe(1_000);
    expect(attemptTimeoutMs(1_000, 1, { waitMs: 0, transferMs: 250 })).toBe(1_250);
    expect(attemptTimeoutMs(1_000, 1, { waitMs: 3_000, transferMs: 250 })).toBe(4_250);
  });

  it("a silent attempt: its timeout, its node marked unresponsive, and the call on another node", () => {
    const s = fresh();
    const decisions = attemptEnded(context(s), ref(1, "a"), "no result within its deadline", "silent", 10)!;
    expect(decisions.map((d) => d.type)).toEqual(["call.timeout", "node.unresponsive", "call.dispatched"]);
    const next = decisions[2] as Extract<Decision, { type: "call.dispatched" }>;
    expect(next).toMatchObject({ attempt: 2, by: "leader", at: 10 });
    expect(next.node).not.toBe("a");
    expect(next.reason).toMatch(/re-dispatch after a failed it/);
  });

  it("a re-dispatch names the code the call was first dispatched for, else the leader's registry's (code-identity.ts)", () => {
    const redispatch = (ctx: RecoveryContext) =>
      attemptEnded(ctx, ref(1, "a"), "full", "refused", 10)!.find((d) => d.type === "call.dispatched") as Extract<Decision, { type: "call.dispatched" }>;
    const leaderLocked = { ...context(fresh()), registry: withCodeDigests(registry, { stages: { "t/work@1": "new0000000000000" }, jobs: {} }) };
    // Attempt 1 was dispatched without a digest (no lock): the leader's own digest goes with attempt 2.
    expect(redispatch(leaderLocked).digest).toBe("new0000000000000");
    expect(redispatch(context(fresh())).digest).toBeUndefined();
    // Attempt 1 named its code: attempt 2 names the same, whatever this leader bundles.
    const s = new JobsState();
    for (const id of RUNNERS) s.apply({ type: "node.registered", node: spec(id), at: 0 });
    s.apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
    s.apply({ ...dispatched(1, "a"), digest: "old0000000000000" } as Decision);
    expect((s.job("j")!.calls[0] as StageCall).attempts[0]!.digest).toBe("old0000000000000");
    expect(redispatch({ ...leaderLocked, state: s }).digest).toBe("old0000000000000");
  });

  it("a refusal for other code ends the attempt, not the call: the next attempt, same digest, goes to a node not known to bundle other code; the node is remembered until it registers again", () => {
    const OLD = "old0000000000000";
    const THEIRS = "their00000000000";
    const refusal = (node: string, attempt: number, seq = 0): Decision => {
      const r = checkCodeIdentity(THEIRS, OLD, "t/work@1");
      if (r.ok) throw new Error("expected a mismatch");
      return { type: "call.result", job: "j", seq, attempt, node, outcome: { ok: false, error: r.error }, startedAt: 3, finishedAt: 3, at: 5 };
    };
    const s = new JobsState();
    for (const id of RUNNERS) s.apply({ type: "node.registered", node: spec(id), at: 0 });
    s.apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
    s.apply({ ...dispatched(1, "a"), digest: OLD } as Decision);
    s.apply(refusal("a", 1));
    const call = s.job("j")!.calls[0] as StageCall;
    expect(call.state.is).toBe("pending");
    expect(call.attempts[0]!.status).toMatchObject({ is: "ended", how: "code-mismatch", refusal: { registryDigest: THEIRS, callDigest: OLD } });
    expect(s.node("a")!.bundles).toEqual({ "t/work@1": THEIRS });
    const next = nextAttempt(context(s), s.job("j")!, call, 10, "a bundles other code") as Extract<Decision, { type: "call.dispatched" }>;
    expect(next).toMatchObject({ type: "call.dispatched", attempt: 2, digest: OLD });
    expect(next.node).not.toBe("a");
    // Another call of the stage for the same code keeps off "a"; once it registers again (a new build, maybe), it may be chosen.
    s.apply({ ...dispatchedAt({ seq: 1, attempt: 1, node: "b", stage: "t/work@1", input: 2 }), digest: OLD } as Decision);
    const other = s.job("j")!.calls[1] as StageCall;
    // Its attempt on "b" timed out: "a" would be the best node left (the placement breaks ties by order).
    const timedOut = { ...other, attempts: [{ ...other.attempts[0]!, status: { is: "ended" as const, how: "silent" as const, at: 9 } }] };
    const pick = () => (nextAttempt(context(s), s.job("j")!, timedOut, 10, "b failed it") as Extract<Decision, { type: "call.dispatched" }>).node;
    expect(pick()).toBe("c");
    s.apply({ type: "node.registered", node: spec("a"), at: 20, signedAt: 20 });
    expect(s.node("a")!.bundles).toBeUndefined();
    expect(pick()).toBe("a");
    // Every node refused call 0 ("a" for this call still, registered again or not): the job fails
    // with the refusal, naming both digests; no more attempts.
    s.apply(next);
    s.apply(refusal(next.node, 2));
    const third = nextAttempt(context(s), s.job("j")!, call, 11, "x") as Extract<Decision, { type: "call.dispatched" }>;
    expect(third.node).not.toBe("a");
    s.apply(third);
    s.apply(refusal(third.node, 3));
    expect(nextAttempt(context(s), s.job("j")!, call, 12, "x")).toMatchObject({
      type: "job.finished",
      call: 0,
      outcome: { ok: false, error: { kind: "error", name: "CodeMismatch", mismatch: { kind: "stage", stage: "t/work@1", registryDigest: THEIRS, callDigest: OLD } } },
    });
  });

  it("takes a failure that only looks like a refusal as the call's result: no code and digests, or a digest the attempt did not carry", () => {
    for (const error of [{ name: "CodeMismatch", message: "code_mismatch: thrown by the stage" }, { ...(checkCodeIdentity("x", "y", "t/work@1") as { error: object }).error }]) {
      const s = new JobsState();
      for (const id of RUNNERS) s.apply({ type: "node.registered", node: spec(id), at: 0 });
      s.apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
      s.apply({ ...dispatched(1, "a"), digest: "old0000000000000" } as Decision);
      s.apply({ type: "call.result", job: "j", seq: 0, attempt: 1, node: "a", outcome: { ok: false, error: error as { name: string; message: string } }, startedAt: 3, finishedAt: 3, at: 5 });
      expect((s.job("j")!.calls[0] as StageCall).state).toMatchObject({ is: "done", node: "a", outcome: { ok: false } });
    }
  });

  it("a refused attempt blames nobody, and an orphaned one may go back to the same node", () => {
    const s = fresh();
    const refused = attemptEnded(context(s), ref(1, "a"), "full", "refused", 10)!;
    expect(refused.map((d) => d.type)).toEqual(["call.timeout", "call.dispatched"]);
    expect((refused[1] as Extract<Decision, { type: "call.dispatched" }>).node).not.toBe("a");
    const orphaned = attemptEnded(context(s), ref(1, "a"), "its commander is gone", "orphaned", 10)!;
    expect(orphaned.map((d) => d.type)).toEqual(["call.timeout", "call.dispatched"]);
    expect((orphaned[1] as Extract<Decision, { type: "call.dispatched" }>).reason).toMatch(/the dispatching commander went away/);
  });

  it("an attempt that no longer matters gives nothing: superseded by a backup, answered, or its job ended", () => {
    const superseded = fresh();
    superseded.apply(dispatched(2, "b"));
    expect(attemptEnded(context(superseded), ref(1, "a"), "late", "silent", 10)).toBeNull();
    expect(awaited(superseded.job("j")!.calls[0]!).map((t) => t.attempt)).toEqual([2]);

    const answered = fresh();
    answered.apply({ type: "call.result", job: "j", seq: 0, attempt: 1, node: "a", outcome: { ok: true, value: p(2) }, startedAt: 2, finishedAt: 3, at: 4 });
    expect(attemptEnded(context(answered), ref(1, "a"), "late", "silent", 10)).toBeNull();
    expect(awaited(answered.job("j")!.calls[0]!)).toEqual([]);

    const cancelled = fresh();
    cancelled.apply({ type: "job.cancelled", job: "j", at: 5, reason: "test", by: { kind: "plane" } });
    expect(attemptEnded(context(cancelled), ref(1, "a"), "late", "silent", 10)).toBeNull();
  });

  it("fails the job once a call has had MAX_ATTEMPTS attempts", () => {
    const s = fresh();
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      s.apply({ type: "call.timeout", job: "j", seq: 0, attempt: attempt - 1, node: RUNNERS[(attempt - 2) % 3]!, at: 3, reason: "test" });
      s.apply(dispatched(attempt, RUNNERS[(attempt - 1) % 3]!));
    }
    const last = attemptEnded(context(s), ref(MAX_ATTEMPTS, RUNNERS[(MAX_ATTEMPTS - 1) % 3]!), "late", "refused", 10)!;
    expect(last.at(-1)).toMatchObject({ type: "job.finished", outcome: { ok: false, error: { name: "NoBackend" } } });
    expect(JSON.stringify(last.at(-1))).toMatch(new RegExp(`gave up after ${MAX_ATTEMPTS} attempts`));
  });

  it("does not count attempts orphaned by commanders that went away towards MAX_ATTEMPTS; MAX_TOTAL_ATTEMPTS bounds them all", () => {
    const s = fresh();
    let attempt = 1;
    /** Ends the call's current attempt `how`, applies what the rules decide, and returns the last decision. */
    const end = (how: "orphaned" | "refused") => {
      const node = (s.job("j")!.calls[0] as StageCall).attempts[attempt - 1]!.node;
      const decisions = attemptEnded(context(s), ref(attempt, node), how, how, 10 + attempt)!;
      for (const d of decisions) s.apply(d as Decision);
      attempt++;
      return decisions.at(-1)!;
    };
    // Leader after leader goes away: the call goes out again every time.
    for (let i = 0; i < MAX_ATTEMPTS * 2; i++) expect(end("orphaned")).toMatchObject({ type: "call.dispatched" });
    const call = s.job("j")!.calls[0] as StageCall;
    expect(call.attempts[0]!.status).toEqual({ is: "ended", how: "orphaned", at: 11 });
    // Failures on nodes count: MAX_ATTEMPTS of them end the job, the orphaned ones named apart.
    for (let i = 1; i < MAX_ATTEMPTS; i++) expect(end("refused")).toMatchObject({ type: "call.dispatched" });
    const failed = end("refused");
    expect(failed).toMatchObject({ type: "job.finished", call: 0, outcome: { ok: false, error: { name: "NoBackend" } } });
    expect(JSON.stringify(failed)).toContain(`gave up after ${MAX_ATTEMPTS} attempts (and ${MAX_ATTEMPTS * 2} more orphaned by commanders that went away, not counted)`);

    // Orphaned without end: stopped at MAX_TOTAL_ATTEMPTS, and the error says why.
    const t = fresh();
    const orphan = (n: number) => {
      const decisions = attemptEnded(context(t), ref(n, (t.job("j")!.calls[0] as StageCall).attempts[n - 1]!.node), "gone", "orphaned", 10 + n)!;
      for (const d of decisions) t.apply(d as Decision);
      return decisions.at(-1)!;
    };
    for (let n = 1; n < MAX_TOTAL_ATTEMPTS; n++) expect(orphan(n)).toMatchObject({ type: "call.dispatched" });
    const bounded = orphan(MAX_TOTAL_ATTEMPTS);
    expect(bounded).toMatchObject({ type: "job.finished", outcome: { ok: false, error: { name: "NoBackend" } } });
    expect(JSON.stringify(bounded)).toContain(`gave up after ${MAX_TOTAL_ATTEMPTS} attempts, ${MAX_TOTAL_ATTEMPTS} of them orphaned by commanders that went away (MAX_TOTAL_ATTEMPTS ${MAX_TOTAL_ATTEMPTS})`);
    expect(MAX_TOTAL_ATTEMPTS).toBeGreaterThan(MAX_ATTEMPTS * 5);
  });

  it("records how each attempt ended; one logged before endings were recorded counts as its node's failure", () => {
    const s = fresh();
    s.apply({ type: "call.timeout", job: "j", seq: 0, attempt: 1, node: "a", at: 3, reason: "old entry" });
    expect((s.job("j")!.calls[0] as StageCall).attempts[0]!.status).toEqual({ is: "ended", how: "unrecorded", at: 3 });
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      s.apply(dispatched(attempt, RUNNERS[(attempt - 1) % 3]!));
      if (attempt < MAX_ATTEMPTS) s.apply({ type: "call.timeout", job: "j", seq: 0, attempt, node: RUNNERS[(attempt - 1) % 3]!, at: 4, reason: "old entry" });
    }
    const last = attemptEnded(context(s), ref(MAX_ATTEMPTS, RUNNERS[(MAX_ATTEMPTS - 1) % 3]!), "late", "refused", 10)!;
    expect(last.at(-1)).toMatchObject({ type: "job.finished" });
  });

  it("a verified call records every attempt that ends, and replaces one only when agreement needs it", () => {
    const s = new JobsState();
    for (const id of RUNNERS) s.apply({ type: "node.registered", node: spec(id), at: 0 });
    s.apply({ type: "job.accepted", job: "j", name: "t/job", input: p(1), at: 1 });
    s.apply(dispatched(1, "a", "sampled"));
    s.apply(dispatched(2, "b"));
    s.apply(dispatched(3, "c"));
    expect(awaited(s.job("j")!.calls[0]!).map((t) => t.attempt)).toEqual([1, 2, 3]);
    // Two others still out can agree without it: recorded, not replaced.
    expect(attemptEnded(context(s), ref(1, "a"), "late", "refused", 10)!.map((d) => d.type)).toEqual(["call.timeout"]);
    s.apply({ type: "call.timeout", job: "j", seq: 0, attempt: 1, node: "a", at: 10, reason: "late" });
    // Now only one other is out: agreement needs a replacement, away from the node still running it.
    const decisions = attemptEnded(context(s), ref(2, "b"), "late", "refused", 11)!;
    expect(decisions.map((d) => d.type)).toEqual(["call.timeout", "call.dispatched"]);
    expect((decisions[1] as Extract<Decision, { type: "call.dispatched" }>).node).not.toBe("c");
  });

  it("a backup is the call's next attempt, named speculative, until the call has its result", () => {
    const s = fresh();
    const backup = backupOf(context(s), ref(1, "a"), { node: "b", finishAt: 5, waitMs: 0, transferMs: 0, runMs: 1 }, "running 10× past its prediction", 4)!;
    expect(backup).toMatchObject({ type: "call.dispatched", attempt: 2, node: "b", by: "leader" });
    expect(backup.type === "call.dispatched" && backup.reason.startsWith(SPECULATIVE)).toBe(true);
    s.apply({ type: "call.result", job: "j", seq: 0, attempt: 1, node: "a", outcome: { ok: true, value: p(2) }, startedAt: 2, finishedAt: 3, at: 4 });
    expect(backupOf(context(s), ref(1, "a"), { node: "b", finishAt: 5, waitMs: 0, transferMs: 0, runMs: 1 }, "late", 5)).toBeNull();
  });

  it("drains a node judged suspect or failed while it is up; lets back a failed one that heartbeats, never a suspect one", () => {
    expect(drains({ verdict: "suspect" }, "up")).toBe(true);
    expect(drains({ verdict: "failed" }, "up")).toBe(true);
    expect(drains({ verdict: "healthy" }, "up")).toBe(false);
    expect(drains({ verdict: "failed" }, "unresponsive")).toBe(false);
    expect(drains({ verdict: "failed" }, undefined)).toBe(false);
    expect(comesBack("failed")).toBe(true);
    expect(comesBack("healthy")).toBe(true);
    expect(comesBack("suspect")).toBe(false);
  });
});
