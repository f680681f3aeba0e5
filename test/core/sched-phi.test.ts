/** Phi-accrual failure detection over heartbeats and over call completions. */
import { describe, expect, it } from "vitest";
import { HeartbeatDetector, ProgressDetector, phiNormal } from "../../core/sched/phi.ts";
import { Random } from "../../core/sim/random.ts";

describe("phiNormal", () => {
  it("is -log10 of the normal upper tail (logistic approximation)", () => {
    expect(phiNormal(100, 100, 10)).toBeCloseTo(Math.log10(2), 6); // at the mean: P = 1/2
    // One and two standard deviations: the tail is 0.159 and 0.0228.
    expect(phiNormal(110, 100, 10)).toBeCloseTo(-Math.log10(0.1587), 1);
    expect(phiNormal(120, 100, 10)).toBeCloseTo(-Math.log10(0.02275), 1);
  });

  it("grows without overflowing for very long silences", () => {
    const far = phiNormal(1e9, 1_000, 100);
    expect(Number.isFinite(far)).toBe(true);
    expect(far).toBeGreaterThan(1e6);
    expect(phiNormal(0, 1_000, 100)).toBeGreaterThanOrEqual(0);
  });
});

describe("HeartbeatDetector", () => {
  it("stays low with jittery but regular heartbeats, at any moment between them", () => {
    const r = new Random(11);
    const d = new HeartbeatDetector();
    let t = 0;
    let worst = 0;
    for (let i = 0; i < 500; i++) {
      const next = t + 800 + 400 * r.next(); // 1 s ± 20 %
      for (let probe = t; probe < next; probe += 50) worst = Math.max(worst, d.phi(probe));
      t = next;
      d.arrive(t);
    }
    expect(worst).toBeLessThan(1);
    expect(d.meanIntervalMs).toBeGreaterThan(950);
    expect(d.meanIntervalMs).toBeLessThan(1_050);
  });

  it("rises steadily once heartbeats stop, past 8 within a few intervals", () => {
    const d = new HeartbeatDetector();
    for (let t = 0; t <= 30_000; t += 1_000) d.arrive(t);
    const phis = [31_000, 32_000, 33_000, 34_000, 36_000].map((t) => d.phi(t));
    for (let i = 1; i < phis.length; i++) expect(phis[i]).toBeGreaterThan(phis[i - 1]!);
    expect(phis[0]).toBeLessThan(1); // one interval: on time
    expect(d.phi(33_000)).toBeGreaterThan(8); // three intervals of silence from a clockwork sender
  });

  it("is 0 for a node that never heartbeats, and forgets after a reset", () => {
    const d = new HeartbeatDetector();
    expect(d.phi(1e9)).toBe(0);
    d.arrive(0);
    d.arrive(1_000);
    expect(d.phi(60_000)).toBeGreaterThan(8);
    d.reset();
    expect(d.phi(60_000)).toBe(0);
  });

  it("uses the first-interval estimate until real intervals are known", () => {
    const slow = new HeartbeatDetector({ firstIntervalEstimateMs: 5_000 });
    slow.arrive(0);
    expect(slow.phi(5_000)).toBeLessThan(1);
    const fast = new HeartbeatDetector({ firstIntervalEstimateMs: 500 });
    fast.arrive(0);
    expect(fast.phi(5_000)).toBeGreaterThan(8);
  });
});

describe("ProgressDetector", () => {
  it("stays low while calls complete about when expected, and is 0 when idle", () => {
    const r = new Random(5);
    const d = new ProgressDetector();
    let t = 0;
    let worst = 0;
    for (let i = 0; i < 200; i++) {
      d.dispatched(t, t + 100);
      const done = t + 100 * Math.exp(0.3 * (2 * r.next() - 1));
      for (let probe = t; probe < done; probe += 10) worst = Math.max(worst, d.phi(probe));
      d.progressed(done, null);
      t = done + 50;
      expect(d.phi(t + 10_000)).toBe(0); // idle: no work, no suspicion
    }
    expect(worst).toBeLessThan(2);
  });

  it("rises when a node with work stops completing it, though heartbeats would look fine", () => {
    const d = new ProgressDetector();
    let t = 0;
    for (let i = 0; i < 20; i++) {
      d.dispatched(t, t + 100);
      d.progressed(t + 100, null);
      t += 200;
    }
    d.dispatched(t, t + 100);
    expect(d.phi(t + 100)).toBeLessThan(1);
    expect(d.phi(t + 500)).toBeGreaterThan(1); // 5x late: suspicious, not yet failed
    expect(d.phi(t + 500)).toBeLessThan(8);
    expect(d.phi(t + 5_000)).toBeGreaterThan(8); // 50x late: failed
    expect(d.overdue(t + 5_000)).toBeCloseTo(50, 6);
  });

  it("expects no gap shorter than the recent report delay: a millisecond call reported a second later is on time, and a hang is still found", () => {
    const d = new ProgressDetector();
    let t = 0;
    // Calls of 1 ms whose completions reach the plane in batches, a second apart.
    for (let i = 0; i < 20; i++) {
      d.dispatched(t, t + 1);
      d.reported(t + 1_000, 1_000);
      d.progressed(t + 1_000, t + 1_001);
      t += 1_000;
    }
    expect(d.phi(t + 1_000)).toBeLessThan(1);
    expect(d.phi(t + 2_000)).toBeLessThan(8);
    expect(d.phi(t + 60_000)).toBeGreaterThan(8);
    // A batch of results applied at once keeps the delay it measured: it fades by time (half-life 10 s), not per result.
    for (let i = 0; i < 200; i++) d.reported(t + 1_000, 0);
    expect(d.phi(t + 2_000)).toBeLessThan(8);
    // Without the report delay, the same second-long gap reads as a node a thousand times late.
    const blind = new ProgressDetector();
    blind.dispatched(0, 1);
    expect(blind.phi(1_000)).toBeGreaterThan(8);
  });

  it("keeps the gap open when a call times out, even with nothing left, until the node completes something", () => {
    const d = new ProgressDetector();
    d.dispatched(0, 100);
    d.dispatched(10, 110);
    d.timedOut(110); // the first timed out: no progress
    expect(d.overdue(1_000)).toBeCloseTo(10, 6);
    d.timedOut(null); // the second too: nothing left, but the node still owes progress
    expect(d.phi(5_000)).toBeGreaterThan(8);
    d.dispatched(5_000, 5_100);
    d.progressed(5_100, null); // it answers at last
    expect(d.phi(1e6)).toBe(0);
  });

  it("goes idle when a call is called off (another attempt won) and nothing is left", () => {
    const d = new ProgressDetector();
    d.dispatched(0, 100);
    d.withdrawn(null);
    expect(d.phi(1e6)).toBe(0);
  });
});
