/**
 * Load forecasting: how many calls the next interval will bring, and how many runners that takes.
 *
 * Dispatched calls are counted over fixed intervals R(t). An AR(2) model
 *
 *   R(t) = a + b·R(t-1) + c·R(t-2)
 *
 * is fitted online by recursive least squares with a forgetting factor (old intervals weigh
 * less, so the fit follows a changing workload). From the forecast and the learned mean service
 * time, an M/M/c queue (Erlang C) says how many slots keep the mean queueing delay under a
 * target, hence how many runners.
 */

/** Recursive least squares with exponential forgetting (Haykin, "Adaptive Filter Theory", ch. 10). */
export class RecursiveLeastSquares {
  readonly theta: number[];
  private p: number[][];
  private n = 0;

  /**
   * @param forgetting lambda in (0, 1]: a sample k steps old weighs lambda^k (1 = ordinary least squares).
   * @param initialCovariance P(0) = this times I: large means "know nothing" (the first samples decide).
   * @param maxTrace bound on trace(P): with forgetting and inputs that do not vary, P grows without
   *   limit in unexcited directions ("wind-up"); it is scaled back to this.
   */
  constructor(
    readonly dim: number,
    readonly forgetting = 0.98,
    initialCovariance = 1_000,
    private readonly maxTrace = 1e6,
  ) {
    this.theta = new Array<number>(dim).fill(0);
    this.p = Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => (i === j ? initialCovariance : 0)));
  }

  get updates(): number {
    return this.n;
  }

  predict(x: readonly number[]): number {
    let y = 0;
    for (let i = 0; i < this.dim; i++) y += this.theta[i]! * x[i]!;
    return y;
  }

  update(x: readonly number[], y: number): void {
    const d = this.dim;
    const px = new Array<number>(d).fill(0);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) px[i]! += this.p[i]![j]! * x[j]!;
    let denom = this.forgetting;
    for (let i = 0; i < d; i++) denom += x[i]! * px[i]!;
    const gain = px.map((v) => v / denom);
    const error = y - this.predict(x);
    for (let i = 0; i < d; i++) this.theta[i]! += gain[i]! * error;
    // P = (P - k (P x)^T) / lambda, kept symmetric against rounding.
    let trace = 0;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const v = (this.p[i]![j]! - gain[i]! * px[j]!) / this.forgetting;
        const w = (this.p[j]![i]! - gain[j]! * px[i]!) / this.forgetting;
        this.p[i]![j] = this.p[j]![i] = (v + w) / 2;
      }
      trace += this.p[i]![i]!;
    }
    if (trace > this.maxTrace) for (const row of this.p) for (let j = 0; j < d; j++) row[j]! *= this.maxTrace / trace;
    this.n++;
  }
}

export interface LoadForecastOptions {
  /** Length of a counting interval. Default 1000 ms. */
  readonly intervalMs?: number;
  /** RLS forgetting factor per interval. Default 0.98 (a memory of about 50 intervals). */
  readonly forgetting?: number;
  /** Fitted intervals before the AR(2) forecast replaces "same as the last interval". Default 8. */
  readonly minUpdates?: number;
  /** Empty intervals fed to the fit after a silence, at most (beyond that they teach nothing new). Default 64. */
  readonly maxIdleIntervals?: number;
}

export interface ArForecast {
  readonly next: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly intervalMs: number;
  /** R(t-1), R(t-2): the last two closed intervals (0 before they exist). */
  readonly recent: readonly [number, number];
}

export class LoadForecaster {
  private readonly o: Required<LoadForecastOptions>;
  private readonly rls: RecursiveLeastSquares;
  private current: number | null = null;
  private count = 0;
  private lag1: number | null = null;
  private lag2: number | null = null;

  constructor(options: LoadForecastOptions = {}) {
    this.o = { intervalMs: 1_000, forgetting: 0.98, minUpdates: 8, maxIdleIntervals: 64, ...options };
    this.rls = new RecursiveLeastSquares(3, this.o.forgetting);
  }

  get intervalMs(): number {
    return this.o.intervalMs;
  }

  /** One dispatched call at `at` (a call older than the interval in progress counts in it). */
  record(at: number): void {
    this.advance(at);
    this.count++;
  }

  /** Closes every interval that ended by `now`. */
  advance(now: number): void {
    const k = Math.floor(now / this.o.intervalMs);
    if (this.current === null) {
      this.current = k;
      return;
    }
    let fed = 0;
    while (this.current < k) {
      if (fed >= this.o.maxIdleIntervals) {
        this.current = k;
        break;
      }
      this.close();
      this.current++;
      fed++;
    }
  }

  private close(): void {
    const y = this.count;
    if (this.lag1 !== null && this.lag2 !== null) this.rls.update([1, this.lag1, this.lag2], y);
    this.lag2 = this.lag1;
    this.lag1 = y;
    this.count = 0;
  }

  /** The forecast for the interval in progress at `now` (the one after the last closed). */
  forecast(now: number): ArForecast {
    this.advance(now);
    const r1 = this.lag1 ?? 0;
    const r2 = this.lag2 ?? 0;
    if (this.rls.updates < this.o.minUpdates) return { next: r1, a: r1, b: 0, c: 0, intervalMs: this.o.intervalMs, recent: [r1, r2] };
    const [a, b, c] = this.rls.theta as [number, number, number];
    return { next: Math.max(0, a + b * r1 + c * r2), a, b, c, intervalMs: this.o.intervalMs, recent: [r1, r2] };
  }
}

/**
 * Mean queueing delay (ms) of an M/M/c queue: `servers` slots, Poisson arrivals at
 * `arrivalsPerMs`, exponential service of mean `serviceMs` (Erlang C). Infinity when the
 * offered load reaches the servers.
 */
export function erlangCWaitMs(servers: number, arrivalsPerMs: number, serviceMs: number): number {
  const load = arrivalsPerMs * serviceMs;
  if (load <= 0) return 0;
  if (servers <= load) return Infinity;
  let b = 1; // Erlang B by its stable recursion
  for (let k = 1; k <= servers; k++) b = (load * b) / (k + load * b);
  const c = (servers * b) / (servers - load * (1 - b));
  return (c * serviceMs) / (servers - load);
}

/** The fewest slots whose Erlang C queueing delay is at most `targetWaitMs` (0 when there is no load). */
export function slotsFor(arrivalsPerMs: number, serviceMs: number, targetWaitMs: number, maxSlots = 100_000): number {
  const load = arrivalsPerMs * serviceMs;
  if (!(load > 0)) return 0;
  let b = 1;
  for (let k = 1; k <= maxSlots; k++) {
    b = (load * b) / (k + load * b);
    if (k > load) {
      const c = (k * b) / (k - load * (1 - b));
      if ((c * serviceMs) / (k - load) <= targetWaitMs) return k;
    }
  }
  return maxSlots;
}

/** Runners of `slotsPerRunner` slots for the forecast load. */
export function recommendedRunners(forecast: { next: number; intervalMs: number }, serviceMs: number, slotsPerRunner: number, targetWaitMs: number): number {
  if (!(forecast.next > 0) || !(serviceMs > 0)) return 0;
  return Math.ceil(slotsFor(forecast.next / forecast.intervalMs, serviceMs, targetWaitMs) / Math.max(1, slotsPerRunner));
}
