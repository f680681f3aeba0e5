/** Load forecasting: AR(2) by recursive least squares, and the runners an M/M/c queue needs. */
import { describe, expect, it } from "vitest";
import { LoadForecaster, RecursiveLeastSquares, erlangCWaitMs, recommendedRunners, slotsFor } from "../../core/sched/forecast.ts";
import { Random } from "../../core/sim/random.ts";

const gaussian = (r: Random) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

describe("RecursiveLeastSquares", () => {
  it("recovers known AR(2) coefficients from a noisy series", () => {
    const [a, b, c] = [5, 0.6, 0.25]; // stationary: mean a / (1 - b - c) = 33.3
    const r = new Random(21);
    const rls = new RecursiveLeastSquares(3, 0.999);
    let y1 = 33;
    let y2 = 33;
    for (let t = 0; t < 5_000; t++) {
      const y = a + b * y1 + c * y2 + 2 * gaussian(r);
      rls.update([1, y1, y2], y);
      [y2, y1] = [y1, y];
    }
    const [ea, eb, ec] = rls.theta;
    expect(eb).toBeCloseTo(b, 1);
    expect(ec).toBeCloseTo(c, 1);
    expect(Math.abs(ea! - a)).toBeLessThan(2);
    // The implied mean is what matters for a forecast, and it is sharper than the intercept.
    expect(ea! / (1 - eb! - ec!)).toBeCloseTo(a / (1 - b - c), 0);
  });

  it("solves an exact linear relation in a few updates", () => {
    const rls = new RecursiveLeastSquares(2, 1, 1e6);
    for (const x of [1, 2, 3, 4, 5]) rls.update([1, x], 3 + 2 * x);
    expect(rls.theta[0]).toBeCloseTo(3, 3);
    expect(rls.theta[1]).toBeCloseTo(2, 3);
    expect(rls.predict([1, 10])).toBeCloseTo(23, 2);
  });

  it("follows a change with forgetting, and its covariance stays bounded on constant input", () => {
    const rls = new RecursiveLeastSquares(2, 0.9);
    for (let t = 0; t < 200; t++) rls.update([1, t % 7], 1 + (t % 7));
    for (let t = 0; t < 200; t++) rls.update([1, t % 7], 10 + 3 * (t % 7));
    expect(rls.theta[0]).toBeCloseTo(10, 2);
    expect(rls.theta[1]).toBeCloseTo(3, 2);
    for (let t = 0; t < 10_000; t++) rls.update([1, 2], 16); // no excitation: wind-up is capped
    expect(rls.predict([1, 2])).toBeCloseTo(16, 3);
    expect(rls.theta.every(Number.isFinite)).toBe(true);
  });
});

describe("LoadForecaster", () => {
  it("forecasts a periodic load from dispatch times", () => {
    // Calls per second alternate 10, 30, 10, 30: R(t) = 40 - R(t-1) exactly.
    const f = new LoadForecaster({ intervalMs: 1_000, forgetting: 0.99 });
    for (let s = 0; s < 60; s++) {
      const n = s % 2 === 0 ? 10 : 30;
      for (let i = 0; i < n; i++) f.record(s * 1_000 + (i * 1_000) / n);
    }
    const next = f.forecast(60_000); // second 60 is even: 10 calls
    expect(next.recent).toEqual([30, 10]);
    expect(next.next).toBeCloseTo(10, 0);
    expect(next.a + next.b * 30 + next.c * 10).toBeCloseTo(next.next, 6);
  });

  it("counts silent intervals as zero and says 'same as last' before it has fitted enough", () => {
    const f = new LoadForecaster({ intervalMs: 100, minUpdates: 8 });
    for (let i = 0; i < 5; i++) f.record(10 + i);
    expect(f.forecast(150).next).toBe(5); // one interval closed: naive forecast
    const later = f.forecast(100_000); // a long silence: fitted on zeros
    expect(later.next).toBeLessThan(0.5);
    expect(later.recent).toEqual([0, 0]);
  });
});

describe("queue sizing", () => {
  it("computes the Erlang C queueing delay of an M/M/c queue", () => {
    // c = 2 servers, offered load 1 Erlang: P(wait) = 1/3, Wq = P(wait) * S / (c - A) = S / 3.
    expect(erlangCWaitMs(2, 1 / 100, 100)).toBeCloseTo(100 / 3, 6);
    // c = 1: M/M/1, Wq = rho / (1 - rho) * S.
    expect(erlangCWaitMs(1, 0.5 / 100, 100)).toBeCloseTo(100, 6);
    expect(erlangCWaitMs(2, 2 / 100, 100)).toBe(Infinity);
  });

  it("finds the fewest slots under a target wait, and runners from a forecast", () => {
    const slots = slotsFor(50 / 1_000, 100, 10); // 50 calls/s of 100 ms: 5 Erlangs
    expect(slots).toBeGreaterThan(5);
    expect(erlangCWaitMs(slots, 50 / 1_000, 100)).toBeLessThanOrEqual(10);
    expect(erlangCWaitMs(slots - 1, 50 / 1_000, 100)).toBeGreaterThan(10);
    expect(recommendedRunners({ next: 50, intervalMs: 1_000 }, 100, 2, 10)).toBe(Math.ceil(slots / 2));
    expect(recommendedRunners({ next: 0, intervalMs: 1_000 }, 100, 2, 10)).toBe(0);
    // More load never needs fewer runners.
    let last = 0;
    for (const next of [1, 5, 20, 80, 320]) {
      const runners = recommendedRunners({ next, intervalMs: 1_000 }, 100, 2, 10);
      expect(runners).toBeGreaterThanOrEqual(last);
      last = runners;
    }
  });
});
