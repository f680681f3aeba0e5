/**
 * A fixed-bucket histogram, as Prometheus exposes one: counts of observations at most each
 * bucket's upper bound (cumulative when rendered), their sum and count.
 */
export interface HistogramSnapshot {
  /** Upper bounds, ascending; an implicit +Inf bucket holds everything. */
  readonly bounds: readonly number[];
  /** Observations in each bucket (not cumulative), one more than `bounds` (the +Inf bucket). */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** Commit latencies in ms: from a local round trip (~1 ms) to a stalled quorum (10 s). */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[] = LATENCY_BOUNDS_MS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = this.bounds.findIndex((b) => value <= b);
    if (i === -1) i = this.bounds.length;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: [...this.bounds], counts: [...this.counts], sum: this.sum, count: this.count };
  }
}
