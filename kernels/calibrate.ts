/**
 * Measures each SIMD stage's `run` (its CPU reference) on this machine and fits the constants
 * of its cost model: how the cost models in kernels/ and examples/numeric-pipeline.ts were set
 * (the latter's stages run kernels/numeric.ts's references, measured here as they are)
 * on the reference machine (2 cores, Node 20). Not part of the test suite.
 *
 *   node --import tsx kernels/calibrate.ts [--quick]
 *
 * For each stage and size: 2 warm-up calls, then the median of 7 timed calls (5 for matmul)
 * with performance.now(). The model a + c·x (x = n encoded input bytes, or N³ for square
 * matrices of side N) is fitted by least squares on relative error, so small and large sizes
 * count alike; the intercept is kept at 0.001 ms or more.
 */
import { type Stage, type Value, encodedSize } from "../core/index.ts";
import { type MatmulInput, checkMatmulInput, checkSumInput, matmulReference, sumReference } from "./numeric.ts";
import { histogram, map, matmul, reduce, scan } from "./index.ts";

const quick = process.argv.includes("--quick");

/** A deterministic source of floats in [-1, 1). */
function floats(length: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time<I extends Value>(stage: Stage<I, Value>, input: I, reps: number): number {
  // Warm up until the JIT has settled: at least 5 calls and 50 ms (at most 200 calls).
  const start = performance.now();
  for (let i = 0; i < 200 && (i < 5 || performance.now() - start < 50); i++) stage.run(input);
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    stage.run(input);
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** Least squares on relative error: minimises Σ ((a + c·x − y) / y)². */
function fit(points: readonly { x: number; y: number }[]): { a: number; c: number } {
  let s11 = 0, s1x = 0, sxx = 0, s1y = 0, sxy = 0;
  for (const { x, y } of points) {
    const w = 1 / (y * y);
    s11 += w;
    s1x += w * x;
    sxx += w * x * x;
    s1y += w * y;
    sxy += w * x * y;
  }
  const det = s11 * sxx - s1x * s1x;
  let a = (sxx * s1y - s1x * sxy) / det;
  let c = (s11 * sxy - s1x * s1y) / det;
  if (!(a >= 0.001)) {
    a = 0.001;
    let num = 0, den = 0;
    for (const { x, y } of points) {
      num += (x * (y - a)) / (y * y);
      den += (x * x) / (y * y);
    }
    c = num / den;
  }
  return { a, c };
}

/** One fitted series: a stage on inputs of growing size that differ only in size. */
type Series = { label: string; stage: Stage<Value, Value>; x: (n: number, input: Value) => number; inputs: Value[]; reps: number };
/** Series whose fits make one cost model: it takes the largest a and the largest c (the slowest op). */
type Group = { stage: string; series: Series[] };

const lengths = quick ? [2 ** 12, 2 ** 16, 2 ** 20] : [2 ** 12, 2 ** 14, 2 ** 16, 2 ** 18, 2 ** 20, 2 ** 22];
const sides = quick ? [64, 128, 256] : [64, 96, 128, 192, 256, 384, 512];
const byBytes = (n: number) => n;
const cube = (_: number, input: Value) => (input as { m: number }).m ** 3;
const cubeN = (_: number, input: Value) => (input as { n: number }).n ** 3;
const any = (s: unknown) => s as Stage<Value, Value>;
/** The numeric pipeline's stages' `run`: the input check, then the reference. */
const numeric = {
  sum: { run: (xs: Float32Array) => (checkSumInput(xs), sumReference(xs)) },
  matmul: { run: (input: MatmulInput) => (checkMatmulInput(input), matmulReference(input)) },
};

const mapSeries = (op: string, extra: (l: number) => object): Series => ({
  label: `op ${op}`,
  stage: any(map),
  x: byBytes,
  reps: 7,
  inputs: lengths.map((l) => ({ op, a: floats(l, l), ...extra(l) })),
});
const groups: Group[] = [
  {
    stage: "simd/map",
    series: [
      ...["neg", "abs", "relu", "square"].map((op) => mapSeries(op, () => ({}))),
      ...["add", "sub", "mul", "min", "max"].map((op) => mapSeries(op, (l) => ({ b: floats(l, l + 1) }))),
      ...["scale", "offset"].map((op) => mapSeries(op, () => ({ k: 0.5 }))),
    ],
  },
  { stage: "simd/reduce", series: ["sum", "min", "max"].map((op) => ({ label: `op ${op}`, stage: any(reduce), x: byBytes, reps: 7, inputs: lengths.map((l) => ({ op, xs: floats(l, l) })) })) },
  { stage: "simd/scan", series: [{ label: "scan", stage: any(scan), x: byBytes, reps: 7, inputs: lengths.map((l) => ({ xs: floats(l, l) })) }] },
  { stage: "simd/histogram", series: [16, 4096].map((bins) => ({ label: `${bins} bins`, stage: any(histogram), x: byBytes, reps: 7, inputs: lengths.map((l) => ({ xs: floats(l, l), bins, lo: -1, hi: 1 })) })) },
  { stage: "simd/matmul (x = N³)", series: [{ label: "square", stage: any(matmul), x: cube, reps: 5, inputs: sides.map((s) => ({ a: floats(s * s, s), b: floats(s * s, s + 1), m: s, k: s, n: s })) }] },
  { stage: "numeric-pipeline/sum", series: [{ label: "sum", stage: any(numeric.sum), x: byBytes, reps: 7, inputs: lengths.map((l) => floats(l, l)) }] },
  { stage: "numeric-pipeline/matmul (x = N³)", series: [{ label: "square", stage: any(numeric.matmul), x: cubeN, reps: 5, inputs: sides.map((s) => ({ a: floats(s * s, s), b: floats(s * s, s + 1), n: s })) }] },
];

for (const group of groups) {
  let a = 0;
  let c = 0;
  console.log(group.stage);
  for (const { label, stage, x, inputs, reps } of group.series) {
    const points = inputs.map((input) => {
      const n = encodedSize(input);
      return { n, x: x(n, input), y: time(stage, input, reps) };
    });
    const f = fit(points);
    a = Math.max(a, f.a);
    c = Math.max(c, f.c);
    const worst = Math.max(...points.map((p) => Math.abs(f.a + f.c * p.x - p.y) / p.y));
    const model = (p: { n: number }) => `${stage.cost.runtimeMs(p.n).toFixed(3)} ms`;
    console.log(`  ${label}: ${f.a.toPrecision(3)} + ${f.c.toPrecision(3)}·x ms (worst misfit ${(100 * worst).toFixed(0)}%); measured vs the stage's model:`);
    console.log(`    ${points.map((p) => `n=${p.n} ${p.y.toFixed(3)} ms vs ${model(p)}`).join(", ")}`);
  }
  console.log(`  => runtimeMs ≈ ${a.toPrecision(2)} + ${c.toPrecision(3)}·x`);
}
