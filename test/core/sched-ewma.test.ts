/** EWMA, EW variance and the decaying sum the learning scheduler builds on. */
import { describe, expect, it } from "vitest";
import { DecayingSum, Ewma, alphaForHalfLife } from "../../core/sched/ewma.ts";
import { Random } from "../../core/sim/random.ts";

const gaussian = (r: Random) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

describe("Ewma", () => {
  it("starts at the first sample (no bias towards 0) and converges to a constant", () => {
    const e = new Ewma(0.2);
    e.update(50);
    expect(e.mean).toBe(50);
    for (let i = 0; i < 100; i++) e.update(10);
    expect(e.mean).toBeCloseTo(10, 6);
    expect(e.variance).toBeCloseTo(0, 6);
    expect(e.count).toBe(101);
  });

  it("estimates mean and variance of a noisy stream", () => {
    const r = new Random(3);
    const e = new Ewma(0.01);
    for (let i = 0; i < 20_000; i++) e.update(5 + 2 * gaussian(r));
    expect(e.mean).toBeGreaterThan(4.6);
    expect(e.mean).toBeLessThan(5.4);
    expect(e.std).toBeGreaterThan(1.7);
    expect(e.std).toBeLessThan(2.3);
  });

  it("follows a step with the half-life it was given", () => {
    const e = new Ewma(alphaForHalfLife(10), 0);
    for (let i = 0; i < 10; i++) e.update(1);
    expect(e.mean).toBeCloseTo(0.5, 10); // half way to the new level after one half-life
  });

  it("keeps a prior as the starting mean and ignores non-finite samples", () => {
    const e = new Ewma(0.5, 0);
    expect(e.mean).toBe(0);
    e.update(Number.NaN).update(1);
    expect(e.mean).toBe(0.5);
    expect(e.count).toBe(1);
  });

  it("refuses an alpha outside (0, 1]", () => {
    expect(() => new Ewma(0)).toThrow(RangeError);
    expect(() => new Ewma(1.5)).toThrow(RangeError);
  });
});

describe("DecayingSum", () => {
  it("halves every half-life", () => {
    const s = new DecayingSum(1_000);
    s.add(8, 0);
    expect(s.get(0)).toBe(8);
    expect(s.get(1_000)).toBeCloseTo(4, 10);
    s.add(4, 2_000);
    expect(s.get(2_000)).toBeCloseTo(6, 10);
    expect(s.get(3_000)).toBeCloseTo(3, 10);
  });
});
