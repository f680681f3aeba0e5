/**
 * The job-plane simulation's corpus: a few small jobs of the shapes the plane must get right (a
 * chain, a fan-out through all(), a sub-job, a call that fails and is caught). Stages are
 * cheap arithmetic, so a seed costs little; their declared costs send most calls to runners
 * and the stage Worker (where the faults are), a few inline. runLocally gives each job's
 * expected output.
 */
import type { Value } from "../../core/codec.ts";
import { all, defineJob } from "../../core/sdk/job.ts";
import { createRegistry } from "../../core/sdk/registry.ts";
import { defineStage } from "../../core/sdk/stage.ts";
import type { Random } from "../../core/sim/random.ts";

/** Virtual ms a runner call may take before its deadline: short, so timeouts happen within a seed. */
export const STAGE_TIMEOUT_MS = 150;

/** Declared 20 ms: over the commander's inline limit, so it goes to a runner or the Worker. */
export const step = defineStage({
  name: "sim/step",
  version: 1,
  caps: ["cpu"],
  timeoutMs: STAGE_TIMEOUT_MS,
  cost: { runtimeMs: () => 20, outputBytes: () => 8 },
  run: (x: number) => (x * 31 + 7) % 1_000_003,
});

export const square = defineStage({
  name: "sim/square",
  version: 1,
  caps: ["cpu"],
  timeoutMs: STAGE_TIMEOUT_MS,
  cost: { runtimeMs: () => 20, outputBytes: () => 8 },
  run: (x: number) => (x * x) % 1_000_003,
});

/** Declared 0.1 ms: the commander runs it inline. */
export const sum = defineStage({
  name: "sim/sum",
  version: 1,
  caps: ["cpu"],
  timeoutMs: STAGE_TIMEOUT_MS,
  cost: { runtimeMs: () => 0.1, outputBytes: () => 8 },
  run: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
});

/** Fails for odd inputs: a stage error is a result like any other, which the job catches. */
export const even = defineStage({
  name: "sim/even",
  version: 1,
  caps: ["cpu"],
  timeoutMs: STAGE_TIMEOUT_MS,
  cost: { runtimeMs: () => 20, outputBytes: () => 8 },
  run: (x: number) => {
    if (x % 2 !== 0) throw new RangeError(`${x} is odd`);
    return x / 2;
  },
});

export const chain = defineJob({
  name: "sim/chain",
  *run(input: { x: number; n: number }) {
    let x = input.x;
    for (let i = 0; i < input.n; i++) x = yield* step(x);
    return x;
  },
});

export const fanOut = defineJob({
  name: "sim/fan-out",
  *run(input: { xs: number[] }) {
    const squares = yield* all(input.xs.map((x) => square(x)));
    return yield* sum(squares);
  },
});

export const nested = defineJob({
  name: "sim/nested",
  *run(input: { x: number }) {
    const a = yield* chain({ x: input.x, n: 1 });
    let b: number | string;
    try {
      b = yield* even(a);
    } catch (error) {
      b = (error as Error).message;
    }
    const c = yield* fanOut({ xs: [a, input.x] });
    return [a, b, c];
  },
});

export const corpus = createRegistry({ step, square, sum, even, chain, fanOut, nested });

/** A random job of the corpus and its input. */
export function randomJob(rng: Random): { name: string; input: Value } {
  switch (rng.int(3)) {
    case 0:
      return { name: chain.name, input: { x: rng.int(1_000), n: 1 + rng.int(2) } };
    case 1:
      return { name: fanOut.name, input: { xs: Array.from({ length: 2 + rng.int(2) }, () => rng.int(1_000)) } };
    default:
      return { name: nested.name, input: { x: rng.int(1_000) } };
  }
}
