/**
 * The SIMD stages in kernels/, in Node: each CPU reference `run` against an independent
 * float64 computation (never against itself), at awkward sizes (0, 1, 255, 256, 257, around
 * the scan's 1024-element chunk, large); what `bind` asks a gpu-runner for at those sizes;
 * `read` round trips; input validation. The kernels themselves run on a GPU in the gpu-runner's
 * suite, which compares them with these same references and tolerance functions.
 *
 * Tolerances are the classical a-priori bounds of f32 arithmetic (Higham, "Accuracy and
 * Stability of Numerical Algorithms", §3.1 and §4.2): a sum whose terms pass through at most d
 * rounded additions is off by at most γ_d·Σ|terms|, γ_d = d·u/(1 − d·u), u = 2⁻²⁴. Each test
 * also checks the bound is not vacuous (well below Σ|terms|).
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type KernelArray, type KernelBinding, KNOWN_CAPS, createRegistry, encodedSize, runLocally } from "paxflow";
import { checkFiles } from "../../core/check/index.ts";
import * as kernels from "../../kernels/index.ts";
import {
  BINARY_MAP_OPS,
  F32_UNIT_ROUNDOFF,
  MAP_OPS,
  MAX_BINS,
  MAX_ELEMENTS,
  MAX_MULTIPLY_ADDS,
  MAX_WORKGROUPS,
  type MapInput,
  type MapOp,
  SCALAR_MAP_OPS,
  SCAN_CHUNK,
  gamma,
  grid,
  histogram,
  map,
  matmul,
  matmulTolerance,
  reduce,
  scan,
  scanTolerance,
  sumTolerance,
} from "../../kernels/index.ts";

/** The test's own PRNG (a 64-bit LCG, not anything in kernels/). */
function lcg(seed: number): () => number {
  let s = BigInt(seed);
  return () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
}

/** `length` f32 values uniform in [lo, hi). */
function uniform(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  const random = lcg(seed);
  return Float32Array.from({ length }, () => lo + (hi - lo) * random());
}

/** Neumaier's compensated float64 sum: for these sizes, exact to well below any f32 bound. */
function exactSum(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  let s = 0;
  let c = 0;
  for (let i = from; i < to; i++) {
    const x = xs[i]!;
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
}

const sumAbs = (xs: ArrayLike<number>) => exactSum(Array.from(xs, Math.abs));

const SIZES = [0, 1, 2, 255, 256, 257, 1023, 1024, 1025, 4097, 100_003];
const LARGE = 1_000_003;

/** The WGSL bindings, in order: [binding, address space and access, name]. */
function wgslBindings(wgsl: string): [number, string, string][] {
  return [...wgsl.matchAll(/@group\(0\) @binding\((\d+)\) var<([^>]+)> (\w+)/g)].map((m) => [Number(m[1]), m[2]!, m[3]!]);
}

/** Fields of the WGSL `struct Params`. */
function wgslParams(wgsl: string): string[] {
  const body = /struct Params \{([^}]*)\}/.exec(wgsl)?.[1] ?? "";
  return [...body.matchAll(/(\w+): u32/g)].map((m) => m[1]!);
}

/** Invariants every binding must meet for a gpu-runner to dispatch it (core/sdk/stage.ts). */
function expectDispatchable(wgsl: string, binding: KernelBinding): void {
  const layout = wgslBindings(wgsl);
  const k = binding.inputs.length;
  expect(layout.map(([b]) => b)).toEqual([...Array(k + 2).keys()]);
  for (let i = 0; i < k; i++) expect(layout[i]![1]).toBe("storage, read");
  expect(layout[k]![1]).toBe("storage, read_write");
  expect(layout[k + 1]![1]).toBe("uniform");
  for (const input of binding.inputs) {
    expect(input instanceof Float32Array || input instanceof Uint32Array || input instanceof Int32Array).toBe(true);
    expect(input.length).toBeLessThanOrEqual(MAX_ELEMENTS);
  }
  expect(wgsl).toMatch(new RegExp(`var<storage, read_write> \\w+: array<(atomic<)?${binding.output.type}>?>;`));
  expect(Number.isInteger(binding.output.length) && binding.output.length >= 0 && binding.output.length <= MAX_ELEMENTS).toBe(true);
  expect(binding.params.length).toBe(wgslParams(wgsl).length);
  for (const p of binding.params) expect(Number.isInteger(p) && p >= 0 && p < 2 ** 32, `param ${p}`).toBe(true);
  expect(binding.workgroups).toHaveLength(3);
  for (const w of binding.workgroups) expect(Number.isInteger(w) && w >= 1 && w <= MAX_WORKGROUPS, `workgroups ${binding.workgroups}`).toBe(true);
}

/** What a gpu-runner hands `read`: the stage's result as the output buffer would hold it. */
function asOutput(binding: KernelBinding, values: ArrayLike<number>): KernelArray {
  const out = binding.output.type === "f32" ? new Float32Array(binding.output.length) : binding.output.type === "u32" ? new Uint32Array(binding.output.length) : new Int32Array(binding.output.length);
  out.set(Array.from(values).slice(0, binding.output.length));
  return out;
}

/** Element-wise Object.is (vitest's deep equality is slow on long typed arrays). */
function expectSameElements(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect.fail(`element ${i}: ${got[i]}, want ${want[i]}`);
}

const f32Bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;

describe("kernels: error bounds", () => {
  it("gamma is Higham's γ_k and becomes Infinity where it says nothing", () => {
    expect(gamma(0)).toBe(0);
    expect(gamma(1) / 2 ** -24).toBeCloseTo(1, 6);
    expect(gamma(1000)).toBe((1000 * 2 ** -24) / (1 - 1000 * 2 ** -24));
    expect(gamma(2 ** 24)).toBe(Infinity);
    expect(F32_UNIT_ROUNDOFF).toBe(2 ** -24);
  });
});

describe("simd/map", () => {
  /** The float64 value of each op on the f32 inputs, with its own reading of the table in map.ts. */
  const exact: Record<MapOp, (x: number, y: number, k: number) => number> = {
    add: (x, y) => x + y,
    sub: (x, y) => x - y,
    mul: (x, y) => x * y,
    min: (x, y) => (y < x ? y : x),
    max: (x, y) => (y > x ? y : x),
    scale: (x, _, k) => x * k,
    offset: (x, _, k) => x + k,
    neg: (x) => -x,
    abs: (x) => (x < 0 ? -x : x),
    relu: (x) => (x > 0 ? x : 0),
    square: (x) => x * x,
  };

  const inputFor = (op: MapOp, length: number, seed: number): MapInput => {
    const a = uniform(length, seed, -100, 100);
    if (BINARY_MAP_OPS.includes(op)) return { op, a, b: uniform(length, seed + 1, -100, 100) };
    if (SCALAR_MAP_OPS.includes(op)) return { op, a, k: 0.3 };
    return { op, a };
  };

  // Each op is one f32 operation: the result is the f32 nearest the float64 one (which is exact
  // for +, −, × of two f32 values but for rare sums of very different magnitudes, and then still
  // rounds to the same f32). Tolerance 0, for every op, at every size.
  it.each(MAP_OPS.flatMap((op) => [0, 1, 255, 256, 257, 100_003].map((length) => [op, length] as const)))("%s on %i elements is the f32 rounding of the float64 result", (op, length) => {
    const input = inputFor(op, length, length + 17);
    const out = map.run(input);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(length);
    const k = Math.fround(input.k ?? 0);
    for (let i = 0; i < length; i++) {
      const want = Math.fround(exact[op](input.a[i]!, input.b?.[i] ?? 0, k));
      if (!Object.is(out[i], want)) expect.fail(`${op}[${i}] = ${out[i]}, want ${want}`);
    }
  });

  it("rounds k to f32 first, and picks operands for min, max, relu as documented (±0, NaN)", () => {
    expect(map.run({ op: "scale", a: new Float32Array([3]), k: 0.1 })[0]).toBe(Math.fround(3 * Math.fround(0.1)));
    expect([...map.run({ op: "relu", a: new Float32Array([-0, 0, -2, 2, NaN]) })]).toEqual([0, 0, 0, 2, 0]);
    expect(Object.is(map.run({ op: "relu", a: new Float32Array([-0]) })[0], 0)).toBe(true);
    const min = map.run({ op: "min", a: new Float32Array([-0, 0, NaN, 1]), b: new Float32Array([0, -0, 1, NaN]) });
    expect([Object.is(min[0], -0), Object.is(min[1], 0), min[2], min[3]]).toEqual([true, true, 1, NaN]);
    const max = map.run({ op: "max", a: new Float32Array([-0, 1]), b: new Float32Array([0, 2]) });
    expect([Object.is(max[0], -0), max[1]]).toEqual([true, 2]);
  });

  it.each(SIZES)("binds %i elements as [a, b], f32 output, [op, length, bits(k)], enough workgroups of 256", (length) => {
    for (const op of MAP_OPS) {
      const input = inputFor(op, length, 3);
      const binding = map.kernel!.bind(input);
      expectDispatchable(map.kernel!.wgsl, binding);
      expect(binding.inputs[0]).toBe(input.a);
      if (input.b) expect(binding.inputs[1]).toBe(input.b);
      else expect(binding.inputs[1]).toEqual(new Float32Array(0)); // bound, unused: WebGPU needs every binding
      expect(binding.output).toEqual({ type: "f32", length });
      expect(binding.params).toEqual([MAP_OPS.indexOf(op), length, input.k === undefined ? 0 : f32Bits(input.k)]);
      const [x, y] = binding.workgroups;
      expect(x * y * 256).toBeGreaterThanOrEqual(length);
      expect(x * y).toBe(Math.max(1, Math.ceil(length / 256)));
      const result = map.run(input);
      expectSameElements(map.kernel!.read(asOutput(binding, result), input), result);
    }
  });

  it("spreads more than 65,535 workgroups over y, and refuses buffers larger than a binding", () => {
    expect(grid(0)).toEqual([1, 1, 1]);
    expect(grid(65_535)).toEqual([65_535, 1, 1]);
    expect(grid(65_536)).toEqual([65_535, 2, 1]);
    expect(grid(MAX_ELEMENTS / 256)).toEqual([65_535, 3, 1]);
    expect(() => map.kernel!.bind({ op: "neg", a: new Float32Array(MAX_ELEMENTS + 1) })).toThrow(/simd\/map: a has 33554433 elements; a GPU buffer here holds at most 33554432/);
  });

  it.each<[string, unknown, ErrorConstructor, RegExp]>([
    ["a non-object input", new Float32Array(2), TypeError, /simd\/map: input must be an object/],
    ["a missing op", { a: new Float32Array(1) }, TypeError, /op must be a string, got undefined/],
    ["an unknown op", { op: "div", a: new Float32Array(1), b: new Float32Array(1) }, RangeError, /op must be one of add, sub, mul, min, max, scale, offset, neg, abs, relu, square, got "div"/],
    ["a plain array a", { op: "neg", a: [1, 2] }, TypeError, /a must be a Float32Array, got an array/],
    ["a Float64Array a", { op: "neg", a: new Float64Array(2) }, TypeError, /a must be a Float32Array, got another typed array/],
    ["a missing b", { op: "add", a: new Float32Array(2) }, TypeError, /b must be a Float32Array, got undefined/],
    ["a short b", { op: "mul", a: new Float32Array(3), b: new Float32Array(2) }, RangeError, /b must be as long as a \(3\) for op "mul", got 2/],
    ["a b for a unary op", { op: "relu", a: new Float32Array(2), b: new Float32Array(2) }, TypeError, /op "relu" takes no b/],
    ["a missing k", { op: "scale", a: new Float32Array(2) }, TypeError, /k must be a number, got undefined/],
    ["a NaN k", { op: "offset", a: new Float32Array(2), k: NaN }, RangeError, /k must be a finite number within f32 range, got NaN/],
    ["a k beyond f32", { op: "scale", a: new Float32Array(2), k: 1e39 }, RangeError, /k must be a finite number within f32 range/],
    ["a k for a binary op", { op: "add", a: new Float32Array(1), b: new Float32Array(1), k: 2 }, TypeError, /op "add" takes no k/],
  ])("refuses %s, in run and in bind", (_, input, type, message) => {
    expect(() => map.run(input as MapInput)).toThrow(type);
    expect(() => map.run(input as MapInput)).toThrow(message);
    expect(() => map.kernel!.bind(input as MapInput)).toThrow(message);
  });

  it("read refuses an output of the wrong type or length", () => {
    const input: MapInput = { op: "neg", a: new Float32Array(3) };
    expect(() => map.kernel!.read(new Uint32Array(3), input)).toThrow(/simd\/map: the kernel's output must be a Float32Array/);
    expect(() => map.kernel!.read(new Float32Array(4), input)).toThrow(/must hold 3 elements, got 4/);
  });
});

describe("simd/reduce", () => {
  // Sum: |run − Σ| ≤ sumTolerance(xs) = γ_d·Σ|x| (+ a subnormal allowance), d = ceil(len/256) − 1 + 8.
  it.each([...SIZES, LARGE])("sums %i elements within sumTolerance of the exact sum", (length) => {
    for (const [lo, hi] of [[-1000, 1000], [0, 1], [-1, 3]] as const) {
      const xs = uniform(length, length + 5, lo, hi);
      const got = reduce.run({ op: "sum", xs });
      const tolerance = sumTolerance(xs);
      expect(Math.abs(got - exactSum(xs))).toBeLessThanOrEqual(tolerance);
      expect(Math.fround(got)).toBe(got);
      if (length > 0) expect(tolerance).toBeLessThan(1e-3 * sumAbs(xs) + 1e-30); // not vacuous
    }
  });

  it("the tolerance covers cancellation, and small integers sum exactly", () => {
    const xs = new Float32Array(1000);
    xs[3] = 1e8;
    xs[500] = 1;
    xs[997] = -1e8;
    expect(Math.abs(reduce.run({ op: "sum", xs }) - 1)).toBeLessThanOrEqual(sumTolerance(xs));
    const ints = Float32Array.from(uniform(50_000, 9), (x) => Math.round(x * 100));
    expect(reduce.run({ op: "sum", xs: ints })).toBe(exactSum(ints)); // every partial sum is an integer below 2^24
  });

  it.each([...SIZES, LARGE])("min and max of %i elements are exactly Math.min and Math.max", (length) => {
    const xs = uniform(length, length + 6, -50, 50);
    let min = Infinity;
    let max = -Infinity;
    for (const x of xs) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    expect(reduce.run({ op: "min", xs })).toBe(min);
    expect(reduce.run({ op: "max", xs })).toBe(max);
  });

  it("answers the identity for an empty array: sum 0, min +Infinity, max -Infinity", () => {
    const xs = new Float32Array(0);
    expect(reduce.run({ op: "sum", xs })).toBe(0);
    expect(reduce.run({ op: "min", xs })).toBe(Infinity);
    expect(reduce.run({ op: "max", xs })).toBe(-Infinity);
    for (const op of ["sum", "min", "max"] as const) expect(reduce.kernel!.read(new Float32Array(1), { op, xs })).toBe(reduce.run({ op, xs }));
  });

  it.each(SIZES)("binds %i elements as one workgroup with params [op, length]", (length) => {
    const xs = uniform(length, 2);
    for (const [code, op] of (["sum", "min", "max"] as const).entries()) {
      const binding = reduce.kernel!.bind({ op, xs });
      expectDispatchable(reduce.kernel!.wgsl, binding);
      expect(binding.inputs).toHaveLength(1);
      expect(binding.inputs[0]).toBe(xs);
      expect({ ...binding, inputs: [] }).toEqual({ inputs: [], output: { type: "f32", length: 1 }, params: [code, length], workgroups: [1, 1, 1] });
      const result = reduce.run({ op, xs });
      expect(reduce.kernel!.read(asOutput(binding, [result]), { op, xs })).toBe(result);
    }
  });

  it.each<[string, unknown, ErrorConstructor, RegExp]>([
    ["a bare array", new Float32Array(3), TypeError, /simd\/reduce: input must be an object/],
    ["an unknown op", { op: "mean", xs: new Float32Array(1) }, RangeError, /op must be one of sum, min, max, got "mean"/],
    ["a numeric op", { op: 0, xs: new Float32Array(1) }, TypeError, /op must be a string, got 0/],
    ["xs of the wrong type", { op: "sum", xs: new Uint32Array(2) }, TypeError, /xs must be a Float32Array, got another typed array/],
    ["missing xs", { op: "sum" }, TypeError, /xs must be a Float32Array, got undefined/],
  ])("refuses %s", (_, input, type, message) => {
    expect(() => reduce.run(input as never)).toThrow(type);
    expect(() => reduce.run(input as never)).toThrow(message);
    expect(() => reduce.kernel!.bind(input as never)).toThrow(message);
  });
});

describe("simd/matmul", () => {
  /** Naive float64 product of the same f32 inputs, and Σ_p |a_ip·b_pj| per entry. */
  function float64Product(a: Float32Array, b: Float32Array, m: number, k: number, n: number) {
    const c = new Float64Array(m * n);
    const abs = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let t = 0;
        for (let p = 0; p < k; p++) {
          s += a[i * k + p]! * b[p * n + j]!;
          t += Math.abs(a[i * k + p]! * b[p * n + j]!);
        }
        c[i * n + j] = s;
        abs[i * n + j] = t;
      }
    }
    return { c, abs };
  }

  const SHAPES: [number, number, number][] = [
    [0, 0, 0], [1, 1, 1], [0, 3, 2], [2, 0, 3], [3, 5, 0], [2, 3, 4], [16, 16, 16], [17, 33, 15],
    [1, 300, 1], [31, 1, 47], [64, 100, 37], [255, 3, 257], [100, 257, 20],
  ];

  // |run − exact| ≤ γ_k·Σ_p|a_ip·b_pj| per entry (matmulTolerance, which the test recomputes from
  // the definition): the float64 product is exact to ~1e-16 relative, far inside it.
  it.each(SHAPES)("multiplies %i×%i by %i-column matrices within matmulTolerance", (m, k, n) => {
    const a = uniform(m * k, 100 + m, -1, 1);
    const b = uniform(k * n, 200 + n, -1, 1);
    const { c, abs } = float64Product(a, b, m, k, n);
    const got = matmul.run({ a, b, m, k, n });
    expect(got).toBeInstanceOf(Float32Array);
    expect(got.length).toBe(m * n);
    const tolerance = matmulTolerance({ a, b, m, k, n });
    for (let e = 0; e < m * n; e++) {
      const bound = gamma(k) * abs[e]!;
      if (!(tolerance[e]! >= bound && tolerance[e]! <= bound * (1 + 1e-12) + 1e-30)) expect.fail(`matmulTolerance[${e}] = ${tolerance[e]}, γ_k·Σ|ab| = ${bound}`);
      if (Math.abs(got[e]! - c[e]!) > tolerance[e]!) expect.fail(`C[${e}] = ${got[e]}, exact ${c[e]}, tolerance ${tolerance[e]}`);
    }
  });

  it("multiplies small integer matrices exactly (2×3 by 3×2)", () => {
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([7, 8, 9, 10, 11, 12]);
    expect([...matmul.run({ a, b, m: 2, k: 3, n: 2 })]).toEqual([58, 64, 139, 154]);
  });

  it.each(SHAPES)("binds %i×%i×%i as [a, b], f32 m·n output, params [m, k, n], 16×16 tiles", (m, k, n) => {
    const a = uniform(m * k, 1);
    const b = uniform(k * n, 2);
    const binding = matmul.kernel!.bind({ a, b, m, k, n });
    expectDispatchable(matmul.kernel!.wgsl, binding);
    expect(binding.inputs).toHaveLength(2);
    expect(binding.inputs[0]).toBe(a);
    expect(binding.inputs[1]).toBe(b);
    expect({ ...binding, inputs: [] }).toEqual({ inputs: [], output: { type: "f32", length: m * n }, params: [m, k, n], workgroups: [Math.max(1, Math.ceil(n / 16)), Math.max(1, Math.ceil(m / 16)), 1] });
    expect(matmul.kernel!.wgsl).toContain("@compute @workgroup_size(16, 16)\nfn matmul(");
    const result = matmul.run({ a, b, m, k, n });
    expectSameElements(matmul.kernel!.read(asOutput(binding, result), { a, b, m, k, n }), result);
  });

  it("bind refuses more columns or rows than 65,535 workgroups of 16 cover", () => {
    const empty = new Float32Array(0);
    expect(() => matmul.kernel!.bind({ a: empty, b: empty, m: 1, k: 0, n: 65_535 * 16 + 1 })).toThrow(/simd\/matmul: m and n must be at most 1048560 on a GPU/);
    expect(matmul.kernel!.bind({ a: empty, b: empty, m: 1, k: 0, n: 65_535 * 16 }).workgroups).toEqual([65_535, 1, 1]);
  });

  it.each<[string, object, ErrorConstructor, RegExp]>([
    ["a negative m", { m: -1, k: 0, n: 0 }, RangeError, /simd\/matmul: m must be an integer in \[0, \d+\], got -1/],
    ["a fractional k", { m: 1, k: 1.5, n: 1 }, RangeError, /k must be an integer in/],
    ["a string n", { m: 1, k: 1, n: "1" }, TypeError, /n must be a number, got "1"/],
    ["a of the wrong length", { a: new Float32Array(5), m: 2, k: 3, n: 1 }, RangeError, /a must hold m\*k = 6 floats, got 5/],
    ["b of the wrong length", { b: new Float32Array(2), m: 2, k: 3, n: 1 }, RangeError, /b must hold k\*n = 3 floats, got 2/],
    ["b of the wrong type", { b: [1, 2, 3], m: 2, k: 3, n: 1 }, TypeError, /b must be a Float32Array, got an array/],
    ["a product too large to allocate", { a: new Float32Array(0), b: new Float32Array(0), m: 2 ** 16, k: 0, n: 2 ** 15 }, RangeError, /the product would hold m\*n = 2147483648 floats/],
    ["more multiply-adds than one call may do", { a: new Float32Array(4096 * 2049), b: new Float32Array(2049 * 4096), m: 4096, k: 2049, n: 4096 }, RangeError, /m\*k\*n = 34376515584 multiply-adds is more than one call may do \(34359738368/],
  ])("refuses %s", (_, override, type, message) => {
    const input = { a: new Float32Array(6), b: new Float32Array(3), ...override } as never;
    expect(() => matmul.run(input)).toThrow(type);
    expect(() => matmul.run(input)).toThrow(message);
    expect(() => matmul.kernel!.bind(input)).toThrow(message);
  });
});

describe("simd/scan", () => {
  // |run[i] − Σ_{j≤i} x_j| ≤ scanTolerance(xs)[i] = γ_{13 + floor(i/1024)}·Σ_{j≤i}|x_j| (+ a
  // subnormal allowance); the test checks the bound against its own reading of that formula.
  it.each([...SIZES, LARGE])("scans %i elements within scanTolerance of the exact prefix sums", (length) => {
    const xs = uniform(length, length + 11, -10, 10);
    const got = scan.run({ xs });
    expect(got).toBeInstanceOf(Float32Array);
    expect(got.length).toBe(length);
    const tolerance = scanTolerance(xs);
    let exact = 0;
    let compensation = 0;
    let abs = 0;
    for (let i = 0; i < length; i++) {
      // running Neumaier sum
      const x = xs[i]!;
      const t = exact + x;
      compensation += Math.abs(exact) >= Math.abs(x) ? exact - t + x : x - t + exact;
      exact = t;
      abs += Math.abs(x);
      const bound = gamma(13 + Math.floor(i / SCAN_CHUNK)) * abs;
      if (!(tolerance[i]! >= bound * (1 - 1e-12) && tolerance[i]! < bound * (1 + 1e-9) + 1e-30)) expect.fail(`scanTolerance[${i}] = ${tolerance[i]}, γ·Σ|x| = ${bound}`);
      if (Math.abs(got[i]! - (exact + compensation)) > tolerance[i]!) expect.fail(`out[${i}] = ${got[i]}, exact ${exact + compensation}, tolerance ${tolerance[i]}`);
    }
  });

  it("scans small integers exactly, across chunk boundaries", () => {
    const xs = Float32Array.from(uniform(5000, 12), (x) => Math.round(x * 100));
    const got = scan.run({ xs });
    let s = 0;
    for (let i = 0; i < xs.length; i++) {
      s += xs[i]!;
      if (got[i] !== s) expect.fail(`out[${i}] = ${got[i]}, want ${s}`);
    }
  });

  it.each(SIZES)("binds %i elements as one workgroup with params [length]", (length) => {
    const xs = uniform(length, 4);
    const binding = scan.kernel!.bind({ xs });
    expectDispatchable(scan.kernel!.wgsl, binding);
    expect(binding.inputs).toHaveLength(1);
    expect(binding.inputs[0]).toBe(xs);
    expect({ ...binding, inputs: [] }).toEqual({ inputs: [], output: { type: "f32", length }, params: [length], workgroups: [1, 1, 1] });
    const result = scan.run({ xs });
    expectSameElements(scan.kernel!.read(asOutput(binding, result), { xs }), result);
  });

  it("refuses input that is not { xs: Float32Array }", () => {
    expect(() => scan.run(new Float32Array(2) as never)).toThrow(/simd\/scan: input must be an object \{ xs: Float32Array \}, got a Float32Array of 2/);
    expect(() => scan.run({ xs: [1, 2] } as never)).toThrow(TypeError);
    expect(() => scan.kernel!.bind({ xs: "1,2" } as never)).toThrow(/xs must be a Float32Array, got "1,2"/);
  });
});

describe("simd/histogram", () => {
  /**
   * Counts by float64 arithmetic: bin floor((x − lo)/(hi − lo)·bins) for lo ≤ x < hi. The
   * kernel's f32 position fl(fl(x − lo)·fl(scale)) is the exact one times (1 + θ), |θ| ≤ 3u
   * (three roundings), so it is off by at most 3u·bins: only elements that close to a bin edge
   * (4u·bins, to be safe) can land in the neighbouring bin. `near[b]` counts those that could
   * move into or out of bin b.
   */
  function float64Counts(xs: Float32Array, bins: number, lo: number, hi: number) {
    const edge = Math.max(1e-9, 4 * 2 ** -24 * bins);
    const counts = new Array<number>(bins).fill(0);
    const near = new Array<number>(bins).fill(0);
    let inRange = 0;
    for (const x of xs) {
      if (!(x >= lo && x < hi)) continue;
      inRange++;
      const position = ((x - lo) / (hi - lo)) * bins;
      const bin = Math.min(bins - 1, Math.floor(position));
      counts[bin]!++;
      const fraction = position - Math.floor(position);
      if (fraction < edge || fraction > 1 - edge) {
        near[bin]!++;
        if (fraction < edge && bin > 0) near[bin - 1]!++;
        if (fraction > 1 - edge && bin + 1 < bins) near[bin + 1]!++;
      }
    }
    return { counts, near, inRange };
  }

  it.each([...SIZES, LARGE])("counts %i elements like float64 binning, up to elements on a bin edge", (length) => {
    for (const [bins, lo, hi] of [[1, -1, 1], [7, -0.5, 0.75], [256, -1, 1], [MAX_BINS, -1.2, 1.2]] as const) {
      const xs = uniform(length, length + bins, -1.1, 1.1);
      const got = histogram.run({ xs, bins, lo, hi });
      expect(got).toBeInstanceOf(Uint32Array);
      expect(got.length).toBe(bins);
      const { counts, near, inRange } = float64Counts(xs, bins, Math.fround(lo), Math.fround(hi));
      expect(got.reduce((s, c) => s + c, 0)).toBe(inRange); // every element in [lo, hi) counted once
      for (let b = 0; b < bins; b++) if (Math.abs(got[b]! - counts[b]!) > near[b]!) expect.fail(`bin ${b}: ${got[b]}, float64 says ${counts[b]} (± ${near[b]})`);
    }
  });

  it("counts lo, not hi, puts values just below hi in the last bin, and skips NaN and ±Infinity", () => {
    const below = Math.fround(1 - 2 ** -24);
    const xs = new Float32Array([0, 1, below, 0.5, -0, NaN, Infinity, -Infinity, 0.25, 0.2499999]);
    // bin 0: 0, -0, 0.2499999; bin 1: 0.25; bin 2: 0.5; bin 3: 1 - 2^-24. Not counted: 1, NaN, ±Infinity.
    expect([...histogram.run({ xs, bins: 4, lo: 0, hi: 1 })]).toEqual([3, 1, 1, 1]);
  });

  it("counts values on a grid of bin centres exactly", () => {
    const xs = Float32Array.from({ length: 10_000 }, (_, i) => -3 + ((i % 60) + 0.5) * 0.1);
    const got = histogram.run({ xs, bins: 60, lo: -3, hi: 3 });
    expect([...got]).toEqual(Array.from({ length: 60 }, (_, b) => (b < 10_000 % 60 ? 167 : 166)));
  });

  it.each(SIZES)("binds %i elements: u32 output of bins, params [length, bins, lo, hi, scale] as f32 bits", (length) => {
    const xs = uniform(length, 8);
    const binding = histogram.kernel!.bind({ xs, bins: 10, lo: -1, hi: 1 });
    expectDispatchable(histogram.kernel!.wgsl, binding);
    expect(binding.inputs).toHaveLength(1);
    expect(binding.inputs[0]).toBe(xs);
    expect({ ...binding, inputs: [] }).toEqual({
      inputs: [],
      output: { type: "u32", length: 10 },
      params: [length, 10, f32Bits(-1), f32Bits(1), f32Bits(5)],
      workgroups: [Math.min(1024, Math.max(1, Math.ceil(length / 4096))), 1, 1],
    });
    const result = histogram.run({ xs, bins: 10, lo: -1, hi: 1 });
    expect(histogram.kernel!.read(asOutput(binding, result), { xs, bins: 10, lo: -1, hi: 1 })).toEqual(result);
    expect(() => histogram.kernel!.read(new Float32Array(10), { xs, bins: 10, lo: -1, hi: 1 })).toThrow(/must be a Uint32Array/);
  });

  it.each<[string, object, ErrorConstructor, RegExp]>([
    ["zero bins", { bins: 0 }, RangeError, /simd\/histogram: bins must be an integer in \[1, 4096\], got 0/],
    ["too many bins", { bins: 4097 }, RangeError, /bins must be an integer in \[1, 4096\], got 4097/],
    ["fractional bins", { bins: 2.5 }, RangeError, /bins must be an integer/],
    ["lo = hi", { lo: 1, hi: 1 }, RangeError, /lo must be less than hi \(as f32 values\), got lo = 1, hi = 1/],
    ["lo and hi equal in f32", { lo: 1, hi: 1 + 1e-9 }, RangeError, /lo must be less than hi/],
    ["a NaN lo", { lo: NaN }, RangeError, /lo must be a finite number within f32 range, got NaN/],
    ["a missing hi", { hi: undefined }, TypeError, /hi must be a number, got undefined/],
    ["a range wider than f32", { lo: -3e38, hi: 3e38 }, RangeError, /hi - lo must be within f32 range/],
    ["a range too narrow for the bins", { lo: 0, hi: 1e-36, bins: 4096 }, RangeError, /is too small for 4096 bins/],
    ["xs of the wrong type", { xs: new Int32Array(3) }, TypeError, /xs must be a Float32Array/],
  ])("refuses %s", (_, override, type, message) => {
    const input = { xs: new Float32Array(3), bins: 4, lo: 0, hi: 1, ...override } as never;
    expect(() => histogram.run(input)).toThrow(type);
    expect(() => histogram.run(input)).toThrow(message);
    expect(() => histogram.kernel!.bind(input)).toThrow(message);
  });
});

describe("kernels: the stages together", () => {
  const registry = createRegistry(kernels);
  const stages = [map, reduce, matmul, scan, histogram];

  it("registers five simd stages with kernels, timeouts and cost models of the CPU reference", () => {
    expect([...registry.stages.keys()].sort()).toEqual(["simd/histogram@1", "simd/map@1", "simd/matmul@1", "simd/reduce@1", "simd/scan@1"]);
    expect([...registry.jobs.keys()]).toEqual(["simd/stats@1"]);
    for (const stage of stages) {
      expect(stage.caps).toEqual(["simd"]);
      expect(KNOWN_CAPS).toContain("simd");
      expect(stage.kernel!.wgsl).toContain(`fn ${stage.kernel!.entryPoint}(`);
      // WebGPU's default limit of 256 invocations per workgroup.
      const size = /@workgroup_size\(([^)]*)\)/.exec(stage.kernel!.wgsl)![1]!.split(",").reduce((p, s) => p * Number(s.trim()), 1);
      expect(size).toBeLessThanOrEqual(256);
      for (const n of [0, 1e3, 1e6, 1e8]) {
        expect(stage.cost.runtimeMs(n)).toBeGreaterThan(0);
        expect(stage.cost.outputBytes(n)).toBeGreaterThanOrEqual(0);
      }
      expect(stage.cost.runtimeMs(1e6)).toBeGreaterThan(stage.cost.runtimeMs(1e3));
      // The largest input a GPU binding takes runs well inside the timeout on the reference machine.
      if (stage !== matmul) expect(stage.cost.runtimeMs(4 * MAX_ELEMENTS), stage.ref).toBeLessThan(stage.timeoutMs / 10);
    }
    // matmul: the largest product one call may ask for (square, side ⌊∛2³⁵⌋ = 3250) fits its timeout.
    const side = Math.floor(Math.cbrt(MAX_MULTIPLY_ADDS));
    expect(matmul.cost.runtimeMs(encodedSize({ a: new Float32Array(side * side), b: new Float32Array(side * side), m: side, k: side, n: side }))).toBeLessThan(matmul.timeoutMs / 1.5);
  });


  it("simd/stats runs three reductions in one all(...) and handles an empty array", () => {
    const xs = uniform(10_000, 21, -5, 7);
    const result = runLocally(registry, "simd/stats", { xs });
    if (result.status !== "done") throw new Error(`simd/stats failed: ${result.error.message}`);
    const out = result.output as kernels.Stats;
    expect(result.calls).toBe(3);
    expect(out.count).toBe(10_000);
    expect(Math.abs(out.sum - exactSum(xs))).toBeLessThanOrEqual(sumTolerance(xs));
    expect(out.min).toBe(xs.reduce((m, x) => (x < m ? x : m), Infinity));
    expect(out.max).toBe(xs.reduce((m, x) => (x > m ? x : m), -Infinity));
    expect(out.mean).toBe(out.sum / 10_000);
    expect(runLocally(registry, "simd/stats", { xs: new Float32Array(0) })).toEqual({
      status: "done",
      output: { count: 0, sum: 0, min: Infinity, max: -Infinity, mean: null },
      calls: 3,
    });
  });

  it("passes the purity checker (run, cost, bind and read of every stage)", () => {
    const dir = path.resolve(import.meta.dirname, "../../kernels");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f).split(path.sep).join("/"));
    const result = checkFiles(files, { readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined) });
    expect(result.diagnostics).toEqual([]);
  });
});
