/**
 * A job whose stages pass a large value from one runner to the next (`npm run bench:payload`):
 *
 *   payloads/roundtrip   make a Float64Array of `bytes` bytes, add one to every element (a stage
 *                        that takes the whole value and returns one as large), then sum it
 *
 * The job never reads the large values: it takes them with `.stored(...)` and hands them on, so
 * the commander holds only their references (key, size, digest) while the bytes go from a runner
 * to R2 and from R2 to the next runner.
 */
import { type Step, defineJob, defineStage } from "paxflow";

export type RoundtripInput = { readonly bytes: number };

/** Largest value the job makes: 256 MiB, far beyond what the benchmark asks for. */
const MAX_BYTES = 256 * 1024 * 1024;

// Declared slow (about 2 ns a byte): placement sends them to a runner, never inline.
const perByte = (n: number) => 50 + 2e-6 * n;

export const make = defineStage({
  name: "payloads/make",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 120_000,
  cost: { runtimeMs: () => 50, outputBytes: () => 8 * 1024 * 1024 },
  run({ bytes }: RoundtripInput): Float64Array {
    if (!(Number.isInteger(bytes) && bytes >= 0 && bytes <= MAX_BYTES)) throw new RangeError(`bytes must be an integer in [0, ${MAX_BYTES}], got ${bytes}`);
    const xs = new Float64Array(Math.floor(bytes / 8));
    for (let i = 0; i < xs.length; i++) xs[i] = i % 1_000;
    return xs;
  },
});

export const addOne = defineStage({
  name: "payloads/add-one",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 120_000,
  cost: { runtimeMs: perByte, outputBytes: (n) => n },
  run: (xs: Float64Array): Float64Array => xs.map((x) => x + 1),
});

export const sum = defineStage({
  name: "payloads/sum",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 120_000,
  cost: { runtimeMs: perByte, outputBytes: () => 9 },
  run: (xs: Float64Array): number => xs.reduce((a, x) => a + x, 0),
});

export const roundtrip = defineJob({
  name: "payloads/roundtrip",
  *run(input: RoundtripInput): Step<number> {
    const made = yield* make.stored(input);
    const added = yield* addOne.stored(made);
    return yield* sum(added);
  },
});
