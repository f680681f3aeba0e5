/** Isolation Forest (Liu, Ting & Zhou 2008), seeded. */
import { describe, expect, it } from "vitest";
import { AnomalyMonitor } from "../../core/sched/anomaly.ts";
import { IsolationForest, averagePathLength } from "../../core/sched/isolation-forest.ts";
import { Random } from "../../core/sim/random.ts";

const gaussian = (r: Random) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

function cloud(seed: number, n: number, dims: number): number[][] {
  const r = new Random(seed);
  return Array.from({ length: n }, () => Array.from({ length: dims }, () => gaussian(r)));
}

describe("averagePathLength c(n)", () => {
  it("matches the paper's normaliser", () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // 2 H(255) - 2 * 255 / 256 with H(i) = ln(i) + Euler's gamma.
    expect(averagePathLength(256)).toBeCloseTo(2 * (Math.log(255) + 0.5772156649) - (2 * 255) / 256, 10);
    expect(averagePathLength(256)).toBeCloseTo(10.24, 2);
  });
});

describe("IsolationForest", () => {
  it("scores planted outliers above every inlier", () => {
    const inliers = cloud(7, 1_000, 2);
    const outliers = [
      [6, 6],
      [-5, 5],
      [0, 9],
      [-8, 0],
    ];
    const forest = IsolationForest.fit([...inliers, ...outliers], { seed: 3 });
    const inlierScores = inliers.map((x) => forest.score(x));
    const worstInlier = Math.max(...inlierScores);
    for (const o of outliers) {
      expect(forest.score(o)).toBeGreaterThan(worstInlier);
      expect(forest.score(o)).toBeGreaterThan(0.6);
    }
    const median = [...inlierScores].sort((a, b) => a - b)[500]!;
    expect(median).toBeLessThan(0.5);
  });

  it("sees an outlier in several dimensions best (random cuts dilute a one-dimensional one)", () => {
    const inliers = cloud(8, 1_000, 4);
    const forest = IsolationForest.fit(inliers, { seed: 4 });
    const worstInlier = Math.max(...inliers.map((x) => forest.score(x)));
    expect(forest.score([5, -5, 5, -5])).toBeGreaterThan(worstInlier);
    expect(forest.score([5, -5, 5, -5])).toBeGreaterThan(forest.score([0, 0, 0, 7]));
  });

  it("isolates outliers in fewer cuts (mean path length)", () => {
    const forest = IsolationForest.fit(cloud(1, 512, 2), { seed: 1 });
    expect(forest.pathLength([8, 8])).toBeLessThan(forest.pathLength([0, 0]) / 2);
  });

  it("is reproducible from its seed, and the seed matters", () => {
    const data = cloud(2, 300, 3);
    const x = [1.5, -0.5, 2];
    expect(IsolationForest.fit(data, { seed: 9 }).score(x)).toBe(IsolationForest.fit(data, { seed: 9 }).score(x));
    expect(IsolationForest.fit(data, { seed: 9 }).score(x)).not.toBe(IsolationForest.fit(data, { seed: 10 }).score(x));
  });

  it("uses a subsample of 256 and 100 trees by default", () => {
    const forest = IsolationForest.fit(cloud(3, 2_000, 2));
    expect(forest.sampleSize).toBe(256);
    expect(IsolationForest.fit(cloud(3, 40, 2)).sampleSize).toBe(40);
  });

  it("says 0.5 (nothing stands out) for identical points", () => {
    const forest = IsolationForest.fit(Array.from({ length: 50 }, () => [1, 2, 3]));
    expect(forest.score([1, 2, 3])).toBeCloseTo(0.5, 10);
  });

  it("finds the odd one among the points it must score, even against a uniform history", () => {
    // The scheduler's case: a history of healthy node vectors that barely vary, and the current
    // vectors of four nodes, one of which runs 5x slower (log 5 in the first feature).
    const r = new Random(5);
    const history: number[][] = [];
    for (let t = 0; t < 200; t++) for (let n = 0; n < 4; n++) history.push([0, 0, r.next() * 0.5, Math.floor(r.next() * 3) / 2]);
    const current = [
      [0, 0, 0.3, 0.5],
      [0, 0, 0.2, 1],
      [Math.log(5), 0, 0.4, 1],
      [0, 0, 0.1, 0],
    ];
    const forest = IsolationForest.fit(history, { always: current, seed: 5 });
    const scores = current.map((v) => forest.score(v));
    expect(scores[2]).toBeGreaterThan(0.7);
    for (const i of [0, 1, 3]) expect(scores[i]).toBeLessThan(0.55);
  });

  it("refuses rows of different lengths and an empty data set", () => {
    expect(() => IsolationForest.fit([[1, 2], [3]])).toThrow(RangeError);
    expect(() => IsolationForest.fit([])).toThrow(RangeError);
  });
});

describe("AnomalyMonitor", () => {
  const healthy = (r: Random) => [0, 0, 0, r.next(), 0.9 + 0.2 * r.next(), Math.floor(r.next() * 3) / 2];

  it("gives no score before it has enough history, then scores the odd node high", () => {
    const r = new Random(1);
    const m = new AnomalyMonitor({ minHistory: 32 });
    const nodes = ["a", "b", "c", "d"];
    for (let t = 0; t < 8; t++) {
      m.sample(t * 1_000, new Map(nodes.map((n) => [n, healthy(r)])));
      for (const n of nodes) expect(m.score(n)).toBe(0); // 4 vectors per sample: 32 only after the 8th
    }
    for (let t = 8; t < 40; t++) m.sample(t * 1_000, new Map(nodes.map((n) => [n, healthy(r)])));
    m.sample(40_000, new Map(nodes.map((n) => [n, n === "c" ? [Math.log(5), 0, 0, 0.5, 1, 1] : healthy(r)])));
    expect(m.score("c")).toBeGreaterThan(0.7);
    // Healthy vectors at the edge of the usual range may pass 0.6 too: that is why a suspect also needs a degraded runtime.
    expect(m.score("c")).toBeGreaterThan(Math.max(...["a", "b", "d"].map((n) => m.score(n))) + 0.1);
  });

  it("regrows only every few samples unless told a score could matter", () => {
    const r = new Random(2);
    const m = new AnomalyMonitor({ minHistory: 8, regrowEvery: 5, sampleIntervalMs: 1_000 });
    for (let t = 0; t < 10; t++) m.sample(t * 1_000, new Map([["a", healthy(r)], ["b", healthy(r)]]), false);
    expect(m.due(10_500)).toBe(true);
    expect(m.due(9_500)).toBe(false);
    const before = m.score("a");
    m.sample(10_000, new Map([["a", [9, 9, 9, 9, 9, 9]], ["b", healthy(r)]]), false); // not due to regrow: score unchanged
    expect(m.score("a")).toBe(before);
    m.sample(11_000, new Map([["a", [9, 9, 9, 9, 9, 9]], ["b", healthy(r)]]), true);
    expect(m.score("a")).toBeGreaterThan(0.6);
  });
});
