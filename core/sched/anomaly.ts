/**
 * Failure prediction: every `sampleIntervalMs` the scheduler takes one metric vector per live
 * node, keeps the recent history of all nodes' vectors, grows an isolation forest on it and
 * scores each node's current vector. A node that stands out from what nodes (itself included)
 * usually look like scores high; the scheduler combines that with "its runtime got worse" to
 * call it suspect before it fails.
 */
import { IsolationForest } from "./isolation-forest.ts";

/** The metrics in a node's vector, in order (all scale-free or per slot, so nodes compare). */
export const FEATURES = [
  "log runtime scale", // node-wide learned log(observed / declared)
  "timeout rate", // EW, per call
  "error rate", // EW, per call
  "phi", // max of heartbeat and progress phi, capped
  "heartbeat lateness", // time since the last heartbeat / mean interval (1 without heartbeats)
  "load per slot", // (our calls + reported foreign calls) / slots
] as const;

export interface AnomalyOptions {
  /** How often a vector per node is added and the forest regrown. Default 1000 ms. */
  readonly sampleIntervalMs?: number;
  /** Vectors kept (all nodes together). Default 1024. */
  readonly historySize?: number;
  /** Vectors needed before any score is given (before that every node scores 0). Default 32. */
  readonly minHistory?: number;
  /** Trees and subsample size (Liu et al.: 100 and 256). */
  readonly trees?: number;
  readonly sampleSize?: number;
  /** Growing a forest costs milliseconds, so it is regrown at every sample only while the
   * scheduler says a score could matter (some node's runtime degraded), else every this many
   * samples (the scores shown in between are the last ones). Default 10. */
  readonly regrowEvery?: number;
  /** Score above which a vector is anomalous. Default 0.6 (0.5 is "nothing stands out"). */
  readonly threshold?: number;
  /** PRNG seed; each regrowth uses seed + its sequence number, so a run replays exactly. Default 1. */
  readonly seed?: number;
}

export const ANOMALY_DEFAULTS: Required<AnomalyOptions> = {
  sampleIntervalMs: 1_000,
  historySize: 1_024,
  minHistory: 32,
  regrowEvery: 10,
  trees: 100,
  sampleSize: 256,
  threshold: 0.6,
  seed: 1,
};

export class AnomalyMonitor {
  readonly o: Required<AnomalyOptions>;
  private readonly history: (readonly number[])[] = [];
  private next = 0;
  private lastSample = -Infinity;
  private fits = 0;
  private sinceFit = Infinity;
  private readonly scores = new Map<string, number>();

  constructor(options: AnomalyOptions = {}) {
    this.o = { ...ANOMALY_DEFAULTS, ...options };
  }

  due(now: number): boolean {
    return now - this.lastSample >= this.o.sampleIntervalMs;
  }

  /**
   * Scores the nodes' current vectors against the history (a forest grown on the history, with
   * the current vectors in every tree's sample), then adds them to the history. `urgent`: a
   * score may change a verdict now, so regrow even if one was grown recently.
   */
  sample(now: number, vectors: ReadonlyMap<string, readonly number[]>, urgent = true): void {
    this.lastSample = now;
    const current = [...vectors.values()];
    this.sinceFit++;
    if (this.history.length >= this.o.minHistory && current.length > 0 && (urgent || this.sinceFit >= this.o.regrowEvery)) {
      const forest = IsolationForest.fit(this.history, { trees: this.o.trees, sampleSize: this.o.sampleSize, seed: this.o.seed + this.fits++, always: current });
      this.scores.clear();
      for (const [node, v] of vectors) this.scores.set(node, forest.score(v));
      this.sinceFit = 0;
    }
    for (const v of current) {
      if (this.history.length < this.o.historySize) this.history.push(v);
      else this.history[this.next] = v;
      this.next = (this.next + 1) % this.o.historySize;
    }
  }

  /** The node's score when the forest was last grown (0 before enough history, or when it was not sampled then). */
  score(node: string): number {
    return this.scores.get(node) ?? 0;
  }
}
