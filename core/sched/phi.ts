/**
 * Phi-accrual failure detection (Hayashibara, Défago, Yared & Katayama 2004; the variant Akka
 * and Cassandra use). Instead of a yes/no timeout, a detector outputs a continuous suspicion
 *
 *   phi(t) = -log10 P(the next arrival comes later than t | the arrivals seen so far)
 *
 * so phi = 1 means a 10% chance the node is fine and merely late, phi = 8 one in 10^8. The
 * caller picks the threshold (default 8, as in Cassandra).
 *
 * Two detectors per node feed the verdict:
 * - `HeartbeatDetector`: inter-arrival times of heartbeats (normal model, as in Akka).
 * - `ProgressDetector`: whether calls keep completing while the node has work. Gaps between
 *   completions depend on what was sent, so it models log(gap / expected gap), where the
 *   scheduler says when it expects the next completion. A node that heartbeats but whose calls
 *   hang (a gray failure) accrues suspicion here.
 */

/**
 * -log10 of the upper tail of a normal distribution at x. Akka's logistic approximation of the
 * normal CDF, 1 / (1 + e^-z) with z = y (1.5976 + 0.070566 y^2), makes phi a softplus of z;
 * computed in that form it never overflows to Infinity for a long silence.
 */
export function phiNormal(x: number, mean: number, std: number): number {
  const y = (x - mean) / Math.max(std, 1e-12);
  const z = y * (1.5976 + 0.070566 * y * y);
  const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  return softplus / Math.LN10;
}

/** A fixed-size window with running sums (mean and variance in O(1)). */
class Window {
  private readonly xs: number[] = [];
  private next = 0;
  private sum = 0;
  private sumSq = 0;
  constructor(private readonly size: number) {}
  push(x: number): void {
    if (this.xs.length < this.size) {
      this.xs.push(x);
    } else {
      const old = this.xs[this.next]!;
      this.sum -= old;
      this.sumSq -= old * old;
      this.xs[this.next] = x;
      this.next = (this.next + 1) % this.size;
    }
    this.sum += x;
    this.sumSq += x * x;
  }
  get count(): number {
    return this.xs.length;
  }
  get mean(): number {
    return this.xs.length === 0 ? 0 : this.sum / this.xs.length;
  }
  get std(): number {
    if (this.xs.length < 2) return 0;
    const m = this.mean;
    return Math.sqrt(Math.max(0, this.sumSq / this.xs.length - m * m));
  }
  get meanSquare(): number {
    return this.xs.length === 0 ? 0 : this.sumSq / this.xs.length;
  }
}

export interface HeartbeatDetectorOptions {
  /** Inter-arrival times kept (Akka: max-sample-size). Default 200. */
  readonly maxSamples?: number;
  /** Floor of the standard deviation, as a fraction of the mean interval: a clockwork sender
   * must not make phi explode at the first millisecond of delay. Default 0.1. */
  readonly minStdRatio?: number;
  /** Pause tolerated on top of the mean, in mean intervals (Akka: acceptable-heartbeat-pause):
   * one late heartbeat is normal. Default 1. */
  readonly acceptablePauseRatio?: number;
  /** The interval assumed until two real ones were seen (Akka: first-heartbeat-estimate), with
   * a standard deviation of a quarter of it. Set it to the heartbeat period runners are told.
   * Default 1000 ms (the runner protocol's default `heartbeatMs`). */
  readonly firstIntervalEstimateMs?: number;
}

export class HeartbeatDetector {
  private readonly intervals: Window;
  private last: number | null = null;
  private readonly o: Required<HeartbeatDetectorOptions>;

  constructor(options: HeartbeatDetectorOptions = {}) {
    this.o = { maxSamples: 200, minStdRatio: 0.1, acceptablePauseRatio: 1, firstIntervalEstimateMs: 1_000, ...options };
    this.intervals = new Window(this.o.maxSamples);
  }

  arrive(now: number): void {
    if (this.last !== null && now > this.last) this.intervals.push(now - this.last);
    if (this.last === null || now > this.last) this.last = now;
  }

  /** Forget the arrival times (a node that comes back is a new sender); keeps nothing. */
  reset(): void {
    this.last = null;
  }

  get lastArrival(): number | null {
    return this.last;
  }

  /** Real inter-arrival times seen (in the window). */
  get samples(): number {
    return this.intervals.count;
  }

  /** Mean inter-arrival time: the first estimate until two real intervals were seen. */
  get meanIntervalMs(): number {
    return this.intervals.count >= 2 ? this.intervals.mean : this.o.firstIntervalEstimateMs;
  }

  private get stdIntervalMs(): number {
    return this.intervals.count >= 2 ? this.intervals.std : this.o.firstIntervalEstimateMs / 4;
  }

  /** 0 before the first heartbeat: a node that never heartbeats (a built-in backend) is not suspected here. */
  phi(now: number): number {
    if (this.last === null) return 0;
    const mean = this.meanIntervalMs;
    const std = Math.max(this.stdIntervalMs, this.o.minStdRatio * mean);
    return phiNormal(now - this.last, mean * (1 + this.o.acceptablePauseRatio), std);
  }
}

export interface ProgressDetectorOptions {
  /** Lateness samples (log(gap / expected gap), 0 when early) kept. Default 200. */
  readonly maxSamples?: number;
  /** Floor of their standard deviation. 0.5 (a factor e^0.5 = 1.65 per sigma) puts phi = 8 at
   * about 13x the expected gap, so a node that is 5x slower is slow (the runtime model and the
   * isolation forest see it), not dead. Default 0.5. */
  readonly minStdLog?: number;
  /** Samples needed before the window's spread replaces the floor. Default 5. */
  readonly minSamples?: number;
  /** Shortest expected gap, so a call expected "now" does not make any delay look infinite. Default 1 ms. */
  readonly minGapMs?: number;
  /**
   * Half-life of the learned report delay (see `reported`), ms: how fast it forgets a long one.
   * By time, not by completion: a batch of 200 results applied at once would otherwise forget
   * the delay within the batch that measured it. Default 10 s.
   */
  readonly reportDelayHalfLifeMs?: number;
}

/**
 * Suspicion that a node stopped making progress: a gap opens when the node gets work while idle
 * or completes a call while still holding more, and closes with the next completion. The
 * scheduler tells it when it expects the next completion (the earliest expected finish among
 * the node's calls, with the learned runtime scale); phi measures how unlikely the current gap
 * is, given how far past their expectations the node's earlier gaps ran.
 */
export class ProgressDetector {
  private readonly ratios: Window;
  private since: number | null = null;
  private expectedAt = 0;
  /** A decaying maximum of how long completions took to reach us (see `reported`), as of `delayAt`. */
  private delayMs = 0;
  private delayAt = 0;
  private readonly o: Required<ProgressDetectorOptions>;

  constructor(options: ProgressDetectorOptions = {}) {
    this.o = { maxSamples: 200, minStdLog: 0.5, minSamples: 5, minGapMs: 1, reportDelayHalfLifeMs: 10_000, ...options };
    this.ratios = new Window(this.o.maxSamples);
  }

  /**
   * How long after it finished a completion reached us. Completions are seen no more often than
   * they arrive: a runner reports in batches, one request out at a time, and a busy plane takes
   * its time to choose them; a node finishing a call a millisecond was judged dead for the
   * second it took. So no gap is expected shorter than the recent report delay.
   */
  reported(now: number, delayMs: number): void {
    const decayed = this.delayMs * 0.5 ** (Math.max(0, now - this.delayAt) / this.o.reportDelayHalfLifeMs);
    this.delayMs = Math.max(0, delayMs, decayed);
    this.delayAt = now;
  }

  /** The recent report delay: how long after finishing a call is heard of, at worst lately. */
  get reportDelayMs(): number {
    return this.delayMs;
  }

  /** Work was sent, expected to complete at `expectedAt` (a gap left open by timeouts goes on). */
  dispatched(now: number, expectedAt: number): void {
    if (this.since === null) {
      this.since = now;
      this.expectedAt = expectedAt;
    } else {
      this.expectedAt = Math.min(this.expectedAt, expectedAt);
    }
  }

  /** A call completed (success or error: either is progress); `nextExpectedAt` for what is left, or null when idle. */
  progressed(now: number, nextExpectedAt: number | null): void {
    if (this.since !== null) {
      // A gap that closed early counts as on time: only lateness speaks of failure, and early
      // completions (common when several calls share the node) would only widen the spread.
      const ratio = Math.max(now - this.since, this.o.minGapMs) / this.expectedGap();
      this.ratios.push(Math.max(0, Math.log(ratio)));
    }
    this.since = nextExpectedAt === null ? null : now;
    if (nextExpectedAt !== null) this.expectedAt = nextExpectedAt;
  }

  /** A call was called off without completing (another attempt won): the node owes nothing for it; idle when nothing is left. */
  withdrawn(nextExpectedAt: number | null): void {
    if (nextExpectedAt === null) this.since = null;
    else if (this.since !== null) this.expectedAt = nextExpectedAt;
  }

  /**
   * A call was given up on for taking too long: no progress, so the gap stays open even when
   * nothing is left, and phi keeps rising until the node completes something (or is reset
   * when it comes back). Otherwise a hung node whose calls all timed out would look idle and
   * healthy, and get the next call to hang.
   */
  timedOut(nextExpectedAt: number | null): void {
    if (nextExpectedAt !== null && this.since !== null) this.expectedAt = Math.min(this.expectedAt, nextExpectedAt);
  }

  reset(): void {
    this.since = null;
  }

  private expectedGap(): number {
    return Math.max(this.expectedAt - (this.since ?? 0), this.o.minGapMs, this.delayMs);
  }

  /** How far the current gap is past its expectation (elapsed / expected), or 0 when idle. */
  overdue(now: number): number {
    return this.since === null ? 0 : Math.max(0, now - this.since) / this.expectedGap();
  }

  phi(now: number): number {
    if (this.since === null) return 0;
    // The samples are lateness only (early gaps count as 0), so the tail is fitted as a
    // half-normal from 0: sigma^2 = 2 · mean(lateness^2), the upper semi-deviation. That keeps a
    // node with noisy run times (sigma 0.8: one call in 5,000 takes 17x its median) from being
    // called dead for one slow call, and a steady node quick to be.
    const known = this.ratios.count >= this.o.minSamples;
    const std = Math.max(known ? Math.sqrt(2 * this.ratios.meanSquare) : 0, this.o.minStdLog);
    const elapsed = Math.max(now - this.since, this.o.minGapMs);
    return phiNormal(Math.log(elapsed / this.expectedGap()), 0, std);
  }
}
