/**
 * The examples in examples/, run end to end with runLocally. Every expected answer is
 * computed here by a different route than the example takes (a literal, the way the test
 * data was built, float64 arithmetic, a recursive evaluator), never by calling the code
 * under test.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { type RecordedCall, KNOWN_CAPS, type Value, createRegistry, encodedSize, replay, runLocally } from "paxflow";
import * as dag from "../../examples/dag.ts";
import { registry as allExamples } from "../../examples/index.ts";
import * as monteCarlo from "../../examples/monte-carlo.ts";
import * as numeric from "../../examples/numeric-pipeline.ts";
import * as wordCount from "../../examples/word-count.ts";

/** The test's own PRNG for making data (an LCG, deliberately not the examples' mulberry32). */
function lcg(seed: number): () => number {
  let s = BigInt(seed);
  return () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
    return Number(s >> 11n) / 2 ** 53;
  };
}

const done = (result: ReturnType<typeof runLocally>) => {
  if (result.status !== "done") throw new Error(`job failed: ${result.error.name}: ${result.error.message}`);
  return result;
};

describe("examples/word-count", () => {
  const registry = createRegistry(wordCount);
  const count = (text: string, chunkChars: number) => runLocally(registry, "word-count", { text, chunkChars });

  it("counts a small text case-insensitively, ignoring punctuation, with sorted keys", () => {
    const { output } = done(count("The cat and the hat.\nThe END, the end! Don't stop: don't.", 8));
    expect(output).toEqual({ the: 4, cat: 1, and: 1, hat: 1, end: 2, "don't": 2, stop: 1 });
    expect(Object.keys(output as object)).toEqual(["and", "cat", "don't", "end", "hat", "stop", "the"]);
  });

  // A text built from known multiplicities: the expected table is how it was built.
  const vocabulary = ["the", "of", "paxflow", "constructor", "tostring", "hasownproperty", "café", "naïve", "42", "don't", "x"];
  const random = lcg(7);
  const expected: Record<string, number> = {};
  const tokens: string[] = [];
  for (const [i, word] of vocabulary.entries()) {
    expected[word] = 1 + ((i * 37) % 23);
    for (let k = 0; k < expected[word]!; k++) tokens.push(word);
  }
  for (let i = tokens.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
  }
  const separators = [" ", "  ", "\n", "\t", ", ", ". ", "; ", " -- ", "! ", "\n\n"];
  const text = tokens
    .map((w) => (random() < 0.3 ? w.toUpperCase() : random() < 0.5 ? w[0]!.toUpperCase() + w.slice(1) : w))
    .map((w) => w + separators[Math.floor(random() * separators.length)]!)
    .join("");

  it.each([1, 7, 64, 1_000_000])("gives the same table for any chunk size (chunkChars = %i)", (chunkChars) => {
    const result = done(count(text, chunkChars));
    expect(result.output).toEqual(expected);
    // k chunks: k tokenize calls and, in the pairwise tree, k - 1 merges.
    const chunks = wordCount.splitIntoChunks(text, chunkChars);
    expect(chunks.join("")).toBe(text);
    let end = 0;
    for (const chunk of chunks.slice(0, -1)) {
      end += chunk.length;
      expect(text.charAt(end)).toMatch(/\s/); // cut at whitespace: no word is split
    }
    expect(result.calls).toBe(2 * chunks.length - 1);
  });

  it("handles empty text, and fails a job with a bad chunk size", () => {
    expect(count("", 10)).toEqual({ status: "done", output: {}, calls: 0 });
    expect(count("  \n ", 1)).toEqual({ status: "done", output: {}, calls: 4 + 3 });
    expect(count("a b", 0)).toMatchObject({ status: "failed", error: { name: "RangeError", message: expect.stringMatching(/chunkChars must be a positive integer/) } });
  });

  /**
   * Text with natural-language statistics: 10,000 tokens drawn from a Zipf(1) distribution over
   * 20,000 made-up words, tallied as they are drawn (the expected table).
   */
  function zipfText(tokens: number): { text: string; tally: Map<string, number> } {
    const random = lcg(11);
    const words = Array.from({ length: 20_000 }, (_, i) => {
      const letters = Array.from({ length: 2 + Math.floor(random() * 6) }, () => String.fromCharCode(97 + Math.floor(random() * 26)));
      return letters.join("") + i.toString(36);
    });
    const cumulative: number[] = [];
    words.reduce((h, _, i) => (cumulative[i] = h + 1 / (i + 1)), 0);
    const tally = new Map<string, number>();
    const drawn: string[] = [];
    for (let t = 0; t < tokens; t++) {
      const u = random() * cumulative.at(-1)!;
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      drawn.push(words[lo]!);
      tally.set(words[lo]!, (tally.get(words[lo]!) ?? 0) + 1);
    }
    return { text: drawn.join(" "), tally };
  }

  it("counts a larger Zipf-distributed text, and its cost model predicts the table size within 3x", () => {
    const { text: zipf, tally } = zipfText(10_000);
    const result = done(count(zipf, 4_096));
    expect(result.output).toEqual(Object.fromEntries(tally));

    const n = encodedSize(zipf);
    const predicted = wordCount.countChunk.cost.outputBytes(n);
    const actual = encodedSize(wordCount.countChunk.run(zipf));
    expect(predicted / actual).toBeGreaterThan(1 / 3);
    expect(predicted / actual).toBeLessThan(3);
    for (const stage of [wordCount.countChunk, wordCount.mergeCounts]) {
      expect(stage.cost.runtimeMs(1e6)).toBeGreaterThan(stage.cost.runtimeMs(1e3));
      expect(stage.cost.outputBytes(1e6)).toBeGreaterThan(stage.cost.outputBytes(1e3));
    }
  });
});

describe("examples/numeric-pipeline", () => {
  const registry = createRegistry(numeric);
  const u = 2 ** -24; // unit roundoff of f32
  /** Higham's γ_k = k·u / (1 - k·u): the relative error bound of k rounded f32 operations in a row. */
  const gamma = (k: number) => (k * u) / (1 - k * u);

  function randomMatrix(n: number, seed: number): Float32Array {
    const random = lcg(seed);
    return Float32Array.from({ length: n * n }, () => 2 * random() - 1);
  }

  /** Naive float64 product of the same f32 inputs (exact to ~1e-16 relative), and Σ_k |a_ik·b_kj| per entry. */
  function float64Product(a: Float32Array, b: Float32Array, n: number) {
    const c = new Float64Array(n * n);
    const abs = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let t = 0;
        for (let k = 0; k < n; k++) {
          s += a[i * n + k]! * b[k * n + j]!;
          t += Math.abs(a[i * n + k]! * b[k * n + j]!);
        }
        c[i * n + j] = s;
        abs[i * n + j] = t;
      }
    }
    return { c, abs };
  }

  it("multiplies and sums a small integer case exactly", () => {
    const input = { a: new Float32Array([1, 2, 3, 4]), b: new Float32Array([5, 6, 7, 8]), n: 2 };
    expect(numeric.matmul.run(input)).toEqual(new Float32Array([19, 22, 43, 50]));
    expect(runLocally(registry, "numeric-pipeline", input)).toEqual({ status: "done", output: 134, calls: 2 });
    expect(runLocally(registry, "numeric-pipeline", { a: new Float32Array(0), b: new Float32Array(0), n: 0 })).toMatchObject({ status: "done", output: 0 });
    // The seeded variant makes its own matrices (JSON-submittable): same pipeline, same numbers.
    const a = numeric.seededMatrix(20, 3);
    expect(a.every((x) => x >= -1 && x < 1)).toBe(true);
    expect(numeric.seededMatrix(20, 3)).toEqual(a);
    const expected = numeric.sumReference(numeric.matmulReference({ a, b: numeric.seededMatrix(20, 4), n: 20 }));
    expect(runLocally(registry, "numeric-pipeline/random", { n: 20, seed: 3 })).toEqual({ status: "done", output: expected, calls: 2 });
  });

  // Tolerances are the classical a-priori bounds for f32 dot products and sums (Higham,
  // "Accuracy and Stability of Numerical Algorithms", §3.1 and §4.2): a dot product of length n
  // is off by at most γ_n · Σ|a_ik·b_kj|; a summation whose additions nest at most m deep is
  // off by at most γ_m · Σ|terms|. The sum kernel's depth is ceil(len/256) strided additions
  // plus log2(256) = 8 tree levels. The bounds depend on the data only, not on the code.
  it.each([1, 15, 16, 37, 64])("matches float64 within the f32 error bound for n = %i", (n) => {
    const a = randomMatrix(n, 100 + n);
    const b = randomMatrix(n, 200 + n);
    const { c, abs } = float64Product(a, b, n);

    const product = numeric.matmul.run({ a, b, n });
    expect(product).toBeInstanceOf(Float32Array);
    expect(product.length).toBe(n * n);
    for (let e = 0; e < n * n; e++) expect(Math.abs(product[e]! - c[e]!)).toBeLessThanOrEqual(gamma(n) * abs[e]!);

    const result = done(runLocally(registry, "numeric-pipeline", { a, b, n }));
    expect(result.calls).toBe(2);
    const exact = c.reduce((s, x) => s + x, 0);
    const sumAbsProducts = abs.reduce((s, x) => s + x, 0);
    const sumAbsC = c.reduce((s, x) => s + Math.abs(x), 0) + gamma(n) * sumAbsProducts; // bounds Σ|ĉ|
    const depth = Math.ceil((n * n) / numeric.SUM_THREADS) + Math.log2(numeric.SUM_THREADS);
    const tolerance = gamma(n) * sumAbsProducts + gamma(depth) * sumAbsC;
    expect(Math.abs((result.output as number) - exact)).toBeLessThanOrEqual(tolerance);
  });

  it("sums a long Float32Array within the f32 summation bound", () => {
    const random = lcg(5);
    const xs = Float32Array.from({ length: 10_000 }, () => 1000 * (random() - 0.3));
    const exact = xs.reduce((s, x) => s + x, 0); // float64 accumulation of the same f32 values
    const sumAbs = xs.reduce((s, x) => s + Math.abs(x), 0);
    const depth = Math.ceil(xs.length / numeric.SUM_THREADS) + Math.log2(numeric.SUM_THREADS);
    expect(Math.abs(numeric.sum.run(xs) - exact)).toBeLessThanOrEqual(gamma(depth) * sumAbs);
    expect(Math.fround(numeric.sum.run(xs))).toBe(numeric.sum.run(xs)); // an f32 value, like the kernel's
  });

  it("fails the job on matrices of the wrong size", () => {
    const result = runLocally(registry, "numeric-pipeline", { a: new Float32Array(4), b: new Float32Array(3), n: 2 });
    expect(result).toMatchObject({ status: "failed", error: { name: "CallError", message: expect.stringMatching(/matmul@1 failed: RangeError: a and b must hold n\*n = 4 floats, got 4 and 3/) } });
  });

  it("declares kernels whose bindings follow KernelBinding (inputs, output, params)", () => {
    const bindings = (wgsl: string) => [...wgsl.matchAll(/@group\(0\) @binding\((\d+)\) var<([^>]+)> (\w+)/g)].map((m) => [Number(m[1]), m[2], m[3]]);
    expect(bindings(numeric.MATMUL_WGSL)).toEqual([
      [0, "storage, read", "a"],
      [1, "storage, read", "b"],
      [2, "storage, read_write", "c"],
      [3, "uniform", "params"],
    ]);
    expect(bindings(numeric.SUM_WGSL)).toEqual([
      [0, "storage, read", "xs"],
      [1, "storage, read_write", "out"],
      [2, "uniform", "params"],
    ]);
    expect(numeric.MATMUL_WGSL).toContain(`@compute @workgroup_size(${numeric.TILE * numeric.TILE})\nfn ${numeric.matmul.kernel!.entryPoint}(`);
    expect(numeric.SUM_WGSL).toContain(`@compute @workgroup_size(${numeric.SUM_THREADS})\nfn ${numeric.sum.kernel!.entryPoint}(`);
    for (const stage of [numeric.matmul, numeric.sum]) expect(stage.caps).toEqual(["simd"]);

    // One workgroup per 16×16 tile of C; params [n, len(a), len(b)] as the WGSL Params struct says.
    const a = new Float32Array(37 * 37);
    const b = new Float32Array(37 * 37);
    const matmulBinding = numeric.matmul.kernel!.bind({ a, b, n: 37 });
    expect(matmulBinding).toEqual({ inputs: [a, b], output: { type: "f32", length: 37 * 37 }, params: [37, 37 * 37, 37 * 37], workgroups: [3, 3, 1] });
    expect(matmulBinding.inputs[0]).toBe(a);
    expect(numeric.matmul.kernel!.bind({ a: new Float32Array(0), b: new Float32Array(0), n: 0 }).workgroups).toEqual([1, 1, 1]);
    expect(() => numeric.matmul.kernel!.bind({ a, b: new Float32Array(3), n: 37 })).toThrow(RangeError);
    const xs = new Float32Array(10);
    expect(numeric.sum.kernel!.bind(xs)).toEqual({ inputs: [xs], output: { type: "f32", length: 1 }, params: [10], workgroups: [1, 1, 1] });

    // read: the output buffer back into the stage's result.
    const c = new Float32Array([1, 2, 3, 4]);
    expect(numeric.matmul.kernel!.read(c, { a: new Float32Array(4), b: new Float32Array(4), n: 2 })).toEqual(c);
    expect(() => numeric.matmul.kernel!.read(new Float32Array(3), { a: new Float32Array(4), b: new Float32Array(4), n: 2 })).toThrow(/n\*n = 4/);
    expect(numeric.sum.kernel!.read(new Float32Array([2.5]), xs)).toBe(2.5);
    expect(() => numeric.sum.kernel!.read(new Uint32Array([1]), xs)).toThrow(TypeError);
  });

  it("has cost models of the CPU reference: matmul grows as N³, sum linearly", () => {
    const bytes = (n: number) => encodedSize({ a: new Float32Array(n * n), b: new Float32Array(n * n), n });
    const t100 = numeric.matmul.cost.runtimeMs(bytes(100));
    const t200 = numeric.matmul.cost.runtimeMs(bytes(200));
    expect(t200 / t100).toBeGreaterThan(7);
    expect(t200 / t100).toBeLessThan(8.5);
    expect(numeric.matmul.cost.outputBytes(bytes(100))).toBeCloseTo(encodedSize(new Float32Array(100 * 100)), -2);
    const s1 = numeric.sum.cost.runtimeMs(encodedSize(new Float32Array(1e5)));
    const s2 = numeric.sum.cost.runtimeMs(encodedSize(new Float32Array(1e6)));
    expect(s2 / s1).toBeGreaterThan(9);
    expect(s2 / s1).toBeLessThan(10.5);
  });
});

describe("examples/monte-carlo", () => {
  const registry = createRegistry(monteCarlo);
  const estimate = (seed0: number, runs: number, samplesPerRun: number) => done(runLocally(registry, "monte-carlo/pi", { seed0, runs, samplesPerRun }));
  type Pi = { estimate: number; inside: number; samples: number };

  afterEach(() => {
    vi.restoreAllMocks();
  });

  const runs = 8;
  const samplesPerRun = 200_000;
  const total = runs * samplesPerRun;
  // inside ~ Binomial(N, p) with p = π/4, so the estimate 4·inside/N has standard error
  // 4·sqrt(p(1-p)/N) ≈ 0.0013 for N = 1.6M. Five standard errors: a sound generator lands
  // outside with probability ~6e-7; a broken one (biased, or correlated across seeds) does not
  // stay inside by luck.
  const p = Math.PI / 4;
  const tolerance = 5 * 4 * Math.sqrt((p * (1 - p)) / total);

  it("is deterministic, and within 5 standard errors of pi", () => {
    const random = vi.spyOn(Math, "random");
    const first = estimate(1, runs, samplesPerRun);
    const second = estimate(1, runs, samplesPerRun);
    expect(second).toEqual(first);
    expect(random).not.toHaveBeenCalled();
    expect(first.calls).toBe(runs);
    const out = first.output as Pi;
    expect(out.samples).toBe(total);
    expect(out.estimate).toBe((4 * out.inside) / total);
    expect(Math.abs(out.estimate - Math.PI)).toBeLessThan(tolerance);
  });

  it("gives a different but still reasonable estimate for another seed", () => {
    const a = estimate(1, runs, samplesPerRun).output as Pi;
    const b = estimate(1_000, runs, samplesPerRun).output as Pi;
    expect(b.inside).not.toBe(a.inside);
    expect(Math.abs(b.estimate - Math.PI)).toBeLessThan(tolerance);
  });

  it("combines per-seed counts, with seeds wrapping at 2^32", () => {
    const last = estimate(2 ** 32 - 1, 1, 1_000).output as Pi;
    const zero = estimate(0, 1, 1_000).output as Pi;
    const both = estimate(2 ** 32 - 1, 2, 1_000).output as Pi;
    expect(both).toEqual({ inside: last.inside + zero.inside, samples: 2_000, estimate: (4 * (last.inside + zero.inside)) / 2_000 });
  });

  it("fails a job that asks for too many samples or a bad seed", () => {
    expect(runLocally(registry, "monte-carlo/pi", { seed0: 0, runs: 1, samplesPerRun: monteCarlo.MAX_SAMPLES + 1 })).toMatchObject({
      status: "failed",
      error: { message: expect.stringMatching(/samples must be an integer in \[0, 50000000\]/) },
    });
    expect(runLocally(registry, "monte-carlo/pi", { seed0: -1, runs: 1, samplesPerRun: 1 })).toMatchObject({ status: "failed", error: { name: "RangeError" } });
  });
});

describe("examples/dag", () => {
  const registry = createRegistry(dag);
  type Task = dag.Task;
  const run = (tasks: Task[]) => runLocally(registry, "dag", { tasks });

  /** The test's own evaluator: plain recursion with memoization, no waves, no stages. */
  function evaluate(tasks: Task[]): Record<string, number> {
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const memo = new Map<string, number>();
    const value = (id: string): number => {
      if (memo.has(id)) return memo.get(id)!;
      const t = byId.get(id)!;
      const args = t.inputs.map(value);
      const v = t.op === "const" ? t.value! : t.op === "neg" ? -args[0]! : t.op === "add" ? args.reduce((x, y) => x + y) : args.reduce((x, y) => x * y);
      memo.set(id, v);
      return v;
    };
    return Object.fromEntries(tasks.map((t) => [t.id, value(t.id)]));
  }

  /** How many calls each all(...) wave issued, by stepping the job with replay(). */
  function waveSizes(tasks: Task[]): number[] {
    const log: RecordedCall[] = [];
    const sizes: number[] = [];
    for (;;) {
      const result = replay(dag.runDag, { tasks }, log);
      if (result.status !== "waiting") return sizes;
      sizes.push(result.pending.length);
      for (const { seq, call } of result.pending) log[seq] = { call, outcome: { ok: true, value: registry.stages.get(call.target)!.run(call.input as Value) } };
    }
  }

  const diamond: Task[] = [
    { id: "d", op: "add", inputs: ["b", "c"] },
    { id: "b", op: "neg", inputs: ["a"] },
    { id: "c", op: "mul", inputs: ["a", "a", "k"] },
    { id: "a", op: "const", value: 3, inputs: [] },
    { id: "k", op: "const", value: 2, inputs: [] },
  ];

  it("runs a diamond in three waves", () => {
    const result = done(run(diamond));
    expect(result.output).toEqual({ a: 3, k: 2, b: -3, c: 18, d: 15 });
    expect(result.output).toEqual(evaluate(diamond));
    expect(result.calls).toBe(diamond.length);
    expect(waveSizes(diamond)).toEqual([2, 2, 1]); // {a, k}, {b, c}, {d}
  });

  it("runs a chain one task per wave", () => {
    const chain: Task[] = [{ id: "x0", op: "const", value: 1.5, inputs: [] }];
    for (let i = 1; i <= 12; i++) chain.push(i % 3 === 0 ? { id: `x${i}`, op: "neg", inputs: [`x${i - 1}`] } : { id: `x${i}`, op: "add", inputs: [`x${i - 1}`, `x${i - 1}`] });
    chain.reverse(); // task order does not matter, only the edges
    const result = done(run(chain));
    expect(result.output).toEqual(evaluate(chain));
    expect((result.output as Record<string, number>).x12).toBe(1.5 * 2 ** 8); // 8 doublings, 4 negations
    expect(waveSizes(chain)).toEqual(Array(13).fill(1));
  });

  it("runs a wide layer in one wave", () => {
    const wide: Task[] = Array.from({ length: 40 }, (_, i) => ({ id: `c${i}`, op: "const" as const, value: i - 7, inputs: [] }));
    wide.push({ id: "total", op: "add", inputs: wide.map((t) => t.id) });
    wide.push({ id: "negs", op: "mul", inputs: ["c0", "c1", "c2"] });
    const result = done(run(wide));
    expect(result.output).toEqual(evaluate(wide));
    expect((result.output as Record<string, number>).total).toBe(40 * 19.5 - 7 * 40);
    expect((result.output as Record<string, number>).negs).toBe(-7 * -6 * -5);
    expect(waveSizes(wide)).toEqual([40, 2]);
  });

  it("fails a cyclic DAG with a message naming the cycle, the same way every time", () => {
    const cyclic: Task[] = [
      { id: "start", op: "const", value: 1, inputs: [] },
      { id: "a", op: "add", inputs: ["start", "c"] },
      { id: "b", op: "neg", inputs: ["a"] },
      { id: "c", op: "neg", inputs: ["b"] },
    ];
    const first = run(cyclic);
    expect(first).toEqual({ status: "failed", error: { kind: "error", name: "Error", message: "the tasks form a cycle: a -> c -> b -> a" }, calls: 0 });
    expect(run(cyclic)).toEqual(first);
    expect(run([{ id: "s", op: "neg", inputs: ["s"] }])).toMatchObject({ error: { message: "the tasks form a cycle: s -> s" } });
  });

  it.each<[string, Value[], RegExp]>([
    ["an unknown input", [{ id: "a", op: "neg", inputs: ["nope"] }], /task "a" depends on unknown task "nope"/],
    ["a duplicate id", [{ id: "a", op: "const", value: 1, inputs: [] }, { id: "a", op: "const", value: 2, inputs: [] }], /duplicate task id "a"/],
    ["a const without a value", [{ id: "a", op: "const", inputs: [] }], /task 0 \("a"\): a const task needs a numeric value/],
    ["a neg with two inputs", [{ id: "a", op: "const", value: 1, inputs: [] }, { id: "b", op: "neg", inputs: ["a", "a"] }], /neg takes exactly 1 input, got 2/],
    ["an unknown op", [{ id: "a", op: "div", inputs: [] }], /op must be one of add, mul, neg, const, got "div"/],
  ])("fails a DAG with %s before running anything", (_, tasks, message) => {
    const result = runLocally(registry, "dag", { tasks });
    expect(result).toMatchObject({ status: "failed", calls: 0 });
    expect(result.status === "failed" && result.error.message).toMatch(message);
  });
});

describe("examples/index", () => {
  it("registers every example job, and every stage declares caps, a timeout and a cost model", () => {
    expect([...allExamples.jobs.keys()].sort()).toEqual([
      "dag@1",
      "monte-carlo/pi@1",
      "numeric-pipeline/random@1",
      "numeric-pipeline@1",
      "payloads/roundtrip@1",
      "simd/stats@1",
      "word-count@1",
    ]);
    // word-count 2, numeric-pipeline 2, monte-carlo 1, dag 4, kernels 5, payloads 3 (the test shapes live in test/shared/shapes.ts)
    expect(allExamples.stages.size).toBe(2 + 2 + 1 + 4 + 5 + 3);
    for (const ref of ["simd/map@1", "simd/reduce@1", "simd/matmul@1", "simd/scan@1", "simd/histogram@1"]) expect(allExamples.stages.has(ref), ref).toBe(true);
    for (const [ref, stage] of allExamples.stages) {
      expect(ref).toMatch(/^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)*@\d+$/);
      expect(stage.caps.length).toBeGreaterThan(0);
      for (const cap of stage.caps) expect(KNOWN_CAPS).toContain(cap);
      expect(stage.timeoutMs).toBeGreaterThan(0);
      for (const n of [0, 10, 1e3, 1e6]) {
        const runtime = stage.cost.runtimeMs(n);
        const output = stage.cost.outputBytes(n);
        expect(Number.isFinite(runtime) && runtime > 0, `${ref} runtimeMs(${n})`).toBe(true);
        expect(Number.isFinite(output) && output >= 0, `${ref} outputBytes(${n})`).toBe(true);
        // A timeout below the expected runtime would fail calls the model says are normal.
        if (n <= 1e3) expect(runtime, `${ref} runtimeMs(${n}) vs timeout`).toBeLessThan(stage.timeoutMs);
      }
      expect(stage.kernel === undefined || stage.caps.includes("simd")).toBe(true);
    }
    expect(runLocally(allExamples, "word-count", { text: "b a b", chunkChars: 2 })).toMatchObject({ status: "done", output: { a: 1, b: 2 } });
  });

  it("payloads/roundtrip hands its large values on as Stored and sums the last one", () => {
    // 1,000 elements i % 1000, each plus one: 1 + 2 + ... + 1000.
    expect(runLocally(allExamples, "payloads/roundtrip", { bytes: 8_000 })).toMatchObject({ status: "done", output: 500_500, calls: 3 });
  });
});
