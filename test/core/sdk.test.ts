import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type Job,
  type RecordedCall,
  CallError,
  DefinitionError,
  all,
  createRegistry,
  decode,
  defineJob,
  defineStage,
  encode,
  encodedSize,
  replay,
  runLocally,
} from "paxflow";

const cost = { runtimeMs: (n: number) => 0.002 * n, outputBytes: (n: number) => n };

const square = defineStage({ name: "square", version: 1, caps: ["cpu"], timeoutMs: 2_000, cost, run: (xs: number[]) => xs.map((x) => x * x) });
const sum = defineStage({ name: "sum", version: 1, caps: ["cpu"], timeoutMs: 2_000, cost, run: (xs: number[]) => xs.reduce((a, b) => a + b, 0) });
const fail = defineStage({
  name: "fail",
  version: 2,
  caps: ["cpu"],
  timeoutMs: 100,
  cost,
  run: (why: string): number => {
    throw new RangeError(why);
  },
});

const double = defineJob({
  name: "double",
  *run(x: number) {
    const [y] = yield* square([Math.sqrt(2 * x)]);
    return Math.round(y!);
  },
});

const sumOfSquares = defineJob({
  name: "sum-of-squares",
  *run(xs: number[]) {
    const sq = yield* square(xs);
    const [a, b] = yield* all(sum(sq.slice(0, 2)), sum(sq.slice(2)));
    return yield* double(a + b);
  },
});

const recovering = defineJob({
  name: "recovering",
  *run(why: string) {
    try {
      return yield* fail(why);
    } catch (error) {
      return error instanceof CallError ? `caught ${error.failure.name}: ${error.failure.message}` : "wrong error";
    }
  },
});

const recursive: Job<number, number> = defineJob({
  name: "recursive",
  *run(n: number) {
    return yield* recursive(n);
  },
});

const registry = createRegistry({ square, sum, fail, double, sumOfSquares, recovering, recursive });

describe("stage and job SDK", () => {
  it("a stage call yields one typed call and returns what it is resumed with", () => {
    const step = square([1, 2]);
    expectTypeOf(step).toEqualTypeOf<Generator<import("paxflow").Effect, number[], unknown>>();
    expect(step.next().value).toEqual({ kind: "stage", target: "square@1", input: [1, 2] });
    expect(step.next([1, 4])).toEqual({ done: true, value: [1, 4] });
    expect(square.ref).toBe("square@1");
    expect(square.name).toBe("square");
  });

  it.each([
    [{ caps: ["tpu"] }, /unknown capability "tpu" \(known: cpu, simd, gpu, f16, subgroups\)/],
    [{ caps: [] }, /caps must list at least one capability/],
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ cost: { runtimeMs: () => 1 } }, /cost needs runtimeMs\(n\) and outputBytes\(n\)/],
    [{ version: 0 }, /version must be an integer >= 1/],
    [{ name: "Bad Name" }, /stage name must be lowercase words/],
    [{ kernel: { wgsl: "", entryPoint: "main", workgroupSize: 64, dispatch: () => [1, 1, 1] } }, /kernel needs the "simd" capability/],
  ])("rejects a bad stage definition %#", (override, message) => {
    const spec = { name: "s", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: (x: number) => x, ...override };
    expect(() => defineStage(spec as never)).toThrow(DefinitionError);
    expect(() => defineStage(spec as never)).toThrow(message);
  });

  it("rejects a job whose run is not a generator, and duplicate names in a registry", () => {
    expect(() => defineJob({ name: "j", run: ((x: number) => x) as never })).toThrow(/run must be a generator function/);
    const other = defineStage({ name: "square", version: 1, caps: ["cpu"], timeoutMs: 1, cost, run: (x: number) => x });
    expect(() => createRegistry({ square }, { other })).toThrow(/two different stages are named "square@1"/);
  });
});

describe("deterministic replay", () => {
  const run = (log: RecordedCall[]) => replay(sumOfSquares, [1, 2, 3], log);

  it("returns the ready calls, several at once for all(), then the result", () => {
    expect(run([])).toEqual({ status: "waiting", pending: [{ seq: 0, call: { kind: "stage", target: "square@1", input: [1, 2, 3] }, recorded: false }] });
    const log: RecordedCall[] = [{ call: { kind: "stage", target: "square@1", input: [1, 2, 3] }, outcome: { ok: true, value: [1, 4, 9] } }];
    const fanOut = run(log);
    expect(fanOut.status === "waiting" && fanOut.pending.map((p) => [p.seq, p.call.input])).toEqual([
      [1, [1, 4]],
      [2, [9]],
    ]);
    log.push({ call: { kind: "stage", target: "sum@1", input: [1, 4] }, outcome: { ok: true, value: 5 } });
    log.push({ call: { kind: "stage", target: "sum@1", input: [9] } }); // dispatched, no result yet
    const partial = run(log);
    expect(partial).toEqual({ status: "waiting", pending: [{ seq: 2, call: { kind: "stage", target: "sum@1", input: [9] }, recorded: true }] });
    log[2] = { ...log[2]!, outcome: { ok: true, value: 9 } };
    expect(run(log)).toEqual({ status: "waiting", pending: [{ seq: 3, call: { kind: "job", target: "double", input: 14 }, recorded: false }] });
    log.push({ call: { kind: "job", target: "double", input: 14 }, outcome: { ok: true, value: 28 } });
    expect(run(log)).toEqual({ status: "done", output: 28 });
  });

  it("fails a job that yields a different call than the log recorded", () => {
    const wrongInput = run([{ call: { kind: "stage", target: "square@1", input: [1, 2, 4] }, outcome: { ok: true, value: [] } }]);
    expect(wrongInput).toMatchObject({ status: "failed", error: { kind: "nondeterministic", name: "NondeterministicJobError" } });
    expect(wrongInput.status === "failed" && wrongInput.error.message).toMatch(/^nondeterministic job: call 0 of job "sum-of-squares" is stage square@1/);
    const wrongTarget = run([{ call: { kind: "stage", target: "square@2", input: [1, 2, 3] }, outcome: { ok: true, value: [] } }]);
    expect(wrongTarget).toMatchObject({ status: "failed", error: { kind: "nondeterministic" } });
  });

  it("fails a job that finishes with calls left over in the log", () => {
    const log: RecordedCall[] = [
      { call: { kind: "stage", target: "square@1", input: [2] }, outcome: { ok: true, value: [4] } },
      { call: { kind: "stage", target: "sum@1", input: [4] }, outcome: { ok: true, value: 4 } },
    ];
    const result = replay(double, 2, log);
    expect(result.status === "failed" && result.error.message).toMatch(/finished after 1 calls, but the log records 2/);
  });

  it("hands a stage failure to the job as a result it can catch, or fails the job with it", () => {
    const log: RecordedCall[] = [{ call: { kind: "stage", target: "fail@2", input: "no" }, outcome: { ok: false, error: { name: "RangeError", message: "no" } } }];
    expect(replay(recovering, "no", log)).toEqual({ status: "done", output: "caught RangeError: no" });
    const uncaught = defineJob({ name: "uncaught", *run(why: string) { return yield* fail(why); } });
    expect(replay(uncaught, "no", log)).toEqual({ status: "failed", error: { kind: "error", name: "CallError", message: "fail@2 failed: RangeError: no" } });
  });

  it("fails a job that yields something other than a call", () => {
    const bad = defineJob({ name: "bad", *run(x: number) { yield x as never; return x; } });
    expect(replay(bad, 1, [])).toMatchObject({ status: "failed", error: { kind: "error", name: "TypeError", message: expect.stringMatching(/yielded 1; jobs may only yield\* stage calls/) } });
  });
});

describe("running a job locally", () => {
  it("runs stages, fan-outs and sub-jobs to the result", () => {
    // Four calls of its own (square, two sums, the sub-job); the sub-job's square is its own.
    expect(runLocally(registry, "sum-of-squares", [1, 2, 3])).toEqual({ status: "done", output: 28, calls: 4 });
    expect(runLocally(registry, "recovering", "boom")).toMatchObject({ status: "done", output: "caught RangeError: boom" });
  });

  it("fails a sub-job that waits on itself instead of recursing forever", () => {
    const result = runLocally(registry, "recursive", 7);
    expect(result.status).toBe("failed");
    expect(result.status === "failed" && result.error.message).toMatch(/sub-job waits on itself: recursive -> recursive/);
  });
});

describe("binary codec", () => {
  it("round-trips typed arrays bit for bit, and measures encoded size", () => {
    const value = { f32: new Float32Array([1.5, Number.NaN, -0, 3.4e38]), i16: new Int16Array([-3, 7]), bytes: new Uint8Array([0, 255]), list: [1, "x", null, true] };
    const back = decode<typeof value>(encode(value));
    expect(back.f32).toBeInstanceOf(Float32Array);
    expect(new Uint8Array(back.f32.buffer, back.f32.byteOffset, back.f32.byteLength)).toEqual(new Uint8Array(value.f32.buffer));
    expect(back.i16).toEqual(value.i16);
    expect(back.bytes).toEqual(value.bytes);
    expect(back.list).toEqual(value.list);
    // 1,000 floats cost 4,000 bytes plus a small header: no detour through decimal text.
    expect(encodedSize(new Float32Array(1000))).toBeLessThan(4_010);
    expect(() => encode({ f: () => 1 })).toThrow(/value cannot be encoded/);
  });
});
