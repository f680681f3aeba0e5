/**
 * A node's speed probe: how long it takes, at each heartbeat, to run one fixed reference workload
 * (`probeMs` in its load report; runners/probe.ts measures it). Whatever slows a whole node
 * (CPU contention, throttling, a noisy neighbour) slows the probe alike, so a node-wide slow-down
 * shows at its next heartbeats instead of only once its calls overrun, and it shows on a node
 * that has no calls at all. What slows one stage and not the probe is still the runtime model's
 * and the lateness test's to find.
 *
 * The slow-down is the fastest of the last `window` probes over the node's baseline: a slow-down
 * must hold over all of them, and one fast probe ends it (a node that recovered gets work again
 * at once). The window is one probe by default because each probe is already the faster of two
 * runs back to back (runners/probe.ts), so a pause that hits one run (a GC, a context switch)
 * does not count; a one-heartbeat wait is what keeps a slowed node's cost near instant
 * detection's (bench:simulate: 1.138 of fault-free against 1.134 for an oracle; 1.153 with a
 * window of two). The
 * baseline is the mean of the first `baselineSamples` probes, then an EW mean that learns only
 * from probes near it, so a lasting slow-down stays visible against the speed the node had.
 */
export interface SpeedProbeOptions {
  /** Probes averaged for the first baseline. Default 3. */
  readonly baselineSamples?: number;
  /** Consecutive probes a slow-down must show in. Default 1 (see above). */
  readonly window?: number;
  /** EW weight of a probe in the baseline once it is set. Default 0.05. */
  readonly alpha?: number;
  /** Probes further than this factor from the baseline do not move it. Default 1.5. */
  readonly baselineBand?: number;
}

export class SpeedProbe {
  private readonly o: Required<SpeedProbeOptions>;
  /** Log of the baseline probe time; null before the first probe. */
  private baseline: number | null = null;
  private readonly recent: number[] = [];
  private n = 0;

  constructor(options: SpeedProbeOptions = {}) {
    this.o = { baselineSamples: 3, window: 1, alpha: 0.05, baselineBand: 1.5, ...options };
  }

  observe(probeMs: number | undefined): void {
    if (probeMs === undefined || !(probeMs > 0) || !Number.isFinite(probeMs)) return;
    const x = Math.log(probeMs);
    this.recent.push(x);
    if (this.recent.length > this.o.window) this.recent.shift();
    this.n++;
    if (this.baseline === null || this.n <= this.o.baselineSamples) {
      this.baseline = this.baseline === null ? x : this.baseline + (x - this.baseline) / this.n;
    } else if (Math.abs(x - this.baseline) <= Math.log(this.o.baselineBand)) {
      this.baseline += this.o.alpha * (x - this.baseline);
    }
  }

  /** Probes seen. */
  get samples(): number {
    return this.n;
  }

  /** The node's probe time now against its baseline (1: as fast as it was; 5: five times slower). 1 until the baseline is set and a full window follows it. */
  slowdown(): number {
    if (this.baseline === null || this.n < this.o.baselineSamples + this.o.window) return 1;
    return Math.exp(Math.min(...this.recent) - this.baseline);
  }

  /** Whether its probes (a full window past the baseline) show it running at its usual speed, within `baselineBand`. */
  healthy(): boolean {
    return this.baseline !== null && this.n >= this.o.baselineSamples + this.o.window && this.slowdown() < this.o.baselineBand;
  }

  /** A node that restarted or was re-profiled starts over. */
  reset(): void {
    this.baseline = null;
    this.recent.length = 0;
    this.n = 0;
  }
}
