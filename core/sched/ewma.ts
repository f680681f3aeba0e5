/**
 * Exponentially weighted mean and variance of a stream (Finch 2009, "Incremental calculation of
 * weighted mean and variance"). The first sample sets the mean, so there is no start-up bias
 * towards zero; `initial` gives a prior mean for streams that should start somewhere (a rate
 * that starts at 0).
 */
export class Ewma {
  private m: number;
  private v = 0;
  private n = 0;

  /** `alpha` in (0, 1]: the weight of the newest sample (see `alphaForHalfLife`). */
  constructor(
    readonly alpha: number,
    private readonly initial?: number,
  ) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`EWMA alpha must be in (0, 1], got ${alpha}`);
    this.m = initial ?? 0;
  }

  update(x: number): this {
    if (!Number.isFinite(x)) return this;
    if (this.n === 0 && this.initial === undefined) {
      this.m = x;
    } else {
      const diff = x - this.m;
      const incr = this.alpha * diff;
      this.m += incr;
      this.v = (1 - this.alpha) * (this.v + diff * incr);
    }
    this.n++;
    return this;
  }

  /** The mean (the prior, or 0, before any sample). */
  get mean(): number {
    return this.m;
  }
  get variance(): number {
    return this.v;
  }
  get std(): number {
    return Math.sqrt(this.v);
  }
  /** Samples seen (not weighted). */
  get count(): number {
    return this.n;
  }
}

/** The alpha under which a sample's weight halves after `samples` newer samples. */
export const alphaForHalfLife = (samples: number): number => 1 - 2 ** (-1 / Math.max(1e-9, samples));

/**
 * A sum that decays with time (half-life in ms): "how much recently", for budgets such as the
 * speculative-work cap, without keeping a window of events.
 */
export class DecayingSum {
  private value = 0;
  private at: number | null = null;

  constructor(readonly halfLifeMs: number) {}

  add(x: number, now: number): void {
    this.value = this.get(now) + x;
    this.at = Math.max(this.at ?? now, now);
  }

  get(now: number): number {
    if (this.at === null || !Number.isFinite(this.halfLifeMs)) return this.value;
    return this.value * 2 ** (-Math.max(0, now - this.at) / this.halfLifeMs);
  }
}
