/**
 * `paxflow/testing` as an app's tests use it (imported by the package's names): a job on the
 * in-process plane ends as runLocally says, its calls went through the plane's backends, and a
 * failure or a wrong name comes back as such.
 */
import { all, createRegistry, defineJob, defineStage } from "paxflow";
import { runLocally, runOnPlane } from "paxflow/testing";
import { describe, expect, it } from "vitest";

/** Declared slow enough that the plane sends it to a runner or the stage Worker, never inline. */
const square = defineStage({ name: "t/square", version: 1, caps: ["cpu"], timeoutMs: 5_000, cost: { runtimeMs: () => 20, outputBytes: () => 8 }, run: (x: number) => x * x });
const refuse = defineStage({
  name: "t/refuse",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  cost: { runtimeMs: () => 20, outputBytes: () => 8 },
  run: (x: number): number => {
    throw new RangeError(`no ${x}`);
  },
});
/** A cost model that reads its n as the input itself: NaN for every input. */
const misdeclared = defineStage({
  name: "t/misdeclared",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  cost: { runtimeMs: (n: number) => 0.001 * (n as unknown as string).length, outputBytes: () => 8 },
  run: (text: string) => text.length,
});
const sumOfSquares = defineJob({
  name: "t/sum-of-squares",
  *run(n: number) {
    const squares = yield* all(Array.from({ length: n }, (_, i) => square(i)));
    return squares.reduce((a, b) => a + b, 0);
  },
});
const fails = defineJob({
  name: "t/fails",
  *run(x: number) {
    return yield* refuse(x);
  },
});
const measures = defineJob({
  name: "t/measures",
  *run(text: string) {
    return yield* misdeclared(text);
  },
});
const registry = createRegistry({ square, refuse, misdeclared, sumOfSquares, fails, measures });

describe("paxflow/testing", () => {
  it("runs a job on the in-process plane to the answer runLocally gives, its calls on the plane's nodes", async () => {
    const local = runLocally(registry, "t/sum-of-squares", 12);
    expect(local).toMatchObject({ status: "done", output: 506 });
    const run = await runOnPlane(registry, "t/sum-of-squares", 12);
    expect(run).toMatchObject({ status: "done", output: 506 });
    expect(run.calls).toHaveLength(12);
    for (const call of run.calls) {
      expect(call.target).toBe("t/square@1");
      expect(["worker", "runner-1", "runner-2"]).toContain(call.node);
    }
  });

  it("returns a failed job with its error", async () => {
    const run = await runOnPlane(registry, "t/fails", 3, { runners: 0 });
    expect(run.status).toBe("failed");
    expect(run.status === "failed" && run.error).toMatchObject({ name: "CallError", message: "t/refuse@1 failed: RangeError: no 3" });
  });

  it("fails a job whose stage's cost model gives NaN, naming the stage and the figure (it used to wait for ever)", async () => {
    const run = await runOnPlane(registry, "t/measures", "abc");
    expect(run.status).toBe("failed");
    expect(run.status === "failed" && run.error).toMatchObject({ name: "CostModelError", message: expect.stringContaining("t/misdeclared@1's cost model: cost.runtimeMs(4) returned NaN") });
  });

  it("names the jobs it has when asked for another", async () => {
    await expect(runOnPlane(registry, "t/nope", 1)).rejects.toThrow(/no job named "t\/nope".*t\/sum-of-squares@1, t\/fails@1, t\/measures@1/);
  });
});
