import { describe, expect, it } from "vitest";
import type { NodeLoad } from "../../core/jobs/decisions.ts";
import { createLearningScheduler } from "../../core/sched/learning-scheduler.ts";
import { SpeedProbe } from "../../core/sched/speed-probe.ts";

const probes = (values: readonly number[], window?: number) => {
  const p = new SpeedProbe(window === undefined ? {} : { window });
  for (const v of values) p.observe(v);
  return p;
};

describe("speed probe", () => {
  it("says nothing until it has a baseline and a full window after it", () => {
    expect(probes([]).slowdown()).toBe(1);
    expect(probes([2, 2, 2]).slowdown()).toBe(1);
    expect(probes([2, 2, 2, 10]).slowdown()).toBeCloseTo(5);
    expect(probes([2, 2, 2, 10], 2).slowdown()).toBe(1);
    expect(probes([2, 2, 2, 10, 10], 2).slowdown()).toBeCloseTo(5);
  });

  it("with a longer window, needs the slow-down in every probe of it", () => {
    expect(probes([2, 2, 2, 2, 2, 40, 2], 2).slowdown()).toBeCloseTo(1);
    expect(probes([2, 2, 2, 2, 2, 2, 40], 2).slowdown()).toBeCloseTo(1);
    expect(probes([2, 2, 2, 2, 2, 10, 12], 2).slowdown()).toBeCloseTo(5);
  });

  it("keeps a lasting slow-down visible against the speed the node had, and ends it with the first fast probes", () => {
    const p = probes([2, 2, 2, ...Array(50).fill(10)]);
    expect(p.slowdown()).toBeCloseTo(5);
    p.observe(2);
    expect(p.slowdown()).toBeCloseTo(1);
  });

  it("follows slow drift within its band, ignores nonsense, and starts over on reset", () => {
    const p = probes([2, 2, 2, ...Array(200).fill(2.5)]);
    expect(p.slowdown()).toBeLessThan(1.05);
    p.observe(Number.NaN);
    p.observe(-1);
    p.observe(0);
    p.observe(undefined);
    expect(p.samples).toBe(203);
    p.reset();
    expect(p.samples).toBe(0);
    expect(p.slowdown()).toBe(1);
  });
});

describe("learning scheduler with speed probes", () => {
  const node = (id: string) => ({ id, kind: "runner" as const, caps: ["cpu" as const], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 });
  const work = { ref: "w@1", caps: ["cpu" as const], cost: { runtimeMs: () => 100, outputBytes: () => 10 } };
  const load = (probeMs: number): NodeLoad => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0, probeMs });

  it("flags an idle node whose probes slowed 5x, gives it no work, says why, and takes it back once its probes recover", () => {
    const s = createLearningScheduler({ suspectHoldMs: 5_000 });
    for (const id of ["a", "b", "c"]) s.nodeUp(node(id), 0);
    let t = 0;
    const beat = (aMs: number) => {
      t += 1_000;
      s.heartbeat("a", load(aMs), t);
      s.heartbeat("b", load(2), t);
      s.heartbeat("c", load(2), t);
    };
    for (let i = 0; i < 20; i++) beat(2);
    expect(s.suspicions(t).every((v) => v.verdict === "healthy")).toBe(true);
    beat(10);
    const a = s.suspicions(t).find((v) => v.node === "a")!;
    expect(a).toMatchObject({ verdict: "suspect", firstSuspectAt: t });
    expect(a.reason).toMatch(/its speed probe takes 5\.0× its baseline/);
    expect(s.stats(t).find((n) => n.node === "a")!.probeSlowdown).toBeCloseTo(5);
    expect(s.stats(t).find((n) => n.node === "b")!.probeSlowdown).toBeCloseTo(1);
    const placement = s.place({ stage: work, inputBytes: 10, now: t, exclude: new Set(["b", "c"]) });
    // Only a is left, and it is suspect: it gets the call, and the reason says what is wrong with it.
    expect(placement).toMatchObject({ ok: true, winner: { node: "a" } });
    expect(placement.ok && placement.winner.runMs).toBeCloseTo(500); // learned 5x slower than declared
    expect(placement.ok && placement.reason).toMatch(/no healthy node can run it.*suspect/);
    expect(s.place({ stage: work, inputBytes: 10, now: t, exclude: new Set() })).toMatchObject({ ok: true, winner: { node: expect.not.stringMatching(/^a$/) } });
    for (let i = 0; i < 10; i++) beat(2);
    expect(s.suspicions(t).find((v) => v.node === "a")!.verdict).toBe("healthy");
    // No healthy node was ever suspected.
    expect(s.suspicions(t).filter((v) => v.node !== "a").every((v) => v.firstSuspectAt === undefined)).toBe(true);
  });

  it("backs up a call running on a node whose probes slowed, before the call is late", () => {
    const s = createLearningScheduler();
    const ids = ["a", "b", "c", "d"];
    for (const id of ids) s.nodeUp(node(id), 0);
    let t = 0;
    const beat = (aMs: number) => {
      t += 1_000;
      for (const id of ids) s.heartbeat(id, load(id === "a" ? aMs : 2), t);
    };
    for (let i = 0; i < 10; i++) beat(2);
    const long = { ...work, ref: "long@1", cost: { runtimeMs: () => 10_000, outputBytes: () => 10 } };
    const p = s.place({ stage: long, inputBytes: 10, now: t, exclude: new Set(["b", "c", "d"]) });
    if (!p.ok) throw new Error(p.reason);
    s.dispatched({ key: "k", call: "k", stage: long, inputBytes: 10, node: "a", predicted: p.winner, at: t });
    const started = t;
    expect(s.stragglers(t)).toEqual([]);
    beat(10);
    // 1 s into a 10 s call: not late, but its node is 5x slower now, so a backup finishes it first.
    expect(t - started).toBeLessThan(p.winner.runMs);
    const advice = s.stragglers(t);
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatchObject({ key: "k", backup: { node: expect.stringMatching(/^[bcd]$/) } });
    expect(advice[0]!.reason).toMatch(/re-estimated to finish in/);
  });
});

describe("runner speed probe", () => {
  it("reports the faster of two runs of the same work", async () => {
    const { measureProbe } = await import("../../runners/probe.ts");
    // A clock that makes the first run take 9 ms and the second 3 ms.
    const ticks = [0, 9, 100, 103];
    expect(measureProbe(() => ticks.shift()!)).toBe(3);
    const real = measureProbe();
    expect(real).toBeGreaterThan(0);
    expect(Number.isFinite(real)).toBe(true);
  });
});
