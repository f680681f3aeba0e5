import { describe, expect, it } from "vitest";
import { dispatchedAt } from "../shared/decisions.ts";
import { type Value, encode } from "../../core/codec.ts";
import { advance, childId, type AdvanceContext, type JobSeed, type Sealable } from "../../core/jobs/advance.ts";
import { type Decision, INLINE_NODE, type NodeSpec, WORKER_NODE, decisionId, decodeDecision } from "../../core/jobs/decisions.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import { type PlacementNode, longestFirst, place, predict } from "../../core/jobs/placement.ts";
import { JobsState } from "../../core/jobs/state.ts";
import { type Viewer, mayAccess } from "../../core/jobs/tenancy.ts";
import { type Step, all, defineJob, defineStage } from "paxflow";
import { createRegistry } from "../../core/sdk/registry.ts";
import { runLocally } from "../../core/sdk/local.ts";
import { registry } from "../shared/registry.ts";

/** A drafted value as the job saw it (these tests seal no Stored references). */
const plainSealed = (s: Sealable): Value => {
  if ("stored" in s) throw new Error("a Stored reference in a test without any");
  return s.value;
};

const p = (value: Value) => inlinePayload(encode(value));

const node = (id: string, over: Partial<NodeSpec> = {}): NodeSpec => ({
  id,
  kind: "runner",
  caps: ["cpu"],
  speed: { cpu: 1 },
  slots: 1,
  latencyMs: 1,
  bandwidthMBps: 100,
  ...over,
});

const stage = (runMs: number, outBytes = 0, caps: readonly ("cpu" | "simd")[] = ["cpu"]) => ({
  ref: "s@1",
  caps,
  cost: { runtimeMs: () => runMs, outputBytes: () => outBytes },
});

const request = (runMs: number, extra: Partial<Parameters<typeof place>[0]> = {}) => ({
  stage: stage(runMs),
  inputBytes: 1_000,
  now: 1_000,
  exclude: new Set<string>(),
  inlineMaxMs: 2,
  ...extra,
});

describe("placement", () => {
  it("charges wait + transfer + run at the node's speed", () => {
    const c = predict({ spec: node("r", { speed: { cpu: 4 }, latencyMs: 2, bandwidthMBps: 1 }), freeAt: 1_010 }, { ...request(40), stage: stage(40, 1_000) });
    expect(c).toEqual({ node: "r", waitMs: 10, transferMs: 2 * 2 + 2_000 / 1_000, runMs: 10, finishAt: 1_000 + 10 + 6 + 10 });
  });

  it("counts the calls a node reported beyond ours as queue wait", () => {
    const spec = node("r", { slots: 2, latencyMs: 0 });
    expect(predict({ spec, freeAt: 0, foreignCalls: 4 }, request(10)).waitMs).toBe((4 * 10) / 2);
  });

  it("moves no input bytes to the node that produced them, and only the rest to one that holds part", () => {
    const spec = node("r", { bandwidthMBps: 1, latencyMs: 0 });
    expect(predict({ spec, freeAt: 0 }, request(1, { inputOn: new Map([["r", 1_000]]) })).transferMs).toBe(0);
    expect(predict({ spec, freeAt: 0 }, request(1, { inputOn: new Map([["r", 600], ["q", 400]]) })).transferMs).toBeCloseTo(0.4);
    expect(predict({ spec, freeAt: 0 }, request(1, { inputOn: new Map([["q", 1_000]]) })).transferMs).toBe(1);
    expect(predict({ spec, freeAt: 0 }, request(1)).transferMs).toBe(1);
  });

  it("orders calls that became ready together longest declared run first, ties as given", () => {
    const calls = [
      { id: "short", stage: stage(1), inputBytes: 0 },
      { id: "long", stage: stage(30), inputBytes: 0 },
      { id: "mid-a", stage: stage(5), inputBytes: 0 },
      { id: "mid-b", stage: stage(5), inputBytes: 0 },
    ];
    expect(longestFirst(calls, (c) => c.stage.cost.runtimeMs()).map((c) => c.id)).toEqual(["long", "mid-a", "mid-b", "short"]);
    expect(calls.map((c) => c.id)).toEqual(["short", "long", "mid-a", "mid-b"]);
  });

  it("covers the three cases: stay local, go faster and ship back, go weaker but free", () => {
    const inline = node(INLINE_NODE, { kind: "inline", latencyMs: 0 });
    const fast = node("fast", { speed: { cpu: 10 }, latencyMs: 5 });
    const weak = node("weak", { speed: { cpu: 0.5 }, latencyMs: 1 });
    const nodes = (fastFreeAt: number): PlacementNode[] => [
      { spec: inline, freeAt: 0 },
      { spec: fast, freeAt: fastFreeAt },
      { spec: weak, freeAt: 0 },
    ];
    // Tiny call: the overhead of leaving dominates, it runs where the data is.
    const tiny = place(request(0.5), nodes(0));
    expect(tiny.ok && tiny.winner.node).toBe(INLINE_NODE);
    // Big call, fast node free: worth the round trip.
    const big = place(request(100), nodes(0));
    expect(big.ok && big.winner.node).toBe("fast");
    // Fast node busy for a long time: the weak one finishes first.
    const busy = place(request(100), nodes(1_000 + 10_000));
    expect(busy.ok && busy.winner.node).toBe("weak");
    expect(busy.ok && busy.alternatives.map((a) => a.node)).toEqual(["weak", "fast"]);
    expect(busy.ok && busy.reason).toContain("weak finishes first");
  });

  it("never sends a call to a node without its caps or one that failed it; says why when none is left", () => {
    const nodes = [{ spec: node("a"), freeAt: 0 }, { spec: node("g", { caps: ["cpu", "simd"] }), freeAt: 0 }];
    const simd = place({ ...request(5), stage: stage(5, 0, ["simd"]) }, nodes);
    expect(simd.ok && simd.winner.node).toBe("g");
    const none = place({ ...request(5), stage: stage(5, 0, ["simd"]), exclude: new Set(["g"]) }, nodes);
    expect(none).toEqual({ ok: false, cause: "no-node", reason: "every node with simd already timed out on this call" });
    expect(place({ ...request(5), stage: stage(5, 0, ["simd"]) }, [nodes[0]!])).toEqual({ ok: false, cause: "no-node", reason: "no node has the capabilities simd" });
  });
});

describe("JobsState", () => {
  const accepted = (job = "j"): Decision => ({ type: "job.accepted", job, name: "shapes/chain", input: p({ seed: 1 }), at: 1 });
  const dispatched = (seq: number, attempt: number, node: string, job = "j"): Decision =>
    dispatchedAt({ job, seq, attempt, node, stage: "shapes/stats@1", input: { seed: seq, n: 1 } });
  const result = (seq: number, attempt: number, node: string, value: Value, job = "j"): Decision => ({
    type: "call.result",
    job,
    seq,
    attempt,
    node,
    outcome: { ok: true, value: p(value) },
    startedAt: 3,
    finishedAt: 4,
    at: 5,
  });

  it("keeps the first result of a call and counts the others", () => {
    const s = new JobsState();
    s.apply(accepted());
    s.apply(dispatched(0, 1, "a"));
    s.apply({ type: "call.timeout", job: "j", seq: 0, attempt: 1, node: "a", at: 6, reason: "late" });
    s.apply(dispatched(0, 2, "b"));
    s.apply(result(0, 2, "b", "from b"));
    s.apply(result(0, 1, "a", "from a"));
    const call = s.job("j")!.calls[0]!;
    expect(call.state).toMatchObject({ is: "done", node: "b", outcome: { ok: true, value: p("from b") } });
    expect(s.counters).toMatchObject({ duplicateResults: 1, timeouts: 1, redispatches: 1 });
  });

  it("ignores a job.finished that gives up on a call which got its result meanwhile", () => {
    // Found by the job-plane simulation (runtime/sim/job-sim.ts): the leader expired a call's last
    // attempt and, out of attempts, decided the job failed, while a result for the call (an offer
    // not under the job's lock) was on its way; the result was chosen first, then the failure.
    const s = new JobsState();
    s.apply(accepted());
    s.apply(dispatched(0, 1, "a"));
    s.apply(result(0, 1, "a", "from a"));
    const gaveUp: Decision = {
      type: "job.finished",
      job: "j",
      at: 6,
      call: 0,
      outcome: { ok: false, error: { kind: "error", name: "NoBackend", message: "call 0 (shapes/stats@1): gave up after 5 attempts" } },
    };
    expect(s.apply(gaveUp)).toEqual({ effect: "none" });
    expect(s.job("j")!.status).toBe("running");
    expect(s.counters.staleDecisions).toBe(1);
    // The job's own end, later, is not taken for a copy of the stale one (the log drops repeated ids).
    const done: Decision = { type: "job.finished", job: "j", at: 7, outcome: { ok: true, output: p(1) } };
    expect(decisionId(done)).not.toBe(decisionId(gaveUp));
    expect(s.apply(done)).toMatchObject({ effect: "job" });
    expect(s.job("j")!.status).toBe("done");
    // Without a result it ends the job, as before.
    s.apply(accepted("k"));
    s.apply(dispatched(0, 1, "a", "k"));
    s.apply({ ...gaveUp, job: "k" });
    expect(s.job("k")!.status).toBe("failed");
  });

  it("refuses results from a node the attempt was not dispatched to, and stale dispatches", () => {
    const s = new JobsState();
    s.apply(accepted());
    s.apply(dispatched(0, 1, "a"));
    s.apply(result(0, 1, "intruder", "forged"));
    s.apply(dispatched(0, 1, "b")); // the same attempt again (another commander raced)
    s.apply(dispatched(2, 1, "b")); // a hole in the call sequence
    expect(s.job("j")!.calls[0]!.state.is).toBe("pending");
    expect(s.job("j")!.calls).toHaveLength(1);
    expect(s.counters.staleDecisions).toBe(3);
  });

  it("ignores results after a cancel, and cancels running sub-jobs with their parent, recording who cancelled", () => {
    const s = new JobsState();
    s.apply(accepted("p"));
    s.apply({ type: "job.accepted", job: childId("p", 0), name: "shapes/chain", input: p({ seed: 2 }), at: 2, parent: { job: "p", seq: 0 } });
    s.apply(dispatched(0, 1, "a", childId("p", 0)));
    s.apply({ type: "job.cancelled", job: "p", at: 3, reason: "user", by: { kind: "client", token: "ci" } });
    expect(s.job("p")).toMatchObject({ status: "cancelled", cancelledBy: { kind: "client", token: "ci" }, error: { kind: "cancelled", message: "user" } });
    expect(s.job("p")!.events.at(-1)!.detail).toBe('JobCancelled: user (by token "ci")');
    expect(s.job(childId("p", 0))).toMatchObject({ status: "cancelled", cancelledBy: { kind: "client", token: "ci" } });
    s.apply(result(0, 1, "a", 1, childId("p", 0)));
    expect(s.counters.lateResults).toBe(1);
    expect(s.runningJobs()).toEqual([]);
  });

  it("decodes a job.cancelled logged before cancellers were recorded, and refuses a malformed canceller", () => {
    const old = { type: "job.cancelled", job: "p", at: 3, reason: "cancelled through DELETE /v1/jobs/{id}" };
    expect(decodeDecision(old)).toEqual({ ...old, by: { kind: "unrecorded" } });
    const s = new JobsState();
    s.apply(accepted("p"));
    s.apply(decodeDecision(old)!);
    expect(s.job("p")).toMatchObject({ status: "cancelled", cancelledBy: { kind: "unrecorded" } });
    expect(s.job("p")!.events.at(-1)!.detail).toContain("canceller not recorded");
    const plane = { ...old, by: { kind: "plane" } };
    expect(decodeDecision(plane)).toEqual(plane);
    expect(decodeDecision({ ...old, by: { kind: "client" } })).toBeNull();
    expect(decodeDecision({ ...old, by: "ci" })).toBeNull();
    expect(decodeDecision({ ...old, by: { kind: "someone" } })).toBeNull();
  });

  it("decodes a call.timeout with or without how the attempt ended, and refuses an unknown ending", () => {
    const timeout = { type: "call.timeout", job: "j", seq: 0, attempt: 1, node: "a", at: 6, reason: "late" };
    expect(decodeDecision(timeout)).toEqual(timeout);
    expect(decodeDecision({ ...timeout, ending: "orphaned" })).toEqual({ ...timeout, ending: "orphaned" });
    expect(decodeDecision({ ...timeout, ending: "lost" })).toBeNull();
  });

  it("gives a sub-job its tree's tenant: only the root's submitter and admins see it", () => {
    const s = new JobsState();
    s.apply({ ...accepted("p"), submittedBy: "alice" } as Decision);
    // A sub-job's acceptance names no submitter (or a wrong one): the tree's owner is the root's.
    s.apply({ type: "job.accepted", job: "p.0", name: "shapes/chain", input: p({ seed: 2 }), at: 2, parent: { job: "p", seq: 0 }, submittedBy: "mallory" });
    expect(s.job("p.0")!.submittedBy).toBe("alice");
    const alice: Viewer = { kind: "tenant", name: "alice" };
    const bob: Viewer = { kind: "tenant", name: "bob" };
    const admin: Viewer = { kind: "admin", name: "ops" };
    for (const id of ["p", "p.0"]) {
      expect(mayAccess(s.job(id)!, alice)).toBe(true);
      expect(mayAccess(s.job(id)!, bob)).toBe(false);
      expect(mayAccess(s.job(id)!, admin)).toBe(true);
    }
    // Logged before submitters were recorded: admins only.
    s.apply(accepted("old"));
    expect(mayAccess(s.job("old")!, alice)).toBe(false);
    expect(mayAccess(s.job("old")!, admin)).toBe(true);
  });

  it("answers the parent's call when a sub-job ends; a fatal sub-job failure ends the parent", () => {
    const s = new JobsState();
    s.apply(accepted("p"));
    s.apply({ type: "job.accepted", job: "p.0", name: "x", input: p(1), at: 2, parent: { job: "p", seq: 0 } });
    s.apply({ type: "job.finished", job: "p.0", at: 3, outcome: { ok: true, output: p(42) } });
    expect(s.job("p")!.calls[0]!.state).toEqual({ is: "done", outcome: { ok: true, value: p(42) }, finishedAt: 3 });
    s.apply({ type: "job.accepted", job: "p.1", name: "x", input: p(1), at: 4, parent: { job: "p", seq: 1 } });
    s.apply({ type: "job.finished", job: "p.1", at: 5, outcome: { ok: false, error: { kind: "wait-cycle", name: "WaitCycleError", message: "x -> x" } } });
    expect(s.job("p")!.status).toBe("failed");
    expect(s.job("p")!.error).toMatchObject({ kind: "wait-cycle" });
  });

  it("restores from its snapshot to an equal state, and forgets the oldest finished jobs", () => {
    const s = new JobsState({ retainFinished: 2 });
    for (const id of ["a", "b", "c"]) {
      s.apply(accepted(id));
      s.apply({ type: "job.finished", job: id, at: 9, outcome: { ok: true, output: p(id) } });
    }
    expect(s.job("a")).toBeUndefined();
    expect(s.job("c")!.status).toBe("done");
    const copy = new JobsState({ retainFinished: 2 });
    copy.restore(JSON.parse(JSON.stringify(s.snapshot())));
    expect(copy.snapshot()).toEqual(s.snapshot());
  });
});

describe("advance", () => {
  const builtins: PlacementNode[] = [
    { spec: node(INLINE_NODE, { kind: "inline", latencyMs: 0 }), freeAt: 0 },
    { spec: node(WORKER_NODE, { kind: "worker", slots: 100 }), freeAt: 0 },
  ];
  const ctx: AdvanceContext = {
    registry,
    now: 100,
    by: "c",
    place: (r) => place({ ...r, inlineMaxMs: 2 }, builtins),
    runInline: (stage, input) => ({ outcome: { ok: true, value: registry.stages.get(stage)!.run(input) }, startedAt: 100, finishedAt: 100 }),
  };
  // A running job's seed and ancestry name it by ref, "name@version" (the version it started on).
  const seed = (name: string, input: Value): JobSeed => ({ id: "j", name: `${name}@1`, input, calls: [], outputs: new Map(), ancestry: [{ kind: "job", target: `${name}@1`, input }] });

  it("runs a job of small stages to its end in one pass", () => {
    const drafts = advance(seed("shapes/chain", { seed: 5 }), ctx);
    expect(drafts.map((d) => d.type)).toEqual([...Array(3).fill(["call.dispatched", "call.result"]).flat(), "job.finished"]);
  });

  it("dispatches a long stage and waits for it", () => {
    const drafts = advance(seed("shapes/spin", { iterations: 1, salt: 1 }), ctx);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({ type: "call.dispatched", node: WORKER_NODE, attempt: 1, seq: 0 });
  });

  it("spreads one all(...) over nodes: calls placed in the pass keep their node busy", () => {
    const fast = node("fast", { speed: { cpu: 2 }, slots: 2, latencyMs: 1 });
    const spread: AdvanceContext = { ...ctx, place: (r) => place({ ...r, inlineMaxMs: 2 }, [...builtins, { spec: fast, freeAt: 0 }]) };
    const drafts = advance(seed("monte-carlo/pi", { seed0: 1, runs: 3, samplesPerRun: 10 }), spread);
    const nodes = drafts.filter((d) => d.type === "call.dispatched").map((d) => (d as { node: string }).node);
    // fast runs two at once at twice the speed; the third would wait for a slot, so the Worker wins it.
    expect(nodes).toEqual(["fast", "fast", WORKER_NODE]);
  });

  it("places the calls of one all(...) longest first: the long one takes the fast node, the short one the free slow node", () => {
    const work = (name: string, runMs: number) => defineStage({ name, version: 1, caps: ["cpu"], timeoutMs: 1_000, cost: { runtimeMs: () => runMs, outputBytes: () => 8 }, run: (x: number) => x });
    const short = work("t/short", 30);
    const long = work("t/long", 40);
    const pair = defineJob({
      name: "t/pair",
      *run(x: number): Step<number> {
        const [a, b] = yield* all([short(x), long(x)]);
        return a + b;
      },
    });
    const nodes: PlacementNode[] = [
      { spec: node("fast", { speed: { cpu: 2 }, latencyMs: 0 }), freeAt: 0 },
      { spec: node("slow", { speed: { cpu: 1 }, latencyMs: 0 }), freeAt: 0 },
    ];
    const drafts = advance(seed("t/pair", 1), { ...ctx, registry: createRegistry({ short, long, pair }), place: (r) => place({ ...r, inlineMaxMs: 2 }, nodes) });
    // In call order the short call would take fast (15 ms) and the long one queue behind it (35 ms);
    // longest first, both finish by 30 ms.
    // Logged in call order all the same.
    expect(drafts.map((d) => d.type === "call.dispatched" && [d.seq, d.stage, d.node])).toEqual([
      [0, "t/short@1", "slow"],
      [1, "t/long@1", "fast"],
    ]);
  });

  it("hands back a step after its budget of calls; the job goes on at its next steps, in order", () => {
    const inc = defineStage({ name: "t/inc", version: 1, caps: ["cpu"], timeoutMs: 1_000, cost: { runtimeMs: () => 0.001, outputBytes: () => 8 }, run: (x: number) => x + 1 });
    const long = defineJob({
      name: "t/long",
      *run(n: number): Step<number> {
        let x = 0;
        for (let i = 0; i < n; i += 2) {
          const [a, b] = yield* all([inc(x), inc(x + 1)]);
          x = a + b;
        }
        return x;
      },
    });
    const own = createRegistry({ inc, long });
    const sliced: AdvanceContext = {
      ...ctx,
      registry: own,
      stepBudget: { calls: 7, inlineMs: Number.POSITIVE_INFINITY },
      runInline: (stage, input) => ({ outcome: { ok: true, value: own.stages.get(stage)!.run(input) }, startedAt: 100, finishedAt: 100 }),
    };
    const calls: { call: { kind: "stage"; target: string; input: Value }; outcome?: { ok: true; value: Value } }[] = [];
    const steps: number[] = [];
    for (let step = 0; step < 10; step++) {
      const drafts = advance({ ...seed("t/long", 20), calls }, sliced);
      const results = drafts.filter((d) => d.type === "call.result");
      steps.push(results.length);
      // What the log would record: each dispatched call, then its result.
      for (const d of drafts) {
        if (d.type === "call.dispatched") calls[d.seq] = { call: { kind: "stage", target: d.stage, input: plainSealed(d.input) } };
        if (d.type === "call.result" && d.outcome.ok) calls[d.seq] = { ...calls[d.seq]!, outcome: { ok: true, value: plainSealed(d.outcome.value) } };
      }
      const end = drafts.find((d) => d.type === "job.finished");
      if (end) {
        const local = runLocally(own, "t/long", 20);
        expect(end).toMatchObject({ outcome: { ok: true, output: { value: (local as { output: Value }).output } } });
        break;
      }
    }
    // 20 inline calls, at most 7 a step (an all(...) may be cut in the middle): 7, 7, 6.
    expect(steps).toEqual([7, 7, 6]);
    expect(calls).toHaveLength(20);
  });

  it("places a fan-out a budget of calls at a time: the rest stays new to the next steps, each call dispatched once", () => {
    const budget: AdvanceContext = { ...ctx, stepBudget: { calls: 4, inlineMs: Number.POSITIVE_INFINITY } };
    const input = { seed0: 1, runs: 10, samplesPerRun: 100_000 };
    const calls: { call: { kind: "stage"; target: string; input: Value } }[] = [];
    const perStep: number[][] = [];
    for (let step = 0; step < 5; step++) {
      const drafts = advance({ ...seed("monte-carlo/pi", input), calls }, budget);
      const seqs = drafts.flatMap((d) => (d.type === "call.dispatched" ? [d.seq] : []));
      if (seqs.length === 0) break;
      perStep.push(seqs);
      for (const d of drafts) if (d.type === "call.dispatched") calls[d.seq] = { call: { kind: "stage", target: d.stage, input: plainSealed(d.input) } };
    }
    expect(perStep).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it("hands back a step once the calls it ran inline were predicted to take its inlineMs", () => {
    const slowish = defineStage({ name: "t/slowish", version: 1, caps: ["cpu"], timeoutMs: 1_000, cost: { runtimeMs: () => 1, outputBytes: () => 8 }, run: (x: number) => x + 1 });
    const chain = defineJob({
      name: "t/chain",
      *run(n: number): Step<number> {
        let x = 0;
        for (let i = 0; i < n; i++) x = yield* slowish(x);
        return x;
      },
    });
    const own = createRegistry({ slowish, chain });
    const timed: AdvanceContext = {
      ...ctx,
      registry: own,
      place: (r) => place({ ...r, inlineMaxMs: 2 }, builtins),
      stepBudget: { calls: 1_000, inlineMs: 5 },
      // The clock does not move (as in workerd): only the predicted time can end the step.
      runInline: (stage, x) => ({ outcome: { ok: true, value: own.stages.get(stage)!.run(x) }, startedAt: 100, finishedAt: 100 }),
    };
    const drafts = advance(seed("t/chain", 20), timed);
    const inline = drafts.filter((d) => d.type === "call.result");
    expect(inline.length).toBeGreaterThan(0);
    expect(inline.length).toBeLessThan(20);
    // Every inline call's prediction counted: the step stopped at the first that reached 5 ms.
    const predicted = drafts.flatMap((d) => (d.type === "call.dispatched" ? [d.predicted.runMs] : []));
    expect(predicted.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThan(5);
    expect(predicted.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5);
  });

  it("fails a job that makes more calls than MAX_CALLS_PER_JOB, naming the limit and the call", () => {
    // shapes/fanout makes 8 stage calls at once; with a limit of 5 the 6th (seq 5) is one too many.
    const drafts = advance(seed("shapes/fanout", { seed: 1 }), { ...ctx, maxCallsPerJob: 5 });
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({ type: "job.finished", outcome: { ok: false, error: { kind: "error", name: "TooManyCalls" } } });
    const message = (drafts[0] as { outcome: { error: { message: string } } }).outcome.error.message;
    expect(message).toContain("more than 5 calls");
    expect(message).toContain("MAX_CALLS_PER_JOB");
    expect(message).toContain("call 5: shapes/stats@1");
    // Within the limit it runs as usual.
    expect(advance(seed("shapes/fanout", { seed: 1 }), { ...ctx, maxCallsPerJob: 8 }).at(-1)).toMatchObject({ type: "job.finished", outcome: { ok: true } });
  });

  it("fails a job that would start a sub-job deeper than MAX_JOB_DEPTH, naming the chain shortened in the middle", () => {
    // A job at depth d has d + 1 entries of ancestry (the root first, itself last).
    const at = (depth: number): JobSeed => {
      const ancestry = Array.from({ length: depth + 1 }, (_, i) => ({ kind: "job" as const, target: "shapes/recurse@1", input: { depth: 100 - i, loop: false } }));
      return { ...seed("shapes/recurse", ancestry.at(-1)!.input), ancestry };
    };
    expect(advance(at(63), ctx)).toMatchObject([{ type: "job.accepted", job: "j.0", parent: { job: "j", seq: 0 } }]);
    const [finished, ...rest] = advance(at(64), ctx);
    expect(rest).toEqual([]);
    expect(finished).toMatchObject({ type: "job.finished", outcome: { ok: false, error: { kind: "too-deep", name: "JobTooDeep" } } });
    const message = (finished as { outcome: { error: { message: string } } }).outcome.error.message;
    // 64 ancestors and the new sub-job: 66 names, the first and last three shown.
    expect(message).toBe(
      "sub-job depth 65 exceeds MAX_JOB_DEPTH 64: shapes/recurse@1 -> shapes/recurse@1 -> shapes/recurse@1 -> ... 60 more ... -> shapes/recurse@1 -> shapes/recurse@1 -> shapes/recurse@1",
    );
    expect(advance(at(2), { ...ctx, maxJobDepth: 2 })).toMatchObject([{ type: "job.finished", outcome: { ok: false, error: { kind: "too-deep" } } }]);
    expect(advance(seed("shapes/nested", { seed: 1 }), { ...ctx, maxJobDepth: 0 })[0]).toMatchObject({
      outcome: { error: { message: "sub-job depth 1 exceeds MAX_JOB_DEPTH 0: shapes/nested@1 -> shapes/chain@1" } },
    });
  });

  it("ends a whole tree with the too-deep error of its deepest job, as with a wait cycle", () => {
    const s = new JobsState();
    s.apply({ type: "job.accepted", job: "p", name: "x", input: p(1), at: 1 });
    s.apply({ type: "job.accepted", job: "p.0", name: "x", input: p(1), at: 2, parent: { job: "p", seq: 0 } });
    s.apply({ type: "job.accepted", job: "p.0.0", name: "x", input: p(1), at: 3, parent: { job: "p.0", seq: 0 } });
    const error = { kind: "too-deep", name: "JobTooDeep", message: "sub-job depth 3 exceeds MAX_JOB_DEPTH 2: x -> x -> x -> x" } as const;
    // Every job it ended is named, so whoever waits for any of them hears of it.
    expect(s.apply({ type: "job.finished", job: "p.0.0", at: 4, outcome: { ok: false, error } })).toEqual({ effect: "job", job: "p.0", ended: ["p.0.0", "p.0", "p"] });
    for (const id of ["p", "p.0", "p.0.0"]) expect(s.job(id)).toMatchObject({ status: "failed", error });
  });

  it("fails an unknown job, and a sub-job that waits on itself", () => {
    expect(advance(seed("nope", 1), ctx)).toMatchObject([{ type: "job.finished", outcome: { ok: false, error: { kind: "unknown" } } }]);
    const cyc = advance(seed("shapes/recurse", { depth: 1, loop: true }), ctx);
    expect(cyc).toMatchObject([{ type: "job.finished", outcome: { ok: false, error: { kind: "wait-cycle" } } }]);
  });
});
