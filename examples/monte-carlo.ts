/**
 * Monte Carlo estimate of pi, with the randomness made pure.
 *
 * A stage may not call Math.random: it must return the same output for the same input, or a
 * replayed job would see different results. So the seed is part of the input, and the
 * generator is a pure function whose state lives in local variables. Re-running a call, on
 * any machine, draws exactly the same points.
 *
 * - `monte-carlo/sample` (stage): { seed, samples } -> { inside, samples }: how many of
 *   `samples` uniform points in the unit square fall inside the quarter circle x² + y² < 1.
 * - `monte-carlo/pi` (job): fans out one sample call per seed seed0, seed0+1, ...,
 *   seed0+runs-1 and combines the counts: pi ≈ 4 · inside / samples.
 */
import { type Step, all, defineJob, defineStage } from "paxflow";

export type SampleInput = { readonly seed: number; readonly samples: number };
export type SampleOutput = { readonly inside: number; readonly samples: number };
export type PiInput = { readonly seed0: number; readonly runs: number; readonly samplesPerRun: number };
export type PiOutput = { readonly estimate: number; readonly inside: number; readonly samples: number };

/** The most points one call may draw: keeps a call well inside its timeout. */
export const MAX_SAMPLES = 50_000_000;

const isUint32 = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= 0xffff_ffff;

/**
 * Scrambles a seed (the murmur3 finalizer), so that neighbouring seeds 7 and 8 start the
 * generator far apart instead of in nearly the same state.
 */
function mix32(seed: number): number {
  let h = seed >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32's state advances by this odd constant per draw: period 2^32. */
const MULBERRY_STEP = 0x6d2b_79f5;

/**
 * mulberry32's output for a state: a uniform double in [0, 1) with 32 random bits.
 * mulberry32 is a small 32-bit generator that passes PractRand to 32 GB, ample here.
 */
function mulberry32(state: number): number {
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

/**
 * Counts points inside the quarter circle. The generator's state is the local `state`,
 * advanced here in the loop (no closure over it): nothing outside this call is read or written.
 */
export function countInside(seed: number, samples: number): number {
  let state = mix32(seed);
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    state = (state + MULBERRY_STEP) | 0;
    const x = mulberry32(state);
    state = (state + MULBERRY_STEP) | 0;
    const y = mulberry32(state);
    if (x * x + y * y < 1) inside++;
  }
  return inside;
}

// Cost: the work depends on the *value* of `samples`, not on the size of the input (a few
// dozen bytes whatever it holds), so the model charges the worst case a call may ask for:
// MAX_SAMPLES points at about 12 ns each (two draws and a compare; measured in Node 20).
// The output is a two-field map of integers.
export const sample = defineStage({
  name: "monte-carlo/sample",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 10_000,
  cost: {
    runtimeMs: () => 0.05 + (MAX_SAMPLES * 12) / 1e6,
    outputBytes: () => 32,
  },
  run: ({ seed, samples }: SampleInput): SampleOutput => {
    if (!isUint32(seed)) throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    if (!(Number.isInteger(samples) && samples >= 0 && samples <= MAX_SAMPLES)) {
      throw new RangeError(`samples must be an integer in [0, ${MAX_SAMPLES}], got ${samples}`);
    }
    return { inside: countInside(seed, samples), samples };
  },
});

export const estimatePi = defineJob({
  name: "monte-carlo/pi",
  *run({ seed0, runs, samplesPerRun }: PiInput): Step<PiOutput> {
    if (!isUint32(seed0)) throw new RangeError(`seed0 must be an integer in [0, 2^32), got ${seed0}`);
    if (!(Number.isInteger(runs) && runs >= 1)) throw new RangeError(`runs must be a positive integer, got ${runs}`);
    // Seeds wrap around at 2^32, like the generator's arithmetic.
    const seeds = Array.from({ length: runs }, (_, i) => (seed0 + i) >>> 0);
    const results = yield* all(seeds.map((seed) => sample({ seed, samples: samplesPerRun })));
    const inside = results.reduce((total, r) => total + r.inside, 0);
    const samples = results.reduce((total, r) => total + r.samples, 0);
    return { estimate: samples === 0 ? 0 : (4 * inside) / samples, inside, samples };
  },
});
