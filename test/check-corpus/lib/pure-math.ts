// expect: none
// A checked helper module: nothing here is a stage or a job, so nothing here is reported on its own.
export const TAU = 2 * Math.PI;

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export const variance = (xs: readonly number[]): number => {
  const m = mean(xs);
  return mean(xs.map((x) => (x - m) ** 2));
};

export const helpers = {
  norm(xs: readonly number[]): number {
    return Math.sqrt(xs.reduce((a, x) => a + x * x, 0));
  },
  twice: (x: number) => x * 2,
};

// Impure, but never called from a stage or a job: not reported.
export function wallClock(): number {
  return Date.now();
}
