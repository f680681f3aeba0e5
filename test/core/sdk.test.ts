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
    expectTypeOf(step).toEqualTypeOf<import("paxflow").CallStep<number[]>>();
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
    expect(run(log)).toEqual({ status: "waiting", pending: [{ seq: 3, call: { kind: "job", target: "double@1", input: 14 }, recorded: false }] });
    log.push({ call: { kind: "job", target: "double@1", input: 14 }, outcome: { ok: true, value: 28 } });
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
    expect(result.status === "failed" && result.error.message).toMatch(/stopped after 1 calls, but the log records 2/);
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

describe("replay hands each job its own copies", () => {
  const range = defineStage({ name: "range", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: (n: number) => Array.from({ length: n }, (_, i) => i) });
  const id = defineStage({ name: "id", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: (x: number) => x });
  const mutating = defineJob({
    name: "mutating",
    *run(n: number) {
      const xs = yield* range(n);
      xs.push(99); // local mutation of a result: pure, and must not leak into the log
      const a = yield* id(1);
      const b = yield* id(2);
      return xs.length + a + b;
    },
  });
  const reg = createRegistry({ range, id, mutating });

  it("so a job that mutates a result sees the recorded value on every replay", () => {
    expect(runLocally(reg, "mutating", 3)).toMatchObject({ status: "done", output: 7 });
  });

  it("and the log keeps what was recorded", () => {
    const log: RecordedCall[] = [{ call: { kind: "stage", target: "range@1", input: 2 }, outcome: { ok: true, value: [0, 1] } }];
    replay(mutating, 2, log);
    replay(mutating, 2, log);
    expect(log[0]!.outcome).toEqual({ ok: true, value: [0, 1] });
  });
});

describe("all()", () => {
  function* twoCalls(x: number) {
    const a = yield* square([x]);
    return yield* sum(a);
  }

  it("refuses a helper generator, which would lose all but its first call", () => {
    // @ts-expect-error the type system refuses it too: a helper is not a call
    const refusedByTypes = () => all(twoCalls(1), sum([1]));
    expect(typeof refusedByTypes).toBe("function");
    const job = defineJob({ name: "helper-in-all", *run(x: number) { const [a] = yield* all(twoCalls(x) as never, sum([x])); return a as number; } });
    const result = replay(job, 2, []);
    expect(result).toMatchObject({ status: "failed", error: { name: "TypeError", message: expect.stringMatching(/argument 0 is not a stage or job call; all\(\) runs calls, not helper generators/) } });
  });

  it("refuses the same call object twice, accepts a tuple array, and returns [] for no calls", () => {
    const twice = defineJob({ name: "twice", *run(x: number) { const s = sum([x]); return yield* all(s, s); } });
    expect(replay(twice, 1, [])).toMatchObject({ status: "failed", error: { message: expect.stringMatching(/argument 1 is a call object already passed/) } });
    const tuple = defineJob({
      name: "tuple",
      *run(x: number) {
        const [a, b] = yield* all([square([x]), sum([x, x])]);
        expectTypeOf(a).toEqualTypeOf<number[]>();
        expectTypeOf(b).toEqualTypeOf<number>();
        const none = yield* all([]);
        return a[0]! + b + none.length;
      },
    });
    expect(runLocally(createRegistry({ square, sum, tuple }), "tuple", 3)).toMatchObject({ status: "done", output: 15 });
  });

  it("resumes with the first failure in argument order when several calls fail", () => {
    const log: RecordedCall[] = [
      { call: { kind: "stage", target: "sum@1", input: [1] }, outcome: { ok: true, value: 1 } },
      { call: { kind: "stage", target: "fail@2", input: "first" }, outcome: { ok: false, error: { name: "RangeError", message: "first" } } },
      { call: { kind: "stage", target: "fail@2", input: "second" }, outcome: { ok: false, error: { name: "TypeError", message: "second" } } },
    ];
    const job = defineJob({ name: "several", *run(_: null) { return yield* all(sum([1]), fail("first"), fail("second")); } });
    expect(replay(job, null, log)).toMatchObject({ status: "failed", error: { message: "fail@2 failed: RangeError: first" } });
  });
});

describe("nondeterminism is not a result", () => {
  it("is reported when changed code throws before reaching calls the log recorded", () => {
    const v2 = defineJob({ name: "double", *run(_: number): Generator<never, number, unknown> { throw new Error("new validation"); } });
    const log: RecordedCall[] = [{ call: { kind: "stage", target: "square@1", input: [2] }, outcome: { ok: true, value: [4] } }];
    expect(replay(v2, 2, log)).toMatchObject({ status: "failed", error: { kind: "nondeterministic" } });
  });

  it("fails the whole tree, even if a parent would catch it", () => {
    const unknown = defineStage({ name: "not-deployed", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: (x: number) => x });
    const catching = defineJob({
      name: "catching",
      *run(x: number) {
        try {
          return yield* unknown(x);
        } catch {
          return -1;
        }
      },
    });
    expect(runLocally(createRegistry({ catching }), "catching", 1)).toMatchObject({ status: "failed", error: { kind: "unknown", name: "UnknownStage" } });
  });

  it("sends job outputs through the codec, as a distributed run would", () => {
    const dated = defineJob({ name: "dated", *run(_: null) { return { when: new Date(0) } as never; } });
    expect(runLocally(createRegistry({ dated }), "dated", null)).toMatchObject({ status: "failed", error: { name: "CodecError", message: expect.stringMatching(/returned value.when is a Date/) } });
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
    expect(result.status === "failed" && result.error.message).toMatch(/sub-job waits on itself: recursive@1 -> recursive@1/);
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
    expect(() => encode({ f: () => 1 })).toThrow(/value.f is a function, not a paxflow value/);
  });

  it("refuses what is not a paxflow value, naming where it is", () => {
    expect(() => encode({ when: new Date(0) })).toThrow(/value.when is a Date; use plain objects/);
    expect(() => encode([1, new Map()])).toThrow(/value\[1\] is a Map/);
    expect(() => encode(JSON.parse('{"__proto__": 1}'))).toThrow(/has the key "__proto__"/);
    expect(() => encode([undefined])).toThrow(/value\[0\] is undefined/);
    expect(() => encode(new Array(2))).toThrow(/value\[0\] is a hole in a sparse array/);
    expect(() => encode(Promise.resolve(1))).toThrow(/value is a Promise/);
    expect(decode(encode({ a: 1, b: undefined }))).toMatchObject({ a: 1 });
  });
});
