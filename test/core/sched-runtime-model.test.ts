/** The runtime model: how far declared cost models are off per (stage, node), learned online. */
import { describe, expect, it } from "vitest";
import { RuntimeModel } from "../../core/sched/runtime-model.ts";
import { Random } from "../../core/sim/random.ts";

const gaussian = (r: Random) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
/** A log-normal run time around `median`. */
const lognormal = (r: Random, median: number, sigma: number) => median * Math.exp(sigma * gaussian(r));

describe("RuntimeModel", () => {
  it("starts at the declared model (scale 1) and shrinks a first observation towards it", () => {
    const m = new RuntimeModel();
    expect(m.scale("s@1", "n", 0)).toBe(1);
    m.observe("s@1", "n", 400, 100, 0);
    const first = m.scale("s@1", "n", 0);
    expect(first).toBeGreaterThan(1.4); // a third of the way in log space (the prior is worth two observations): 1.6x
    expect(first).toBeLessThan(2.5);
    m.observe("s@1", "n", 400, 100, 1);
    m.observe("s@1", "n", 400, 100, 2);
    expect(m.scale("s@1", "n", 2)).toBeGreaterThan(first);
  });

  it("learns a 5x slow-down of a node within two observations (no noise)", () => {
    const m = new RuntimeModel();
    for (let i = 0; i < 20; i++) m.observe("s@1", "n", 100, 100, i);
    m.observe("s@1", "n", 500, 100, 20);
    m.observe("s@1", "n", 500, 100, 21);
    expect(m.scale("s@1", "n", 21)).toBeGreaterThan(4.5);
    expect(m.scale("s@1", "n", 21)).toBeLessThan(5.5);
    expect(m.degradation("n", 21)).toBeGreaterThan(3);
  });

  it("learns a 5x slow-down within a few observations under log-normal noise (sigma 0.5)", () => {
    // Over 200 seeded runs: the observations until the learned scale passes 3x.
    const needed: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const r = new Random(seed);
      const m = new RuntimeModel();
      for (let i = 0; i < 30; i++) m.observe("s@1", "n", lognormal(r, 100, 0.5), 100, i);
      let k = 0;
      while (k < 50 && m.scale("s@1", "n", 30 + k) <= 3) m.observe("s@1", "n", lognormal(r, 500, 0.5), 100, 30 + k++);
      needed.push(k);
    }
    needed.sort((a, b) => a - b);
    expect(needed[100]).toBeLessThanOrEqual(4); // median
    expect(needed[180]).toBeLessThanOrEqual(10); // 90th percentile
  });

  it("is robust to log-normal noise (sigma 0.5): it tracks the median ratio and rarely strays", () => {
    for (const truth of [0.5, 1, 3]) {
      const r = new Random(Math.round(truth * 100));
      const m = new RuntimeModel();
      let within = 0;
      const n = 2_000;
      for (let i = 0; i < n; i++) {
        m.observe("s@1", "n", lognormal(r, 100 * truth, 0.5), 100, i);
        if (i >= 50 && Math.abs(Math.log(m.scale("s@1", "n", i) / truth)) < Math.log(1.5)) within++;
      }
      expect(within / (n - 50)).toBeGreaterThan(0.97); // within 1.5x of the truth almost always
      expect(Math.abs(Math.log(m.scale("s@1", "n", n) / truth))).toBeLessThan(0.3);
      expect(m.sigma("s@1", "n")).toBeGreaterThan(0.35);
      expect(m.sigma("s@1", "n")).toBeLessThan(0.65);
    }
  });

  it("moves a bounded step for one wild observation", () => {
    const m = new RuntimeModel();
    for (let i = 0; i < 50; i++) m.observe("s@1", "n", 100, 100, i);
    m.observe("s@1", "n", 100_000, 100, 50); // a 1000x outlier
    expect(m.scale("s@1", "n", 50)).toBeLessThan(1.2);
  });

  it("shares a node's slow-down with stages it has not run since", () => {
    const m = new RuntimeModel();
    for (let i = 0; i < 10; i++) {
      m.observe("a@1", "n", 100, 100, i);
      m.observe("b@1", "n", 50, 50, i);
    }
    for (let i = 0; i < 3; i++) m.observe("a@1", "n", 500, 100, 10 + i);
    expect(m.scale("b@1", "n", 13)).toBeGreaterThan(3.5); // b never ran slow, yet is predicted slow
    expect(m.scale("b@1", "other", 13)).toBe(1); // other nodes are untouched
  });

  it("keeps stage-specific factors apart on one node (a stage whose cost model is 3x off)", () => {
    const r = new Random(9);
    const m = new RuntimeModel();
    for (let i = 0; i < 400; i++) {
      // Runs of one stage then the other, the hard order for a shared level.
      const stage = Math.floor(i / 5) % 2 === 0 ? "a@1" : "b@1";
      m.observe(stage, "n", lognormal(r, stage === "a@1" ? 100 : 300, 0.1), 100, i);
    }
    expect(m.scale("a@1", "n", 400)).toBeGreaterThan(0.8);
    expect(m.scale("a@1", "n", 400)).toBeLessThan(1.25);
    expect(m.scale("b@1", "n", 400)).toBeGreaterThan(2.4);
    expect(m.scale("b@1", "n", 400)).toBeLessThan(3.75);
  });

  it("lets a level the node has not confirmed fade back to its baseline while it gets no work", () => {
    const m = new RuntimeModel({ relaxHalfLifeMs: 10_000 });
    for (let i = 0; i < 30; i++) m.observe("s@1", "n", 100, 100, i);
    m.observe("s@1", "n", 500, 100, 30);
    m.observe("s@1", "n", 500, 100, 31);
    expect(m.scale("s@1", "n", 31)).toBeGreaterThan(4.5);
    expect(m.scale("s@1", "n", 10_031)).toBeLessThan(Math.sqrt(5) * 1.2); // half way (in log) after one half-life
    expect(m.scale("s@1", "n", 100_031)).toBeLessThan(1.3);
    // Two slow calls bring the belief back at once.
    m.observe("s@1", "n", 500, 100, 100_031);
    m.observe("s@1", "n", 500, 100, 100_032);
    expect(m.scale("s@1", "n", 100_032)).toBeGreaterThan(3.5);
  });

  it("counts a timed-out call as a lower bound only when it says slower than believed", () => {
    const m = new RuntimeModel();
    for (let i = 0; i < 10; i++) m.observe("s@1", "n", 300, 100, i);
    const before = m.scale("s@1", "n", 10);
    m.observeAtLeast("s@1", "n", 150, 100, 10); // ran at least 1.5x: nothing new
    expect(m.scale("s@1", "n", 10)).toBe(before);
    m.observeAtLeast("s@1", "n", 3_000, 100, 11);
    expect(m.scale("s@1", "n", 11)).toBeGreaterThan(before);
  });

  it("treats times below the clock's resolution as noise", () => {
    const m = new RuntimeModel();
    for (let i = 0; i < 20; i++) m.observe("tiny@1", "n", i % 2, 0.01, i); // 0 or 1 ms for a 10 µs stage
    expect(m.scale("tiny@1", "n", 20)).toBe(1);
  });

  it("judges delays against the spread pooled over all nodes, which a slowed node does not widen", () => {
    const m = new RuntimeModel();
    expect(m.cautiousSigma("a")).toBe(0.5); // nothing seen: the prior
    for (let i = 0; i < 10; i++) for (const node of ["a", "b", "c"]) m.observe(`s${i}@1`, node, 100, 100, i);
    expect(m.cautiousSigma("a")).toBe(0.25); // exact cost models: the floor
    for (let i = 0; i < 5; i++) m.observe(`t${i}@1`, "c", 500, 100, 10 + i);
    expect(m.cautiousSigma("a")).toBe(0.25);
    const r = new Random(4);
    const noisy = new RuntimeModel();
    for (let i = 0; i < 300; i++) noisy.observe(`s${i}@1`, ["a", "b", "c"][i % 3]!, lognormal(r, 100, 0.5), 100, i);
    expect(noisy.cautiousSigma("a")).toBeGreaterThan(0.4);
    expect(noisy.cautiousSigma("a")).toBeLessThan(0.65);
  });

  it("measures a young node's degradation against its declaration, an older one's against its own past", () => {
    const young = new RuntimeModel();
    for (let i = 0; i < 3; i++) young.observe("s@1", "n", 500, 100, i);
    expect(young.degradation("n", 3)).toBeCloseTo(young.nodeScale("n", 3), 6);
    expect(young.degradation("n", 3)).toBeGreaterThan(2.5);
    const settled = new RuntimeModel();
    for (let i = 0; i < 30; i++) settled.observe("s@1", "n", 300, 100, i); // declared wrongly, but steady
    expect(settled.nodeScale("n", 30)).toBeGreaterThan(2.5);
    expect(settled.degradation("n", 30)).toBeLessThan(1.3);
  });
});
