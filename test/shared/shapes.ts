/**
 * Job shapes the tests and `npm run bench:jobs` run against a deployment, and small enough to
 * read as examples of each feature:
 *
 *   shapes/chain     three stages one after another, each a small computation on 1,000 numbers
 *   shapes/fanout    eight such stages at once with all(...), then a sum in the job
 *   shapes/nested    a job that runs shapes/chain as a sub-job, twice
 *   shapes/fails     a stage that throws; the job catches it or lets it fail the job
 *   shapes/spin      one stage declared at 50 ms, so the commander places it on the stage
 *                    Worker or a runner, never inline
 *   shapes/recurse   calls itself with `depth - 1`; with `loop: true` it calls itself with the
 *                    same input, a wait-for cycle the commander must refuse at run time
 *   shapes/environment  one stage that reports the time zone and default locale it runs under
 *                    (impure on purpose: it shows each backend runs stages in UTC and en-US)
 *   shapes/mutate    one stage that sorts its input in place, a mutation the freeze mode
 *                    (core/sdk/run-stage.ts) turns into an InputMutationError
 */
import { z } from "zod";
import { type Step, all, defineJob, defineStage } from "paxflow";

export type StatsInput = { readonly seed: number; readonly n: number };
export type StatsOutput = { readonly seed: number; readonly mean: number; readonly max: number };

/** A 32-bit linear congruential generator: the numbers are a pure function of the seed. */
const nextSeed = (seed: number): number => (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;

/** Draws `n` numbers from `seed` and summarises them; returns the generator's next seed. */
export const stats = defineStage({
  name: "shapes/stats",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 2_000,
  // About 4 ns per number on the reference machine; the output is three small numbers.
  cost: { runtimeMs: () => 0.004, outputBytes: () => 40 },
  run({ seed, n }: StatsInput): StatsOutput {
    if (!(Number.isInteger(n) && n >= 0 && n <= 1_000_000)) throw new RangeError(`n must be an integer in [0, 1e6], got ${n}`);
    let s = seed >>> 0;
    let sum = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      s = nextSeed(s);
      const x = s / 0x1_0000_0000;
      sum += x;
      if (x > max) max = x;
    }
    return { seed: s, mean: n === 0 ? 0 : sum / n, max };
  },
});

export type ChainInput = { readonly seed: number };

/** Any Standard Schema works here (zod, valibot, arktype): the API refuses other inputs with a 400 naming the field. */
const chainInput = z.object({ seed: z.number().int().min(0).max(0xffff_ffff) }).strict();

export const chain = defineJob({
  name: "shapes/chain",
  input: chainInput,
  *run({ seed }: ChainInput): Step<StatsOutput[]> {
    const a = yield* stats({ seed, n: 1_000 });
    const b = yield* stats({ seed: a.seed, n: 1_000 });
    const c = yield* stats({ seed: b.seed, n: 1_000 });
    return [a, b, c];
  },
});

export const fanout = defineJob({
  name: "shapes/fanout",
  input: chainInput,
  *run({ seed }: ChainInput): Step<{ readonly mean: number; readonly max: number }> {
    const seeds = Array.from({ length: 8 }, (_, i) => (seed + i) >>> 0);
    const parts = yield* all(seeds.map((s) => stats({ seed: s, n: 1_000 })));
    return { mean: parts.reduce((t, p) => t + p.mean, 0) / parts.length, max: Math.max(...parts.map((p) => p.max)) };
  },
});

export const nested = defineJob({
  name: "shapes/nested",
  *run({ seed }: ChainInput): Step<number> {
    const first = yield* chain({ seed });
    const second = yield* chain({ seed: first[2]!.seed });
    return second[2]!.mean;
  },
});

export type FailsInput = { readonly catchIt: boolean };

export const explode = defineStage({
  name: "shapes/explode",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 1_000,
  cost: { runtimeMs: () => 0.001, outputBytes: () => 1 },
  run(input: { readonly why: string }): null {
    throw new RangeError(`explode: ${input.why}`);
  },
});

export const fails = defineJob({
  name: "shapes/fails",
  *run({ catchIt }: FailsInput): Step<string> {
    try {
      yield* explode({ why: "on purpose" });
      return "unreachable";
    } catch (error) {
      if (!catchIt) throw error;
      return `caught: ${(error as Error).message}`;
    }
  },
});

export type SpinInput = { readonly iterations: number; readonly salt: number };

/** Pure busy work: a hash chain of `iterations` steps. */
export const spin = defineStage({
  name: "shapes/spin",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  // Declared long enough that the commander never runs it inline (the input size says nothing here).
  cost: { runtimeMs: () => 50, outputBytes: () => 9 },
  run({ iterations, salt }: SpinInput): number {
    if (!(Number.isInteger(iterations) && iterations >= 0 && iterations <= 1e9)) throw new RangeError(`iterations must be an integer in [0, 1e9]`);
    let h = salt >>> 0;
    for (let i = 0; i < iterations; i++) h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    return h;
  },
});

export const spinJob = defineJob({
  name: "shapes/spin",
  *run(input: SpinInput): Step<number> {
    return yield* spin(input);
  },
});

export type RecurseInput = { readonly depth: number; readonly loop: boolean };

export const recurse = defineJob({
  name: "shapes/recurse",
  *run(input: RecurseInput): Step<number> {
    if (input.depth <= 0) return 0;
    const below = yield* recurse(input.loop ? input : { depth: input.depth - 1, loop: false });
    return below + 1;
  },
});

/** What shapes/environment reports: the same on every backend (runners/stage-environment.ts). */
export type StageEnvironment = {
  readonly hours: number;
  readonly offset: number;
  readonly number: string;
  readonly date: string;
  readonly locale: string;
  readonly timeZone: string;
};

export const environment = defineStage({
  name: "shapes/environment",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  // Declared long, like shapes/spin, so it runs on the stage Worker or a runner, never inline.
  cost: { runtimeMs: () => 50, outputBytes: () => 120 },
  run(): StageEnvironment {
    const { locale, timeZone } = Intl.DateTimeFormat().resolvedOptions();
    return {
      hours: new Date(0).getHours(),
      offset: new Date(0).getTimezoneOffset(),
      number: (1234.5).toLocaleString(),
      date: new Date(0).toLocaleString(),
      locale,
      timeZone,
    };
  },
});

export const environmentJob = defineJob({
  name: "shapes/environment",
  *run(): Step<StageEnvironment> {
    return yield* environment(null);
  },
});

export type MutateInput = { readonly xs: number[] };

export const mutate = defineStage({
  name: "shapes/mutate",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  cost: { runtimeMs: () => 50, outputBytes: () => 80 },
  run(input: MutateInput): number[] {
    return input.xs.sort((a, b) => a - b);
  },
});

export const mutateJob = defineJob({
  name: "shapes/mutate",
  *run(input: MutateInput): Step<number[]> {
    return yield* mutate(input);
  },
});
