/**
 * How far a stage's declared cost model is off on a node, learned from completed calls.
 *
 * Each observation is x = log(observed run / declared run at the node's declared speed). Run
 * times are roughly log-normal (a few calls take several times the median), so the model works
 * in log space: the mean of x estimates the log of the median ratio, and one slow call moves it
 * by a bounded amount (deviations are clipped at `clipSigmas` standard deviations).
 *
 * log scale(stage, node) = level(node) + residual(stage, node)
 *
 * - level(node) is shared by every stage on the node: a node that became 5x slower is slower for
 *   all of them, so it is learned fast: a running mean for the first observations, then an EW
 *   mean, and a *level shift* when a CUSUM on its deviations alarms (the new level is the mean
 *   of the samples that raised the alarm, at once).
 * - residual(stage, node) holds what is specific to a stage on that node (a cost model that is
 *   off, a kernel that suits this hardware), learned slowly from what the level leaves over.
 *
 * Both start at 0 (scale 1, the declared model) with the weight of `priorWeight` observations,
 * so one lucky call does not rewrite a node's speed, and the prior fades as data comes in.
 */

export interface RuntimeModelOptions {
  /** Pseudo-observations of scale 1 that shrink the first few real ones, for a node's level. Default 8: under per-call noise of sigma 0.5 a level from two calls is off by 1.4x one time in three, and placing on it cost more than learning a real speed difference a few calls later (bench:simulate noisy 1.048 -> 1.037 of HEFT). */
  readonly priorWeight?: number;
  /** The same for a (stage, node) residual: a stage-specific difference needs more evidence than a node-wide one. Default 4. */
  readonly residualPriorWeight?: number;
  /** EW weight of a new observation in a node's level (after the running-mean start). Default 0.1. */
  readonly levelAlpha?: number;
  /** EW weight in a (stage, node) residual. Default 0.05. */
  readonly residualAlpha?: number;
  /** EW weight of a new absolute deviation in a spread (slower than means: noise levels are steady). Default 0.02. */
  readonly spreadAlpha?: number;
  /** One sample adds at most this many standard deviations to a spread. Default 4. */
  readonly spreadClipSigmas?: number;
  /** EW weight of a node's long-run baseline level, against which degradation is measured. Default 0.02. */
  readonly baselineAlpha?: number;
  /** Level shifts: CUSUM slack and alarm threshold in standard deviations, and the fewest samples
   * an alarm rests on. Defaults 1.5, 4 and 2 (Page's k and h, tuned for shifts of 3 sigma and
   * more, as a 5x slow-down is under noise of sigma 0.5; smaller drifts are the EW mean's job). */
  readonly shiftSlack?: number;
  readonly shiftSigmas?: number;
  readonly shiftRun?: number;
  /** Slowly learned means (residuals, baseline) clip deviations at this many standard deviations. Default 3. */
  readonly clipSigmas?: number;
  /** A node's level ignores samples beyond this many standard deviations (the CUSUM judges them). Default 2.5. */
  readonly outlierSigmas?: number;
  /** Floor of the standard deviation (log) used for clipping, outliers and shift detection. Default 0.25. */
  readonly minSigma?: number;
  /** Spread (log) assumed where fewer than `minSamplesForSigma` observations exist. Defaults 0.5 and 5. */
  readonly priorSigma?: number;
  readonly minSamplesForSigma?: number;
  /** How many errors the prior spread counts as in the pooled spread. Default 2. */
  readonly pooledPriorWeight?: number;
  /** Standard errors taken off a degradation before it counts (see `confidentDegradation`). Default 1.5. */
  readonly degradationConfidence?: number;
  /** Half-life of a node's return to its baseline level while it completes nothing. Default 60,000 ms. */
  readonly relaxHalfLifeMs?: number;
  /** Times below this are clock noise (runners report whole ms): both sides of a ratio are raised to it. Default 1 ms. */
  readonly resolutionMs?: number;
}

const DEFAULTS: Required<RuntimeModelOptions> = {
  priorWeight: 8,
  residualPriorWeight: 4,
  levelAlpha: 0.1,
  residualAlpha: 0.05,
  baselineAlpha: 0.02,
  spreadAlpha: 0.02,
  spreadClipSigmas: 4,
  shiftSlack: 1.5,
  shiftSigmas: 4,
  shiftRun: 2,
  clipSigmas: 3,
  outlierSigmas: 2.5,
  minSigma: 0.25,
  priorSigma: 0.5,
  minSamplesForSigma: 5,
  pooledPriorWeight: 2,
  resolutionMs: 1,
  relaxHalfLifeMs: 60_000,
  degradationConfidence: 1.5,
};

/** E|X - mu| = sigma * sqrt(2 / pi) for a normal X: the factor back from a mean absolute deviation. */
const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2);

/**
 * An EW mean and variance of log ratios. The prior is its starting state: mean 0 held with the
 * weight of `priorWeight` observations, so the first samples are averaged with it
 * (weight 1/(n + priorWeight + 1), a plain running mean) until that falls to `alpha`; from
 * then on the prior's weight decays like any old sample's. After a level shift the mean
 * likewise restarts as the running mean of the new regime.
 *
 * The spread is an EW mean absolute deviation (every sample counts, each at most
 * `spreadClipSigmas`), learned more slowly than the mean: a steady estimate of the noise keeps
 * the shift detector's false alarms rare. Robustness of the mean comes in two kinds. `"clip"`:
 * a deviation counts at most `clipSigmas` standard deviations (a wild sample moves the mean a
 * bounded step, a lasting change is still learned). `"shift"`: a sample beyond `outlierSigmas`
 * does not move the mean at all; instead a two-sided CUSUM (Page 1954) watches the deviations,
 * and when it alarms the level jumps to the mean of the samples that raised the alarm.
 */
class LogLevel {
  mean = 0;
  /** EW mean absolute deviation. */
  private mad = 0;
  n = 0;
  /** Level shifts so far. */
  shifts = 0;
  /** How many samples the mean rests on (the prior's weight at first, a shift's run after one): the EW weight starts at 1/(this + 1). */
  private weight: number;
  /** CUSUM sides: the sum, the samples in its run, and the mean when the run began (the run's reference). */
  private up = { sum: 0, run: 0, ref: 0 };
  private down = { sum: 0, run: 0, ref: 0 };
  /** The latest samples (as many as an alarm rests on): the new level after a shift. */
  private readonly recent: number[] = [];

  constructor(
    private readonly alpha: number,
    private readonly priorWeight: number,
    private readonly o: Required<RuntimeModelOptions>,
    private readonly robust: "clip" | "shift" | "none",
  ) {
    this.weight = priorWeight;
  }

  get sigma(): number {
    return MAD_TO_SIGMA * this.mad;
  }

  /** How many samples the mean is worth: its running-mean count, at most an EW mean's (2 - alpha) / alpha. */
  get effectiveSamples(): number {
    return Math.min(this.weight, (2 - this.alpha) / this.alpha);
  }

  observe(x: number): void {
    const alpha = Math.max(this.alpha, 1 / (this.weight + 1));
    if (this.n === 0) {
      // The first sample against the prior: no spread from it (its distance to the prior is not noise).
      this.mean += alpha * (x - this.mean);
      this.n++;
      this.weight++;
      return;
    }
    // Few samples say little about the spread: until then assume at least the prior's.
    const floor = this.n < 2 * this.o.minSamplesForSigma ? Math.max(this.o.minSigma, this.o.priorSigma) : this.o.minSigma;
    const sigma = Math.max(this.sigma, floor);
    let dev = x - this.mean;
    const beta = Math.max(Math.min(this.alpha, this.o.spreadAlpha), 1 / this.n);
    this.mad += beta * (Math.min(Math.abs(dev), this.o.spreadClipSigmas * sigma) - this.mad);
    if (this.robust === "shift") {
      if (this.shifted(x, sigma)) return;
      if (Math.abs(dev) > this.o.outlierSigmas * sigma) {
        this.n++;
        return;
      }
    } else if (this.robust === "clip") {
      const limit = this.o.clipSigmas * sigma;
      dev = Math.max(-limit, Math.min(limit, dev));
    }
    this.mean += alpha * dev;
    this.n++;
    this.weight++;
  }

  /**
   * CUSUM in units of sigma: each side accumulates deviations beyond `shiftSlack` sigma and
   * alarms past `shiftSigmas` sigma once its run has `shiftRun` samples; the new level is the
   * mean of the last `shiftRun` samples. A 5x slow-down (log 5 = 1.6) is found in two samples
   * without noise and in about three under noise of sigma 0.5, while Gaussian noise alone raises a
   * false alarm about once in 10^5 samples.
   */
  private shifted(x: number, sigma: number): boolean {
    this.recent.push(x);
    if (this.recent.length > this.o.shiftRun) this.recent.shift();
    const slack = this.o.shiftSlack * sigma;
    // Deviations are measured from the mean as it was when a run began: the EW mean keeps
    // learning from the run's milder samples, and a reference that crept after them would
    // hide the very shift the run is evidence of.
    for (const [side, sign] of [[this.up, 1], [this.down, -1]] as const) {
      if (side.run === 0) side.ref = this.mean;
      side.sum = Math.max(0, side.sum + sign * (x - side.ref) - slack);
      side.run = side.sum === 0 ? 0 : side.run + 1;
    }
    for (const side of [this.up, this.down]) {
      if (side.sum > this.o.shiftSigmas * sigma && side.run >= this.o.shiftRun) {
        // The new level: the samples that raised the alarm (a run may have started with an
        // ordinary sample that happened to lean the same way). Later samples are averaged in
        // equally until alpha takes over.
        this.mean = this.recent.reduce((a, b) => a + b, 0) / this.recent.length;
        this.weight = this.recent.length;
        this.up = { sum: 0, run: 0, ref: this.mean };
        this.down = { sum: 0, run: 0, ref: this.mean };
        this.n++;
        this.shifts++;
        return true;
      }
    }
    return false;
  }
}

/**
 * The spread of prediction errors over every node: how far off cost models are is mostly a
 * property of the workload, so the pool knows it long before any single node has run enough
 * calls to say. Bayesian in the simplest way: the prior spread counts as `pooledPriorWeight`
 * errors, and the pool is an EW mean of squared errors on top of it. Errors beyond
 * `outlierSigmas` are left out (with the truncation's bias undone), so a node that slows down
 * does not widen the very spread its slowness is judged against.
 */
class PooledSpread {
  private sum: number;
  private weight: number;
  private readonly truncation: number;

  constructor(private readonly o: Required<RuntimeModelOptions>) {
    this.weight = o.pooledPriorWeight;
    this.sum = o.priorSigma ** 2 * o.pooledPriorWeight;
    this.truncation = truncatedVariance(o.outlierSigmas);
  }

  get sigma(): number {
    return Math.sqrt(this.sum / this.weight);
  }

  observe(error: number): void {
    if (!Number.isFinite(error) || Math.abs(error) > this.o.outlierSigmas * Math.max(this.sigma, this.o.minSigma)) return;
    const keep = 1 - this.o.spreadAlpha;
    this.sum = keep * this.sum + (error * error) / this.truncation;
    this.weight = keep * this.weight + 1;
  }
}

/** Variance of a standard normal truncated to [-c, c]: 1 - 2c·pdf(c) / (2·Phi(c) - 1). */
function truncatedVariance(c: number): number {
  const pdf = Math.exp((-c * c) / 2) / Math.sqrt(2 * Math.PI);
  return Math.max(1e-6, 1 - (2 * c * pdf) / erf(c / Math.SQRT2));
}

/** Abramowitz & Stegun 7.1.26 (error below 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

interface NodeModel {
  level: LogLevel;
  baseline: LogLevel;
  /** When the node last completed a call. */
  lastAt: number;
  residuals: Map<string, { residual: LogLevel; spread: LogLevel; weight: number }>;
}

export class RuntimeModel {
  private readonly o: Required<RuntimeModelOptions>;
  private readonly nodes = new Map<string, NodeModel>();
  /**
   * Spread of every prediction error, all nodes pooled: how far off the cost models are is
   * mostly a property of the workload, not of a node, and the pool knows it long before any
   * single node has run enough calls to say.
   */
  private readonly pooled: PooledSpread;

  constructor(options: RuntimeModelOptions = {}) {
    this.o = { ...DEFAULTS, ...options };
    this.pooled = new PooledSpread(this.o);
  }

  private node(node: string): NodeModel {
    let m = this.nodes.get(node);
    if (!m) {
      m = {
        level: new LogLevel(this.o.levelAlpha, this.o.priorWeight, this.o, "shift"),
        baseline: new LogLevel(this.o.baselineAlpha, 0, this.o, "clip"),
        lastAt: -Infinity,
        residuals: new Map(),
      };
      this.nodes.set(node, m);
    }
    return m;
  }

  private pair(m: NodeModel, stage: string) {
    let r = m.residuals.get(stage);
    if (!r) {
      // The spread is a plain EW of squared errors (no shifts, no clipping, no shrinkage needed).
      r = { residual: new LogLevel(this.o.residualAlpha, this.o.residualPriorWeight, this.o, "clip"), spread: new LogLevel(this.o.residualAlpha, 0, this.o, "none"), weight: 0 };
      m.residuals.set(stage, r);
    }
    return r;
  }

  /** log(observed / declared), with both raised to the clock's resolution. */
  logRatio(observedMs: number, declaredMs: number): number {
    return Math.log(Math.max(observedMs, this.o.resolutionMs) / Math.max(declaredMs, this.o.resolutionMs));
  }

  /**
   * The node's level at `now`: a level that differs from the node's long-run baseline fades
   * back towards it while the node completes nothing (half-life `relaxHalfLifeMs`). A node
   * believed slow gets no work, so without this a transient fault, or a false alarm, would be
   * believed forever; this way it is tried again, and two slow calls bring the level back.
   */
  private level(m: NodeModel, now: number): number {
    const target = m.baseline.n > 0 ? m.baseline.mean : 0;
    const idle = Math.max(0, now - m.lastAt);
    if (!Number.isFinite(this.o.relaxHalfLifeMs) || !Number.isFinite(idle)) return m.level.mean;
    return target + (m.level.mean - target) * 2 ** (-idle / this.o.relaxHalfLifeMs);
  }

  /** A completed call at `at`: it ran `observedMs` where the declared model at the node's declared speed said `declaredMs`. */
  observe(stage: string, node: string, observedMs: number, declaredMs: number, at: number): void {
    if (!(observedMs >= 0) || !(declaredMs >= 0)) return;
    const x = this.logRatio(observedMs, declaredMs);
    const m = this.node(node);
    if (m.level.n > 0 && Number.isFinite(m.lastAt)) m.level.mean = this.level(m, at);
    m.lastAt = Math.max(m.lastAt, at);
    const p = this.pair(m, stage);
    const predicted = m.level.mean + p.residual.mean;
    p.spread.observe((x - predicted) ** 2);
    this.pooled.observe(x - predicted);
    // Backfitting: the level sees what the stage's residual does not explain, and vice versa.
    const forLevel = x - p.residual.mean;
    m.level.observe(forLevel);
    m.baseline.observe(forLevel);
    p.residual.observe(x - m.level.mean);
    p.weight = Math.min(p.weight + 1, 1 / this.o.residualAlpha);
    this.center(m);
  }

  /**
   * Level + residual has a whole line of equally good splits; the one kept is "residuals
   * average to zero over the stages the node runs" (weighted by how often each ran). So a
   * node's common factor always sits in its level, where a stage it has not run yet finds it;
   * with a single stage the residual is 0.
   */
  private center(m: NodeModel): void {
    let sum = 0;
    let weights = 0;
    for (const r of m.residuals.values()) {
      sum += r.weight * r.residual.mean;
      weights += r.weight;
    }
    if (weights === 0) return;
    const shift = sum / weights;
    for (const r of m.residuals.values()) r.residual.mean -= shift;
    m.level.mean += shift;
    m.baseline.mean += shift;
  }

  /**
   * A call that was given up on after running at least `elapsedMs`: a lower bound. It counts as
   * an observation only when it says "slower than we think" (a timeout on a node we already
   * believe slow tells nothing new).
   */
  observeAtLeast(stage: string, node: string, elapsedMs: number, declaredMs: number, at: number): void {
    if (!(elapsedMs >= 0) || !(declaredMs >= 0)) return;
    if (Math.log(this.scale(stage, node, at)) < this.logRatio(elapsedMs, declaredMs)) this.observe(stage, node, elapsedMs, declaredMs, at);
  }

  /** Observed / declared run time of a stage on a node at `now` (1 = as declared). */
  scale(stage: string, node: string, now: number): number {
    const m = this.nodes.get(node);
    if (!m) return 1;
    const r = m.residuals.get(stage);
    return Math.exp(this.level(m, now) + (r ? r.residual.mean : 0));
  }

  /** The node-wide factor (what every stage on it shares). */
  nodeScale(node: string, now: number): number {
    const m = this.nodes.get(node);
    return m ? Math.exp(this.level(m, now)) : 1;
  }

  /** The node's level now against its own long-run baseline (>1: it got slower than it used to be), or against its declaration until it has `2 × minSamplesForSigma` calls. */
  degradation(node: string, now: number): number {
    const m = this.nodes.get(node);
    if (!m || m.level.n === 0) return 1;
    return Math.exp(this.level(m, now) - (m.baseline.n >= 2 * this.o.minSamplesForSigma ? m.baseline.mean : 0));
  }

  /**
   * A lower confidence bound of `degradation`: the level rests on few samples right after a
   * shift, so it is lowered by `degradationConfidence` standard errors (sigma / sqrt(samples)).
   * Two samples 5x slower under noise of sigma 0.5 still bound it above 2x; a false alarm of
   * the shift detector (two unlucky samples about 2.7x) does not.
   */
  confidentDegradation(node: string, now: number): number {
    const m = this.nodes.get(node);
    if (!m || m.level.n === 0) return 1;
    const error = Math.max(m.level.sigma, this.o.minSigma) / Math.sqrt(Math.max(1, m.level.effectiveSamples));
    // Until the node has a history of its own, its baseline is what it declared.
    const reference = m.baseline.n >= 2 * this.o.minSamplesForSigma ? m.baseline.mean : 0;
    return Math.exp(this.level(m, now) - reference - this.o.degradationConfidence * error);
  }

  /** Spread of log(observed / predicted) for a stage on a node: the pair's own when it has enough observations, else the node's, else the prior. */
  sigma(stage: string, node: string): number {
    const m = this.nodes.get(node);
    const r = m?.residuals.get(stage);
    if (r && r.spread.n >= this.o.minSamplesForSigma) return Math.sqrt(r.spread.mean);
    if (m && m.level.n >= this.o.minSamplesForSigma) return m.level.sigma;
    return this.o.priorSigma;
  }

  /**
   * The spread for judging whether a delay is beyond chance: the pooled spread of prediction
   * errors (see `PooledSpread`), or the node's own when it has `4 × minSamplesForSigma` calls and
   * it is wider; never below the floor (a noise-free history does not make every delay
   * infinitely unlikely).
   */
  cautiousSigma(node: string): number {
    const m = this.nodes.get(node);
    const own = m && m.level.n >= 4 * this.o.minSamplesForSigma ? m.level.sigma : 0;
    return Math.max(this.pooled.sigma, own, this.o.minSigma);
  }

  observations(node: string): number {
    return this.nodes.get(node)?.level.n ?? 0;
  }

  /** Learned scale per stage seen on the node. */
  stageScales(node: string, now: number): Record<string, number> {
    const m = this.nodes.get(node);
    const out: Record<string, number> = {};
    if (m) for (const stage of [...m.residuals.keys()].sort()) out[stage] = this.scale(stage, node, now);
    return out;
  }

  /** Start over for a node (it re-registered with another speed profile, or left). */
  forget(node: string): void {
    this.nodes.delete(node);
  }
}
