/**
 * The learning scheduler end to end: placement with learned speeds and links, health
 * (phi-accrual, isolation forest), speculative backups, forecasts and stats. Everything runs on
 * a simulated clock: a small event loop below plays the nodes (FIFO slots, run time = declared
 * × the node's true factor × log-normal noise), so no test depends on real time.
 */
import { describe, expect, it } from "vitest";
import type { Candidate, NodeSpec } from "../../core/jobs/decisions.ts";
import type { PlacementRequest } from "../../core/jobs/placement.ts";
import { type LearningSchedulerOptions, createLearningScheduler } from "../../core/sched/learning-scheduler.ts";
import type { LearningScheduler } from "../../core/sched/scheduler.ts";
import { Random } from "../../core/sim/random.ts";
import { comesBack } from "../../core/jobs/recovery.ts";

type Stage = PlacementRequest["stage"];

const work: Stage = { ref: "work@1", caps: ["cpu"], cost: { runtimeMs: () => 100, outputBytes: () => 1_000 } };
const onGpu: Stage = { ref: "render@1", caps: ["gpu"], cost: { runtimeMs: () => 100, outputBytes: () => 1_000 } };

const runner = (id: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({
  id,
  kind: "runner",
  caps: ["cpu"],
  speed: { cpu: 1 },
  slots: 2,
  latencyMs: 1,
  bandwidthMBps: 100,
  ...extra,
});

const gaussian = (r: Random) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

function request(now: number, stage: Stage = work, exclude: Iterable<string> = []): Omit<PlacementRequest, "inlineMaxMs"> {
  return { stage, inputBytes: 1_000, now, exclude: new Set(exclude) };
}

/** Dispatches a call where the scheduler says, and tells it so; returns the key and the winner. */
function dispatch(s: LearningScheduler, key: string, now: number, stage: Stage = work, extra: { node?: string; speculative?: boolean; call?: string } = {}) {
  const p = s.place(request(now, stage, []));
  if (!p.ok) throw new Error(p.reason);
  const predicted: Candidate = extra.node ? p.alternatives.find((c) => c.node === extra.node)! : p.winner;
  s.dispatched({ key, call: extra.call ?? key, stage, inputBytes: 1_000, node: predicted.node, predicted, at: now, speculative: extra.speculative ?? false });
  return predicted;
}

/** A dispatch to a chosen node with a chosen prediction (bypassing place). */
function dispatchTo(s: LearningScheduler, key: string, node: string, at: number, runMs = 100, extra: { call?: string; speculative?: boolean; waitMs?: number; stage?: Stage } = {}) {
  const predicted: Candidate = { node, finishAt: at + (extra.waitMs ?? 0) + 2 + runMs, waitMs: extra.waitMs ?? 0, transferMs: 2, runMs };
  s.dispatched({ key, call: extra.call ?? key, stage: extra.stage ?? work, inputBytes: 1_000, node, predicted, at, speculative: extra.speculative ?? false });
}

/** A completion that ran `runMs` and reached the plane 1 ms later. */
function complete(s: LearningScheduler, key: string, startedAt: number, runMs: number) {
  s.completed({ key, ok: true, startedAt, finishedAt: startedAt + runMs, outputBytes: 1_000, at: startedAt + runMs + 1 });
}

// ---- a small discrete-event cluster ---------------------------------------------------------

interface SimNode {
  readonly spec: NodeSpec;
  /** True run time / declared at time t. */
  readonly factor?: (t: number) => number;
  /** From when calls it starts never finish (a hang). */
  readonly hangsAt?: number;
  /** From when it stops heartbeating (and finishing anything: a crash). */
  readonly crashesAt?: number;
}

interface SimResult {
  readonly s: LearningScheduler;
  readonly dispatches: { key: string; node: string; at: number; reason: string }[];
  readonly timeouts: { key: string; node: string; at: number }[];
  /** Every verdict change seen at heartbeats: when each node was first suspect / failed. */
  readonly firstSuspect: Map<string, number>;
  readonly firstFailed: Map<string, number>;
  /** The reason given when a node was first failed. */
  readonly failedBecause: Map<string, string>;
}

function simulate(nodes: readonly SimNode[], o: { until: number; everyMs: number; timeoutMs: number; seed: number; noise?: number; options?: LearningSchedulerOptions }): SimResult {
  const s = createLearningScheduler(o.options);
  const r = new Random(o.seed);
  for (const n of nodes) s.nodeUp(n.spec, 0);
  type Ev = { at: number; order: number; run: () => void };
  const queue: Ev[] = [];
  let order = 0;
  const at = (t: number, run: () => void) => {
    queue.push({ at: t, order: order++, run });
  };
  const slots = new Map(nodes.map((n) => [n.spec.id, new Array<number>(n.spec.slots).fill(0)]));
  const running = new Map(nodes.map((n) => [n.spec.id, 0]));
  const open = new Set<string>();
  const result: SimResult = { s, dispatches: [], timeouts: [], firstSuspect: new Map(), firstFailed: new Map(), failedBecause: new Map() };
  let seq = 0;
  for (let t = 0; t < o.until; t += o.everyMs) {
    at(t, () => {
      const p = s.place(request(t));
      if (!p.ok) throw new Error(p.reason);
      const key = `c${seq++}`;
      const node = nodes.find((n) => n.spec.id === p.winner.node)!;
      s.dispatched({ key, call: key, stage: work, inputBytes: 1_000, node: node.spec.id, predicted: p.winner, at: t });
      result.dispatches.push({ key, node: node.spec.id, at: t, reason: p.reason });
      open.add(key);
      const free = slots.get(node.spec.id)!;
      free.sort((a, b) => a - b);
      const start = Math.max(t + 1, free[0]!);
      const runMs = 100 * (node.factor?.(start) ?? 1) * Math.exp((o.noise ?? 0.1) * gaussian(r));
      const lost = (node.hangsAt !== undefined && start >= node.hangsAt) || (node.crashesAt !== undefined && start + runMs >= node.crashesAt);
      free[0] = lost ? Infinity : start + runMs;
      running.set(node.spec.id, running.get(node.spec.id)! + 1);
      if (!lost) {
        at(start + runMs + 1, () => {
          running.set(node.spec.id, running.get(node.spec.id)! - 1);
          if (!open.delete(key)) return;
          s.completed({ key, ok: true, startedAt: start, finishedAt: start + runMs, outputBytes: 1_000, at: start + runMs + 1 });
        });
      }
      at(t + o.timeoutMs, () => {
        if (!open.delete(key)) return;
        s.timedOut(key, t + o.timeoutMs);
        result.timeouts.push({ key, node: node.spec.id, at: t + o.timeoutMs });
      });
    });
  }
  for (const n of nodes) {
    for (let t = 500 + 50 * r.next(); t < o.until; t += 950 + 100 * r.next()) {
      if (n.crashesAt !== undefined && t >= n.crashesAt) break;
      at(t, () => {
        s.heartbeat(n.spec.id, { queue: 0, inFlight: running.get(n.spec.id)!, bytesIn: 0, bytesOut: 0 }, t);
        for (const v of s.suspicions(t)) {
          if (v.verdict === "suspect" && !result.firstSuspect.has(v.node)) result.firstSuspect.set(v.node, t);
          if (v.verdict === "failed" && !result.firstFailed.has(v.node)) {
            result.firstFailed.set(v.node, t);
            result.failedBecause.set(v.node, v.reason);
          }
        }
      });
    }
  }
  while (queue.length > 0) {
    queue.sort((a, b) => a.at - b.at || a.order - b.order);
    const next = queue.shift()!;
    next.run();
  }
  return result;
}

// ---- tests ----------------------------------------------------------------------------------

describe("placement with learned speeds", () => {
  it("sends work away from a node that runs 4x slower than it declared, and says why", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("cpu-1"), 0);
    s.nodeUp(runner("cpu-2"), 0);
    expect(s.place(request(0)).ok && s.place(request(0))).toMatchObject({ winner: { node: "cpu-1" } }); // a tie: the first
    for (let i = 0; i < 6; i++) {
      const t = i * 1_000;
      dispatchTo(s, `k${i}`, "cpu-1", t);
      complete(s, `k${i}`, t + 1, 400);
    }
    const p = s.place(request(10_000));
    if (!p.ok) throw new Error(p.reason);
    expect(p.winner.node).toBe("cpu-2");
    expect(p.alternatives.find((c) => c.node === "cpu-1")!.runMs).toBeGreaterThan(300);
    expect(p.reason).toMatch(/declared figures would pick cpu-1, but cpu-1 learned [34]\.\d× slower than declared/);
  });

  it("prefers a node that turned out faster than declared", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("cpu-1", { speed: { cpu: 2 } }), 0);
    s.nodeUp(runner("cpu-2"), 0);
    for (let i = 0; i < 6; i++) {
      dispatchTo(s, `k${i}`, "cpu-2", i * 1_000);
      complete(s, `k${i}`, i * 1_000 + 1, 25);
    }
    const p = s.place(request(10_000));
    if (!p.ok) throw new Error(p.reason);
    expect(p.winner.node).toBe("cpu-2");
    expect(p.reason).toMatch(/cpu-2 learned [34]\.\d× faster than declared/);
  });

  it("learns a link slower than declared and places a data-heavy call accordingly", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("near"), 0);
    s.nodeUp(runner("far"), 0);
    // "near" declares 1 ms but every call spends 60 ms outside its run: a 60 ms round trip.
    for (let i = 0; i < 5; i++) {
      const t = i * 1_000;
      dispatchTo(s, `k${i}`, "near", t);
      s.completed({ key: `k${i}`, ok: true, startedAt: t + 30, finishedAt: t + 130, outputBytes: 1_000, at: t + 160 });
    }
    const near = s.stats(10_000).find((n) => n.node === "near")!;
    expect(near.rttMs).toBeGreaterThan(55);
    expect(near.rttMs).toBeLessThan(65);
    const p = s.place(request(10_000));
    if (!p.ok) throw new Error(p.reason);
    expect(p.winner.node).toBe("far");
    expect(p.reason).toMatch(/near learned round trip 60 ms \(declared 2\.0\)/);
  });

  it("counts its own unfinished work as backlog, with the runtime learned since dispatch", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("cpu-1", { slots: 1 }), 0);
    s.nodeUp(runner("cpu-2", { slots: 1 }), 0);
    dispatchTo(s, "busy", "cpu-1", 0, 100);
    const p = s.place(request(10));
    if (!p.ok) throw new Error(p.reason);
    expect(p.winner.node).toBe("cpu-2");
    expect(p.alternatives.find((c) => c.node === "cpu-1")!.waitMs).toBeGreaterThan(80);
  });
});

describe("health", () => {
  it("gives a node whose heartbeats stopped no work, even when it is the fastest", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("slow"), 0);
    s.nodeUp(runner("fast", { speed: { cpu: 4 }, caps: ["cpu", "gpu"] }), 0);
    for (let t = 0; t <= 10_000; t += 1_000) {
      s.heartbeat("slow", { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }, t);
      s.heartbeat("fast", { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }, t);
    }
    expect(s.place(request(10_500))).toMatchObject({ ok: true, winner: { node: "fast" } });
    for (let t = 11_000; t <= 20_000; t += 1_000) s.heartbeat("slow", { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }, t);
    const fast = s.suspicions(20_000).find((v) => v.node === "fast")!;
    expect(fast.verdict).toBe("failed");
    expect(fast.phi).toBeGreaterThanOrEqual(8);
    expect(fast.reason).toMatch(/no heartbeat for \d+ ms/);
    expect(fast.firstFailedAt).toBeLessThan(14_500); // within a few missed heartbeats
    for (let t = 20_000; t < 21_000; t += 100) expect(s.place(request(t))).toMatchObject({ ok: true, winner: { node: "slow" } });
    // Only the failed node can run a gpu stage: it gets it, and the reason says so.
    const gpu = s.place(request(21_000, onGpu));
    expect(gpu).toMatchObject({ ok: true, winner: { node: "fast" } });
    expect(gpu.reason).toMatch(/^no healthy node can run it, so the best of the others: .*\(failed: fast phi/);
  });

  it("takes a node marked down out of placement until it is up again", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("a"), 0);
    s.nodeUp(runner("b"), 0);
    s.nodeDown("a", 10, "unresponsive");
    expect(s.place(request(20))).toMatchObject({ winner: { node: "b" } });
    expect(s.suspicions(20).find((v) => v.node === "a")).toMatchObject({ verdict: "failed", since: 10 });
    s.nodeUp(runner("a"), 30);
    expect(s.suspicions(40).find((v) => v.node === "a")!.verdict).toBe("healthy");
    expect(s.place(request(40))).toMatchObject({ winner: { node: "a" } });
  });

  it("tries a node marked unresponsive when no live node can take a call, never a quarantined one", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("a"), 0);
    s.nodeUp(runner("b"), 0);
    s.nodeUp(runner("liar"), 0);
    s.nodeDown("liar", 5, "quarantined");
    // A verified call whose answers came from b: only a could give the next opinion, and a heartbeat gap took it out.
    s.nodeDown("a", 10, "unresponsive");
    const placed = s.place(request(20, work, ["b"]));
    expect(placed).toMatchObject({ ok: true, winner: { node: "a" } });
    expect(placed.reason).toMatch(/^no live node can run it, so one marked unresponsive: /);
    // While a live node can take it, the unresponsive one is left alone.
    expect(s.place(request(20))).toMatchObject({ ok: true, winner: { node: "b" } });
    // A quarantined node is never the answer, and the refusal names no node to try.
    s.nodeDown("a", 30, "quarantined");
    expect(s.place(request(40, work, ["b"]))).toMatchObject({ ok: false, cause: "no-node" });
  });

  it("fails a node that heartbeats but whose calls stopped completing (a gray failure)", () => {
    // cpu-3 is the fastest, so it has work when it hangs.
    const nodes: SimNode[] = [{ spec: runner("cpu-1") }, { spec: runner("cpu-2") }, { spec: runner("cpu-3", { speed: { cpu: 1.5 } }), factor: () => 1 / 1.5, hangsAt: 10_000 }];
    const { dispatches, firstFailed, failedBecause } = simulate(nodes, { until: 20_000, everyMs: 100, timeoutMs: 5_000, seed: 3 });
    const failedAt = firstFailed.get("cpu-3");
    expect(failedAt).toBeDefined();
    expect(failedAt!).toBeLessThan(13_000); // long before its calls time out (5 s)
    expect(firstFailed.has("cpu-1") || firstFailed.has("cpu-2")).toBe(false);
    expect(dispatches.filter((d) => d.node === "cpu-3" && d.at > failedAt!)).toEqual([]);
    expect(failedBecause.get("cpu-3")).toMatch(/^cpu-3 phi \d+\.\d ≥ 8: its calls stopped completing \(\d+× past the expected next completion\)/);
  });

  it("expects a node's next result from the attempts holding its slots, not from those queued behind them", () => {
    // One slot: a call of 1 s runs once the first is done; a 10 ms one waits behind it, though its
    // own prediction (no wait) says it is overdue already. Expecting the next result from that one
    // would call the node dead while it runs the long call exactly as declared.
    const long: Stage = { ...work, ref: "long@1", cost: { ...work.cost, runtimeMs: () => 1_000 } };
    const short: Stage = { ...work, ref: "short@1", cost: { ...work.cost, runtimeMs: () => 10 } };
    const s = createLearningScheduler();
    s.nodeUp(runner("a", { slots: 1 }), 0);
    dispatchTo(s, "first", "a", 0);
    dispatchTo(s, "long", "a", 0, 1_000, { waitMs: 100, stage: long });
    dispatchTo(s, "short", "a", 0, 10, { stage: short });
    complete(s, "first", 0, 100);
    for (const t of [500, 1_000, 2_000]) expect(s.suspicions(t).find((v) => v.node === "a")).toMatchObject({ verdict: "healthy" });
    // Long past what the long call should take, the node is late all the same.
    expect(s.suspicions(20_000).find((v) => v.node === "a")).toMatchObject({ verdict: "failed", reason: expect.stringContaining("its calls stopped completing") });
  });

  it("flags a node slowing 5x as suspect before its calls time out, and gives it no new work", () => {
    // cpu-3 slows 5x at 20 s and hangs at 30 s; a call times out after 2 s. The prediction
    // must come from the slow-down, before any call of cpu-3 times out.
    const nodes: SimNode[] = ["cpu-1", "cpu-2", "cpu-3", "cpu-4"].map((id) =>
      id === "cpu-3" ? { spec: runner(id), factor: (t: number) => (t >= 20_000 ? 5 : 1), hangsAt: 30_000 } : { spec: runner(id) },
    );
    const { dispatches, timeouts, firstSuspect, firstFailed, s } = simulate(nodes, { until: 40_000, everyMs: 50, timeoutMs: 2_000, seed: 5, noise: 0.2 });
    const suspectAt = s.suspicions(40_000).find((v) => v.node === "cpu-3")!.firstSuspectAt;
    expect(suspectAt).toBeDefined();
    expect(suspectAt!).toBeGreaterThan(20_000);
    expect(suspectAt!).toBeLessThan(23_000); // from the first few slow calls
    const firstTimeout = timeouts.find((t) => t.node === "cpu-3")?.at ?? Infinity;
    expect(suspectAt!).toBeLessThan(firstTimeout);
    expect(firstSuspect.get("cpu-3")).toBeLessThan(firstTimeout);
    // The healthy ones are never suspected or failed.
    for (const id of ["cpu-1", "cpu-2", "cpu-4"]) {
      expect(firstSuspect.has(id)).toBe(false);
      expect(firstFailed.has(id)).toBe(false);
    }
    // While suspect it gets no new work.
    const suspect = s.suspicions(40_000).find((v) => v.node === "cpu-3")!;
    const since = suspect.verdict === "healthy" ? Infinity : suspect.since!;
    expect(dispatches.filter((d) => d.node === "cpu-3" && d.at >= suspectAt! && d.at >= since)).toEqual([]);
  });

  /**
   * Calls of 10 s on slow-ish nodes: cpu-2 slows 5x at 30 s. No slowed call completes before 80
   * s, and a call times out only after 3x its run; the running calls' lateness says it first.
   * Returns the scheduler when it first judges cpu-2 suspect.
   */
  function lateOnCpu2() {
    const long: Stage = { ref: "long@1", caps: ["cpu"], cost: { runtimeMs: () => 10_000, outputBytes: () => 1_000 } };
    const s = createLearningScheduler({ suspectHoldMs: 20_000 });
    for (const id of ["cpu-1", "cpu-2", "cpu-3"]) s.nodeUp(runner(id, { slots: 1 }), 0);
    const busy = new Set<string>(); // nodes running a call now, as they report it
    const beat = (t: number) => {
      for (const id of ["cpu-1", "cpu-2", "cpu-3"]) s.heartbeat(id, { queue: 0, inFlight: busy.has(id) ? 1 : 0, bytesIn: 0, bytesOut: 0 }, t);
    };
    let t = 0;
    let k = 0;
    // Three rounds at declared speed: every node runs 10 s calls back to back.
    for (; t < 30_000; t += 10_000) {
      const keys = ["cpu-1", "cpu-2", "cpu-3"].map((id) => {
        dispatchTo(s, `r${k}`, id, t, 10_000, { stage: long });
        busy.add(id);
        return `r${k++}`;
      });
      for (let b = t; b < t + 10_000; b += 1_000) beat(b);
      for (const key of keys) complete(s, key, t + 1, 10_000);
      busy.clear();
    }
    dispatchTo(s, "slowed", "cpu-2", 30_000, 10_000, { stage: long });
    busy.add("cpu-2");
    let flaggedAt: number | null = null;
    for (t = 30_000; t < 60_000 && flaggedAt === null; t += 500) {
      beat(t);
      if (s.suspicions(t).find((v) => v.node === "cpu-2")!.verdict === "suspect") flaggedAt = t;
    }
    return { s, long, busy, beat, flaggedAt };
  }

  it("flags a node whose long calls run late before any of them completes, and holds the flag", () => {
    const { s, long, busy, beat, flaggedAt } = lateOnCpu2();
    expect(flaggedAt).not.toBeNull();
    expect(flaggedAt!).toBeLessThan(30_000 + 3 * 10_000); // before the call's 3x timeout
    const v = s.suspicions(flaggedAt!).find((x) => x.node === "cpu-2")!;
    expect(v.reason).toMatch(/its running calls are \d\.\d× late or more/);
    // Its call is recovered elsewhere at once, and it gets no new work.
    expect(s.stragglers(flaggedAt!).map((a) => [a.key, a.backup.node])).toEqual([["slowed", expect.not.stringMatching("cpu-2")]]);
    expect(s.place(request(flaggedAt!, long))).toMatchObject({ winner: { node: expect.not.stringMatching("cpu-2") } });
    // The call is called off (its backup won): the evidence is gone, the flag holds...
    s.abandoned!("slowed", flaggedAt! + 1_000);
    busy.delete("cpu-2");
    beat(flaggedAt! + 2_000);
    expect(s.suspicions(flaggedAt! + 2_000).find((x) => x.node === "cpu-2")).toMatchObject({ verdict: "suspect", reason: expect.stringMatching(/held until/) });
    // ...and what it showed counts as an observation (a lower bound: it ran at least 2x its declared time).
    expect(s.stats(flaggedAt! + 2_000).find((x) => x.node === "cpu-2")!.nodeScale).toBeGreaterThan(1.2);
    // Until the hold ends: then it is tried again.
    for (let b = flaggedAt! + 3_000; b <= flaggedAt! + 25_000; b += 1_000) beat(b);
    expect(s.suspicions(flaggedAt! + 25_000).find((x) => x.node === "cpu-2")!.verdict).toBe("healthy");
  });

  it("a suspect drained (marked down) stays suspect until its hold ends, so its heartbeats do not bring it back at once", () => {
    const { s, flaggedAt } = lateOnCpu2();
    expect(flaggedAt).not.toBeNull();
    s.nodeDown("cpu-2", flaggedAt!, "unresponsive");
    const verdictAt = (t: number) => s.suspicions(t).find((x) => x.node === "cpu-2")!;
    expect(verdictAt(flaggedAt! + 1_000)).toMatchObject({ verdict: "suspect", reason: expect.stringMatching(/held until/) });
    expect(comesBack(verdictAt(flaggedAt! + 10_000).verdict)).toBe(false);
    // Past the hold it is only "marked unresponsive": the next heartbeat may bring it back, to be judged afresh.
    expect(verdictAt(flaggedAt! + 21_000)).toMatchObject({ verdict: "failed", reason: expect.stringMatching(/marked unresponsive/) });
    expect(comesBack(verdictAt(flaggedAt! + 21_000).verdict)).toBe(true);
  });
});

describe("speculative backups", () => {
  /** Two single-slot nodes, and twenty 100 ms calls that ran exactly as predicted (a small learned spread). */
  function warmed() {
    const s = createLearningScheduler();
    s.nodeUp(runner("a", { slots: 1 }), 0);
    s.nodeUp(runner("b", { slots: 1 }), 0);
    for (let i = 0; i < 10; i++) {
      for (const node of ["a", "b"]) {
        dispatchTo(s, `w${node}${i}`, node, i * 1_000);
        complete(s, `w${node}${i}`, i * 1_000 + 1, 100);
      }
    }
    return s;
  }

  it("suggests a backup for an attempt past twice its prediction when the backup finishes first", () => {
    const s = warmed();
    dispatchTo(s, "late", "a", 20_000);
    expect(s.stragglers(20_150)).toEqual([]); // 1.5x: not late
    const advice = s.stragglers(20_250); // 2.5x its run
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatchObject({ key: "late", call: "late", backup: { node: "b" } });
    expect(advice[0]!.backup.finishAt).toBeLessThan(20_250 + 150 + 10);
    expect(advice[0]!.reason).toMatch(/^late on a has taken 250 ms against 102 predicted .*a backup on b would finish in/);
  });

  it("suggests none when the backup would not finish before the original", () => {
    const s = warmed();
    dispatchTo(s, "late", "a", 20_000);
    // b has 400 ms of work queued, which it runs as predicted.
    for (let i = 0; i < 4; i++) dispatch(s, `queued${i}`, 20_000 + i, work, { node: "b" });
    complete(s, "queued0", 20_001, 100);
    complete(s, "queued1", 20_101, 100);
    expect(s.stragglers(20_250)).toEqual([]); // b frees up at 20,401: later than a is expected to finish
    complete(s, "queued2", 20_201, 100);
    complete(s, "queued3", 20_301, 100);
    // Once the original is far enough past its time and b is free, the backup wins.
    expect(s.stragglers(20_700).map((a) => a.key)).toEqual(["late"]);
  });

  it("backs up a call at most once", () => {
    const s = warmed();
    dispatchTo(s, "late", "a", 20_000);
    const [advice] = s.stragglers(20_250);
    s.dispatched({ key: "late/2", call: "late", stage: work, inputBytes: 1_000, node: advice!.backup.node, predicted: advice!.backup, at: 20_250, speculative: true });
    expect(s.stragglers(20_600)).toEqual([]); // both attempts now late: still no second backup
  });

  it("keeps speculative work under its share of dispatched work", () => {
    // Thirty calls 3x late on one node would make it suspect (then they are recovered, not
    // speculated on, and the cap does not hold them back): keep the anomaly detector out of it.
    const s = createLearningScheduler({ anomaly: { threshold: 1.01 } });
    s.nodeUp(runner("hog", { slots: 30 }), 0);
    for (let i = 0; i < 10; i++) s.nodeUp(runner(`idle-${i}`, { slots: 1 }), 0);
    for (let i = 0; i < 20; i++) {
      dispatchTo(s, `w${i}`, "hog", i * 100);
      complete(s, `w${i}`, i * 100 + 1, 100);
    }
    for (let i = 0; i < 30; i++) dispatchTo(s, `late${i}`, "hog", 10_000);
    const advice = s.stragglers(10_300);
    // Dispatched: 50 calls of 100 ms = 5,000 ms; backups of 100 ms each within 10 % of all work.
    expect(advice).toHaveLength(5);
    const backupMs = advice.reduce((sum, a) => sum + a.backup.runMs, 0);
    expect(backupMs / (5_000 + backupMs)).toBeLessThanOrEqual(0.1);
    expect(new Set(advice.map((a) => a.backup.node)).size).toBe(5); // spread over the idle nodes
    expect(advice[4]!.reason).toMatch(/speculative work 9\.\d% of dispatched \(cap 10%\)/);
    const wider = createLearningScheduler({ speculation: { maxFraction: 0.5 } });
    wider.nodeUp(runner("hog", { slots: 30 }), 0);
    wider.nodeUp(runner("idle", { slots: 30 }), 0);
    for (let i = 0; i < 30; i++) dispatchTo(wider, `late${i}`, "hog", 0);
    expect(wider.stragglers(1_000).length).toBeGreaterThan(5);
  });

  it("backs up calls on a failed node at once, whatever their age", () => {
    const s = warmed();
    for (let t = 0; t <= 10_000; t += 1_000) s.heartbeat("a", { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }, t);
    dispatchTo(s, "stuck", "a", 13_950); // 50 ms old: not late at all
    expect(s.suspicions(14_000).find((v) => v.node === "a")!.verdict).toBe("failed");
    const advice = s.stragglers(14_000);
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatchObject({ key: "stuck", backup: { node: "b" } });
    expect(advice[0]!.reason).toMatch(/a is failed \(a phi/);
  });
});

describe("forecast and stats", () => {
  it("forecasts the next interval's calls and the runners they need", () => {
    const s = createLearningScheduler({ forecast: { intervalMs: 1_000 } });
    s.nodeUp(runner("cpu-1", { slots: 4 }), 0);
    s.nodeUp(runner("cpu-2", { slots: 4 }), 0);
    let k = 0;
    for (let sec = 0; sec < 40; sec++) {
      const n = sec % 2 === 0 ? 20 : 40;
      for (let i = 0; i < n; i++) {
        const t = sec * 1_000 + (i * 1_000) / n;
        const key = `k${k++}`;
        dispatch(s, key, t);
        complete(s, key, t + 1, 100);
      }
    }
    const f = s.forecast(40_000);
    expect(f.intervalMs).toBe(1_000);
    expect(f.next).toBeCloseTo(20, 0);
    // 20 calls/s of 100 ms is 2 Erlangs: a few 4-slot runners keep the wait under 100 ms.
    expect(f.recommendedRunners).toBeGreaterThanOrEqual(1);
    expect(f.recommendedRunners).toBeLessThanOrEqual(2);
  });

  it("reports what it learned per node", () => {
    const { s } = simulate([{ spec: runner("cpu-1") }, { spec: runner("cpu-2"), factor: () => 2 }], { until: 10_000, everyMs: 40, timeoutMs: 5_000, seed: 1 });
    const stats = s.stats(10_000);
    expect(stats.map((n) => n.node)).toEqual(["cpu-1", "cpu-2"]);
    const [one, two] = stats;
    expect(one!.runtimeScale["work@1"]).toBeCloseTo(1, 0);
    expect(two!.runtimeScale["work@1"]).toBeGreaterThan(1.7);
    expect(two!.nodeScale).toBeGreaterThan(1.7);
    expect(one!.rttMs).toBeCloseTo(2, 0);
    expect(one!.heartbeatIntervalMs).toBeGreaterThan(900);
    expect(one!.heartbeatIntervalMs).toBeLessThan(1_100);
    expect(one!.errorRate).toBe(0);
    expect(one!.timeoutRate).toBe(0);
    expect(one!.inFlight).toBe(0);
    expect(one!.observations).toBeGreaterThan(10);
  });

  it("stops counting an abandoned attempt as work on its node", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("a", { slots: 1 }), 0);
    dispatchTo(s, "loser", "a", 0);
    expect(s.place(request(10))).toMatchObject({ winner: { node: "a", waitMs: expect.closeTo(91, 0) } });
    s.abandoned!("loser", 20);
    expect(s.place(request(30))).toMatchObject({ winner: { node: "a", waitMs: 0 } });
    expect(s.suspicions(60_000)[0]).toMatchObject({ verdict: "healthy", phi: 0 }); // no work: nothing to wait for
    expect(s.stats(60_000)[0]!.inFlight).toBe(0);
  });

  it("learns the link only from calls that found the node idle, without input bytes that were already there", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("a", { slots: 1 }), 0);
    const at = (i: number) => i * 1_000;
    for (let i = 0; i < 4; i++) {
      const p = s.place(request(at(i)));
      if (!p.ok) throw new Error(p.reason);
      // Input produced on "a" itself: only the 1,000 output bytes travel.
      s.dispatched({ key: `k${i}`, call: `k${i}`, stage: work, inputBytes: 1_000_000, inputOn: new Map([["a", 1_000_000]]), node: "a", predicted: p.winner, at: at(i) });
      s.completed({ key: `k${i}`, ok: true, startedAt: at(i) + 20, finishedAt: at(i) + 120, outputBytes: 1_000, at: at(i) + 140 });
    }
    // A call queued behind another: its overhead includes the wait, and must not count.
    dispatchTo(s, "first", "a", 10_000);
    dispatchTo(s, "queued", "a", 10_000);
    s.completed({ key: "first", ok: true, startedAt: 10_020, finishedAt: 10_120, outputBytes: 1_000, at: 10_140 });
    s.completed({ key: "queued", ok: true, startedAt: 10_140, finishedAt: 10_240, outputBytes: 1_000, at: 10_260 + 5_000 });
    expect(s.stats(20_000)[0]!.rttMs).toBeCloseTo(40 - 1_000 / 100_000, 1); // 40 ms outside the run, minus 0.01 ms for the bytes
  });

  it("counts errors and timeouts as exponentially weighted rates", () => {
    const s = createLearningScheduler();
    s.nodeUp(runner("cpu-1"), 0);
    for (let i = 0; i < 10; i++) {
      dispatchTo(s, `e${i}`, "cpu-1", i * 1_000);
      s.completed({ key: `e${i}`, ok: false, startedAt: i * 1_000 + 1, finishedAt: i * 1_000 + 5, outputBytes: 0, at: i * 1_000 + 6 });
    }
    dispatchTo(s, "t", "cpu-1", 20_000);
    s.timedOut("t", 25_000);
    const [n] = s.stats(25_000);
    expect(n!.errorRate).toBeGreaterThan(0.6);
    expect(n!.timeoutRate).toBeCloseTo(0.1, 6);
    expect(n!.observations).toBe(1); // errors teach nothing about run time; the timeout is a lower bound
  });

  it("is deterministic: the same inputs give the same decisions", () => {
    const run = () => {
      const nodes: SimNode[] = [{ spec: runner("a") }, { spec: runner("b"), factor: (t) => (t > 5_000 ? 4 : 1) }, { spec: runner("c") }];
      const r = simulate(nodes, { until: 15_000, everyMs: 40, timeoutMs: 3_000, seed: 8, noise: 0.4 });
      return JSON.stringify({ d: r.dispatches, v: r.s.suspicions(15_000), st: r.s.stats(15_000), sp: r.s.stragglers(15_000) });
    };
    expect(run()).toBe(run());
  });
});
