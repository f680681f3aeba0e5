/**
 * The run-time defences of core/sdk/run-stage.ts and runners/stage-environment.ts: the freeze
 * mode turns a stage's write to its input into InputMutationError, on every backend that runs in
 * this process (runLocally, the in-process plane, its inline calls), and the setting parses as
 * documented. The runners' time zone and locale: test/core/runner.test.ts ("cpu-runner (CLI)").
 */
import { runLocally, runOnPlane } from "paxflow/testing";
import { describe, expect, it } from "vitest";
import { createRegistry, defineJob, defineStage } from "../../core/index.ts";
import { FreezeInputsSettingError, InputMutationError, deepFreeze, freezeInputsFrom, runStage } from "../../core/sdk/run-stage.ts";
import { registry } from "../shared/registry.ts";

describe("deepFreeze", () => {
  it("freezes plain objects and arrays all the way down and leaves typed arrays writable", () => {
    const bytes = new Float32Array([1, 2]);
    const value = deepFreeze({ a: [1, { b: "x" }], c: { d: [[2]] }, bytes });
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a[1])).toBe(true);
    expect(Object.isFrozen(value.c.d[0])).toBe(true);
    // Documented: typed-array contents are not protected (Object.freeze throws on them).
    bytes[0] = 5;
    expect(value.bytes[0]).toBe(5);
  });

  it("leaves primitives and non-plain objects as they are", () => {
    expect(deepFreeze(3)).toBe(3);
    expect(deepFreeze(null)).toBe(null);
    const map = new Map([[1, 2]]);
    expect(Object.isFrozen(deepFreeze(map))).toBe(false);
  });
});

const sortsInPlace = defineStage({
  name: "t/sorts-in-place",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  // Slow enough that the plane sends it to a runner or the stage Worker, never inline.
  cost: { runtimeMs: () => 20, outputBytes: () => 8 },
  run: (input: { xs: number[] }): number[] => input.xs.sort((a, b) => a - b),
});
const setsField = defineStage({
  name: "t/sets-field",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  // Cheap enough to run inline in the commander.
  cost: { runtimeMs: () => 0.001, outputBytes: () => 8 },
  run: (input: { n: number }): number => {
    (input as { n: number }).n += 1;
    return input.n;
  },
});
const total = defineStage({
  name: "t/total",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  cost: { runtimeMs: () => 0.001, outputBytes: () => 8 },
  run: (input: { xs: number[] }): number => input.xs.reduce((a, b) => a + b, 0),
});
/** Changes its own object after an inline call with it: the freeze mode must not freeze the job's value. */
const growJob = defineJob({
  name: "t/grow",
  *run(n: number) {
    const xs = [n];
    const first = yield* total({ xs });
    xs.push(first);
    return yield* total({ xs });
  },
});
const sortJob = defineJob({ name: "t/sort", *run(input: { xs: number[] }) { return yield* sortsInPlace(input); } });
const bumpJob = defineJob({ name: "t/bump", *run(input: { n: number }) { return yield* setsField(input); } });
const mutating = createRegistry({ sortsInPlace, setsField, total, sortJob, bumpJob, growJob });

describe("runStage", () => {
  it("runs the stage unchanged with the freeze mode off", () => {
    const input = { xs: [3, 1, 2] };
    expect(runStage(sortsInPlace, input, { freezeInput: false })).toEqual([1, 2, 3]);
    expect(input.xs).toEqual([1, 2, 3]);
  });

  it("turns a write to the frozen input into InputMutationError naming the stage, and keeps other errors", () => {
    const input = { xs: [3, 1, 2] };
    let thrown: unknown;
    try {
      runStage(sortsInPlace, input, { freezeInput: true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputMutationError);
    expect(thrown).toMatchObject({ name: "InputMutationError", code: "input-mutated", stage: "t/sorts-in-place@1" });
    expect((thrown as Error).message).toMatch(/^stage "t\/sorts-in-place@1" changed its input/);
    expect((thrown as Error).cause).toBeInstanceOf(TypeError);
    expect(input.xs, "the input is as it was").toEqual([3, 1, 2]);
    const throws = { ref: "t/throws@1", run: (): number => { throw new TypeError("not a mutation"); } };
    expect(() => runStage(throws, null, { freezeInput: true })).toThrow(/^not a mutation$/);
  });
});

describe("PAXFLOW_FREEZE_INPUTS", () => {
  it('is on for "1", off for "0", empty or unset, and refuses anything else with its code and value', () => {
    expect(freezeInputsFrom("1")).toBe(true);
    expect(freezeInputsFrom(" 0 ")).toBe(false);
    expect(freezeInputsFrom("")).toBe(false);
    expect(freezeInputsFrom(undefined)).toBe(false);
    expect(() => freezeInputsFrom("yes")).toThrow(FreezeInputsSettingError);
    expect(() => freezeInputsFrom("yes")).toThrow(expect.objectContaining({ code: "invalid-setting", setting: "PAXFLOW_FREEZE_INPUTS", value: "yes" }));
  });
});

/** A stage's uncaught failure fails its job with CallError, whose message names the stage's error. */
const mutationFailure = (stage: string) => ({
  status: "failed",
  error: { name: "CallError", message: expect.stringContaining(`${stage} failed: InputMutationError: stage "${stage}" changed its input`) },
});

describe("a stage that changes its input, in the freeze mode", () => {
  it("fails the job with InputMutationError under runLocally", () => {
    expect(runLocally(mutating, "t/sort", { xs: [3, 1, 2] })).toMatchObject(mutationFailure("t/sorts-in-place@1"));
    expect(runLocally(registry, "shapes/mutate", { xs: [2, 1] })).toMatchObject(mutationFailure("shapes/mutate@1"));
  });

  it("fails the job with InputMutationError on the in-process plane, on a runner or the Worker and inline", async () => {
    const sorted = await runOnPlane(mutating, "t/sort", { xs: [3, 1, 2] });
    expect(sorted).toMatchObject(mutationFailure("t/sorts-in-place@1"));
    expect(sorted.calls[0]!.node).not.toBe("inline");
    const bumped = await runOnPlane(mutating, "t/bump", { n: 1 });
    expect(bumped).toMatchObject(mutationFailure("t/sets-field@1"));
    expect(bumped.calls[0]!.node).toBe("inline");
  });

  it("freezes a copy of an inline call's input, so the job may change its own object afterwards", async () => {
    const grown = await runOnPlane(mutating, "t/grow", 5);
    expect(grown).toMatchObject({ status: "done", output: 10 });
    expect(grown.calls.map((c) => c.node)).toEqual(["inline", "inline"]);
  });
});
