/** Percentile summaries for benchmark samples (nearest-rank). */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError("no samples to summarize");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { n: sorted.length, p50: rank(50), p99: rank(99), mean: sorted.reduce((s, x) => s + x, 0) / sorted.length };
}

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));
