// expect: none
// Helpers in the same file, recursion, destructuring, spread, closures over constants.
import { defineStage } from "../../core/index.ts";

const SCALE = 3;
const OFFSETS = [1, 2, 3] as const;
const LIMITS = { lo: 0, hi: 100 };

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

const clamp = (x: number) => Math.min(LIMITS.hi, Math.max(LIMITS.lo, x));
const scaled = (x: number) => clamp(x * SCALE);

function even(n: number): boolean {
  return n === 0 ? true : odd(n - 1);
}
function odd(n: number): boolean {
  return n === 0 ? false : even(n - 1);
}

export const fancy = defineStage({
  name: "fancy", version: 2, caps: ["cpu"], timeoutMs: 5_000,
  cost: { runtimeMs: (n) => n / 1000, outputBytes: (n) => 2 * n },
  run: ({ values, extra }: { values: number[]; extra: number[] }) => {
    const [first = 0, ...rest] = values;
    const all = [...rest, ...extra, ...OFFSETS];
    const { lo, hi } = LIMITS;
    const byParity = all.map((v) => ({ v: scaled(v), even: even(Math.abs(Math.trunc(v)) % 20) }));
    return { first: fib(Math.min(first, 20)), lo, hi, byParity, hyp: Math.hypot(...all), s: String(first).padStart(4, "0") };
  },
});
