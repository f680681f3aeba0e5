/**
 * The learning scheduler: core/jobs/placement.ts's earliest-predicted-finish rule, fed with what
 * the cluster has shown rather than what nodes declared.
 *
 * - Speed: the declared speed divided by the learned runtime scale of the stage on the node
 *   (runtime-model.ts); link: the learned round trip and bandwidth (node-stats.ts) once known.
 * - Backlog: our dispatched-but-unfinished attempts fill the node's slots in dispatch order,
 *   those holding a slot for what is left of their run (re-estimated with the scale learned
 *   *now*; past its expected end, as long again as it has overrun), those queued for all of it;
 *   the new call waits for the first slot free (attempts.ts), plus the calls the node reports
 *   beyond ours.
 * - Health: a node with phi >= threshold (heartbeats, or calls that stopped completing: phi.ts)
 *   is failed; one the isolation forest flags (anomaly.ts) while its runtime degrades (per its
 *   completed calls, or its running calls being late beyond chance) is suspect, and stays so for
 *   a hold. Neither gets new work unless no other node can take it.
 * - Stragglers: late attempts get a backup where it would finish first, within a share of the
 *   work; calls on failed or suspect nodes are recovered the same way, whatever their age.
 *
 * It also forecasts load (forecast.ts) and reports what it learned. Pure: time comes in with
 * every call, randomness from a seed.
 */
import { type Candidate, INLINE_NODE, type NodeId, type NodeLoad, type NodeSpec } from "../jobs/decisions.ts";
import { type Placement, type PlacementNode, type PlacementRequest, movedInputBytes, place, speedFor } from "../jobs/placement.ts";
import { AnomalyMonitor } from "./anomaly.ts";
import { type Attempt, type Timeline, cautiousTransferMs, finishEstimate, fmt, patientFinishEstimate, remainingRunMs, timeline, times } from "./attempts.ts";
import { DecayingSum, Ewma } from "./ewma.ts";
import { LoadForecaster, recommendedRunners } from "./forecast.ts";
import { type NodeOut, NodeStatsTracker } from "./node-stats.ts";
import { type LearningSchedulerOptions, SCHEDULER_DEFAULTS } from "./options.ts";
import { phiNormal } from "./phi.ts";
import { RuntimeModel } from "./runtime-model.ts";
import type {
  LearningScheduler,
  LoadForecast,
  NodeStats,
  NodeSuspicion,
  ObservedCompletion,
  ObservedDispatch,
  SpeculationAdvice,
} from "./scheduler.ts";

export type { LearningSchedulerOptions } from "./options.ts";

type Stage = PlacementRequest["stage"];
type Verdict = NodeSuspicion["verdict"];

/** Running attempts per node that its health and next expected result are judged from (oldestRunning). */
const WATCHED_RUNNING = 64;

interface Memo {
  readonly now: number;
  readonly version: number;
  /** By stage and node: the runtime model's scale. */
  readonly scales: Map<string, number>;
  /** By node: how late its running calls are (lateness before the verdict on it). */
  readonly late: Map<NodeId, { readonly phi: number; readonly factor: number }>;
  /** By node: when a slot frees up (freeAt walks every attempt out there). */
  readonly freeAt: Map<NodeId, number>;
}

interface Health {
  verdict: Verdict;
  phi: number;
  reason: string;
  /** A suspect stays one until then (suspectHoldMs after its evidence last held). */
  holdUntil?: number;
  since?: number;
  firstSuspectAt?: number;
  firstFailedAt?: number;
}

export function createLearningScheduler(options: LearningSchedulerOptions = {}): LearningScheduler & LearningSchedulerInternals {
  return new Learner(options);
}

/** What the simulator and tests may read beyond the interface. */
export interface LearningSchedulerInternals {
  /** Learned observed/declared run-time scale of a stage on a node at `now`. */
  runtimeScale(stage: string, node: NodeId, now: number): number;
  /** The node-wide scale at `now` against its own long-run baseline (>1: slower than it used to be). */
  degradation(node: NodeId, now: number): number;
}

type Resolved = Omit<LearningSchedulerOptions, keyof typeof SCHEDULER_DEFAULTS> & {
  readonly [K in Exclude<keyof typeof SCHEDULER_DEFAULTS, "speculation">]: number;
} & { readonly speculation: Required<NonNullable<LearningSchedulerOptions["speculation"]>> };

class Learner implements LearningScheduler, LearningSchedulerInternals {
  private readonly o: Resolved;
  private readonly nodes = new Map<NodeId, NodeStatsTracker>();
  private readonly health = new Map<NodeId, Health>();
  private readonly open = new Map<string, Attempt>();
  /** Open attempt keys per call. */
  private readonly calls = new Map<string, Set<string>>();
  /** Calls that already had a speculative backup (at most one each). */
  private readonly backedUp = new Set<string>();
  private readonly runtime: RuntimeModel;
  private readonly anomaly: AnomalyMonitor;
  private readonly forecaster: LoadForecaster;
  private readonly dispatchedMs: DecayingSum;
  private readonly speculativeMs: DecayingSum;
  /** Run time of successful calls on runners (the service time for forecasts). */
  private readonly runnerServiceMs: Ewma;
  private readonly anyServiceMs: Ewma;
  /** Live nodes whose runtime has degraded past `suspectDegradation` (as of the last refresh). */
  private degraded = new Set<NodeId>();
  /** Bumped by every change to the open attempts, their slots or the runtime model: what `memo` rests on. */
  private version = 0;
  /**
   * Learned scales and nodes' lateness walks at one instant, while nothing they rest on changes.
   * An event asks for them many times over (health, placement, the progress detector), and a node
   * with many slots (the stage Worker's 1,000) holds as many running attempts to walk.
   */
  private memo: Memo = { now: NaN, version: 0, scales: new Map(), late: new Map(), freeAt: new Map() };

  constructor(options: LearningSchedulerOptions) {
    this.o = {
      ...SCHEDULER_DEFAULTS,
      ...options,
      speculation: { ...SCHEDULER_DEFAULTS.speculation, ...options.speculation },
    };
    this.runtime = new RuntimeModel(options.runtime);
    this.anomaly = new AnomalyMonitor(options.anomaly);
    this.forecaster = new LoadForecaster(options.forecast);
    this.dispatchedMs = new DecayingSum(this.o.speculation.windowMs);
    this.speculativeMs = new DecayingSum(this.o.speculation.windowMs);
    this.runnerServiceMs = new Ewma(this.o.rateAlpha);
    this.anyServiceMs = new Ewma(this.o.rateAlpha);
  }

  // ---- what the plane observes ------------------------------------------------------------

  nodeUp(spec: NodeSpec, now: number): void {
    const known = this.nodes.get(spec.id);
    if (known) {
      // A new speed profile (a recalibrated runner) makes what was learned against the old one meaningless.
      if (JSON.stringify(known.spec.speed) !== JSON.stringify(spec.speed)) {
        this.runtime.forget(spec.id);
        this.version++;
        known.probe.reset();
      }
      known.respec(spec);
      if (known.out) {
        known.out = null;
        known.heartbeats.reset();
        known.progress.reset();
        known.probe.reset();
      }
    } else {
      this.nodes.set(spec.id, new NodeStatsTracker(spec, { link: this.o.link, heartbeat: this.o.heartbeat, progress: this.o.progress, probe: this.o.probe, rateAlpha: this.o.rateAlpha }));
    }
    this.refresh(now);
  }

  nodeDown(node: NodeId, now: number, why: NodeOut): void {
    const n = this.nodes.get(node);
    if (!n) return;
    n.out = { why, at: now };
    this.refresh(now);
  }

  nodeRemoved(node: NodeId, now: number): void {
    this.nodes.delete(node);
    this.health.delete(node);
    this.runtime.forget(node);
    this.version++;
    this.refresh(now);
  }

  heartbeat(node: NodeId, load: NodeLoad, now: number): void {
    this.nodes.get(node)?.heartbeat(load, now);
    this.refresh(now);
  }

  dispatched(d: ObservedDispatch): void {
    const n = this.nodes.get(d.node);
    const declaredRunMs = n ? Math.max(0, d.stage.cost.runtimeMs(d.inputBytes)) / speedFor(n.spec.speed, d.stage) : d.predicted.runMs;
    const moved = movedInputBytes(d.inputBytes, d.inputOn, d.node);
    const attempt: Attempt = {
      d,
      declaredRunMs,
      scaleAtDispatch: declaredRunMs > 0 && d.predicted.runMs > 0 ? d.predicted.runMs / declaredRunMs : 1,
      declaredTransferMs:
        n && n.spec.kind !== "inline" ? 2 * n.spec.latencyMs + (moved + Math.max(0, d.stage.cost.outputBytes(d.inputBytes))) / (n.spec.bandwidthMBps * 1_000) : 0,
      idleNode: n ? n.open.size < n.spec.slots && n.foreignCalls() === 0 : false,
    };
    this.forget(d.key, d.at);
    this.open.set(d.key, attempt);
    const keys = this.calls.get(d.call) ?? new Set<string>();
    keys.add(d.key);
    this.calls.set(d.call, keys);
    if (d.speculative) {
      this.backedUp.add(d.call);
      this.speculativeMs.add(d.predicted.runMs, d.at);
    }
    this.dispatchedMs.add(d.predicted.runMs, d.at);
    this.forecaster.record(d.at);
    if (n) {
      n.open.add(d.key);
      n.queued.add(d.key);
      this.promote(n, d.at);
      n.progress.dispatched(d.at, patientFinishEstimate(this.timeline(attempt, d.at), d.at));
    }
    this.refresh(d.at);
  }

  completed(c: ObservedCompletion): void {
    const a = this.forget(c.key, c.at);
    const n = a && this.nodes.get(a.d.node);
    if (a && n) {
      const run = Math.max(0, c.finishedAt - c.startedAt);
      if (c.ok) {
        this.runtime.observe(a.d.stage.ref, n.spec.id, run, a.declaredRunMs, c.at);
        this.version++;
        n.serviceMs.update(run);
        this.anyServiceMs.update(run);
        if (n.spec.kind === "runner") this.runnerServiceMs.update(run);
      }
      n.errorRate.update(c.ok ? 0 : 1);
      n.timeoutRate.update(0);
      if (a.idleNode && n.spec.kind !== "inline") {
        const moved = movedInputBytes(a.d.inputBytes, a.d.inputOn, n.spec.id);
        n.link.observe(moved + Math.max(0, c.outputBytes), c.at - a.d.at - run);
      }
      // The runner's clock against ours: a skew only shifts the floor this sets (never below 0).
      n.progress.reported(c.at, c.at - c.finishedAt);
      n.progress.progressed(c.at, this.nextExpected(n, c.at));
    }
    this.refresh(c.at);
  }

  timedOut(key: string, now: number): void {
    const a = this.forget(key, now);
    const n = a && this.nodes.get(a.d.node);
    if (a && n) {
      n.timeoutRate.update(1);
      // An attempt that had a slot ran at least this long (a lower bound): a node whose calls all
      // time out is learned slow, not left looking fast. One still queued says nothing about run time.
      if (a.runningSince !== undefined) {
        const ranAtLeast = now - a.runningSince - cautiousTransferMs(a);
        if (ranAtLeast > 0) {
          this.runtime.observeAtLeast(a.d.stage.ref, n.spec.id, ranAtLeast, a.declaredRunMs, now);
          this.version++;
        }
      }
      n.progress.timedOut(this.nextExpected(n, now));
    }
    this.refresh(now);
  }

  abandoned(key: string, now: number): void {
    const a = this.open.get(key);
    const n = a && this.nodes.get(a.d.node);
    // A call given up while running well past its expected run still tells how slow its node
    // is: at least this slow (a lower bound), even though its result will never come.
    if (a && n && a.runningSince !== undefined) {
      const ran = now - a.runningSince - cautiousTransferMs(a);
      if (ran >= this.o.latenessFactor * this.timeline(a, now, 1).runMs) {
        this.runtime.observeAtLeast(a.d.stage.ref, n.spec.id, ran, a.declaredRunMs, now);
        this.version++;
      }
    }
    this.forget(key, now);
    if (n) n.progress.withdrawn(this.nextExpected(n, now));
    this.refresh(now);
  }

  /** Drops an open attempt from every index (the next queued one on its node gets its slot); returns it. */
  private forget(key: string, now: number): Attempt | undefined {
    const a = this.open.get(key);
    if (!a) return undefined;
    this.open.delete(key);
    this.version++;
    const n = this.nodes.get(a.d.node);
    if (n) {
      n.open.delete(key);
      n.queued.delete(key);
      this.promote(n, now);
    }
    const keys = this.calls.get(a.d.call);
    keys?.delete(key);
    if (keys?.size === 0) this.calls.delete(a.d.call);
    return a;
  }

  /**
   * Our oldest attempts on the node hold its slots (those other work leaves us): mark when each
   * got one. Taken from the head of its queue, so a node of many slots is not walked from its
   * oldest attempt at every event.
   */
  private promote(n: NodeStatsTracker, now: number): void {
    this.version++;
    const slots = Math.max(1, n.spec.slots - n.foreignCalls());
    for (const key of n.queued) {
      if (n.open.size - n.queued.size >= slots) break;
      n.queued.delete(key);
      this.open.get(key)!.runningSince = now;
    }
  }

  // ---- predictions about attempts in flight ---------------------------------------------

  /**
   * The attempt's timeline with the runtime scale learned by `now`, stretched by how late the
   * node's running calls are when that is beyond chance (`lateness`) — except for a running call
   * already that late itself: its own overrun already says how long it may still take.
   * `extra` is the node's extraSlowdown at `now` (1: the learned scale alone); a caller that
   * asks about many of a node's attempts computes it once, since it walks all of them
   * (a fan-out of N calls on one runner once cost O(N²) per event here).
   */
  private timeline(a: Attempt, now: number, extra = this.extraSlowdownOf(a.d.node, now)): Timeline {
    const n = this.nodes.get(a.d.node);
    if (!n) return timeline(a, a.scaleAtDispatch);
    const base = timeline(a, this.scale(a.d.stage.ref, a.d.node, now));
    if (extra === 1) return base;
    if (a.runningSince !== undefined && now - a.runningSince - cautiousTransferMs(a) >= extra * base.runMs) return base;
    return timeline(a, base.scale * extra);
  }

  /**
   * A node-wide slow-down its speed probes show beyond what its runtime level has learned already
   * (so a slow-down both see is not counted twice); 1 below `suspectDegradation`.
   */
  private probeFactor(n: NodeStatsTracker, now: number): number {
    if (!this.probeDegraded(n)) return 1;
    return Math.max(1, n.probe.slowdown() / this.runtime.degradation(n.spec.id, now));
  }

  /** Whether its speed probes show a slow-down of `suspectDegradation` or more against its baseline. */
  private probeDegraded(n: NodeStatsTracker): boolean {
    return n.probe.slowdown() >= this.o.suspectDegradation;
  }

  private extraSlowdownOf(node: NodeId, now: number): number {
    const n = this.nodes.get(node);
    return n ? this.extraSlowdown(n, now) : 1;
  }

  /** How much slower than learned the node runs now: its running calls' lateness when evident, or its probes' slow-down, whichever is more. */
  private extraSlowdown(n: NodeStatsTracker, now: number): number {
    const late = this.lateness(n, now);
    return Math.max(late.evident ? late.factor : 1, this.probeFactor(n, now));
  }

  /**
   * How late the node's running calls are against what was learned. Each call holding a slot (the
   * oldest, see oldestRunning) is compared over all the time it has held it: elapsed / (cautious
   * transfer + expected run).
   * `phi` sums, over the late ones, -log10 of the chance of being that late given the learned
   * spread; `factor` is the least late of those. Evident when phi reaches `latenessPhi` (plus
   * log10 of the calls the node has completed, see below), factor
   * `latenessFactor`, and the node has also completed nothing for `latenessFactor` times the gap
   * it was expected to take: a node that slowed down shows here long before its first slowed
   * call completes, while one whose calls keep completing (a call that waited for its input
   * longer than thought, or that the node started later than we assume, looks late too) does not.
   */
  private lateness(n: NodeStatsTracker, now: number): { phi: number; factor: number; evident: boolean } {
    const { phi, factor } = this.lateRunning(n, now);
    if (factor === Infinity) return { phi: 0, factor: 1, evident: false };
    const stalled = n.progress.overdue(now) >= this.o.latenessFactor;
    // Watched all along, a busy node offers a chance of a false alarm with every call it runs:
    // the bar rises with log10 of the calls it has completed (a Bonferroni correction over time).
    const bar = this.o.latenessPhi + Math.log10(1 + this.runtime.observations(n.spec.id));
    // A node whose speed probes say it runs as fast as ever is more likely late because our picture
    // of its queue is off (a call that waited for its input, work we do not see) than slowed, so
    // its lateness must reach a real slow-down's size before it counts.
    const minFactor = n.probe.healthy() ? Math.max(this.o.latenessFactor, this.o.suspectDegradation) : this.o.latenessFactor;
    return { phi, factor, evident: phi >= bar && factor >= minFactor && stalled };
  }

  /** lateness' walk over the node's running calls: phi summed over the late ones, and the least late one's factor (Infinity: none late). */
  private lateRunning(n: NodeStatsTracker, now: number): { readonly phi: number; readonly factor: number } {
    const memo = this.memoAt(now);
    const known = memo.late.get(n.spec.id);
    if (known) return known;
    let phi = 0;
    let factor = Infinity;
    const sigma = this.runtime.cautiousSigma(n.spec.id);
    // A call is heard of a report delay after it finished (batched reports, a busy plane).
    const heardAfter = n.progress.reportDelayMs;
    for (const a of this.oldestRunning(n)) {
      const expected = cautiousTransferMs(a) + this.timeline(a, now, 1).runMs + heardAfter;
      const ratio = (now - a.runningSince) / expected;
      if (!(expected > 0) || ratio <= 1) continue;
      factor = Math.min(factor, ratio);
      phi += phiNormal(Math.log(ratio), 0, sigma);
    }
    const late = { phi, factor };
    memo.late.set(n.spec.id, late);
    return late;
  }

  /**
   * The node's attempts holding a slot, oldest first, at most WATCHED_RUNNING of them. They are a
   * prefix of its queue (promote marks its oldest, and attempts only leave the queue or join its
   * end), so the queue behind them costs nothing. The cap is for a node of many slots (the stage
   * Worker has 1,000): its health and next result were judged from every running call at every
   * event, which made a fan-out's cost per call grow with its size; the oldest are the ones whose
   * lateness says most and that should finish first.
   */
  private *oldestRunning(n: NodeStatsTracker): Generator<Attempt & { readonly runningSince: number }> {
    let left = WATCHED_RUNNING;
    for (const key of n.open) {
      const a = this.open.get(key)!;
      if (a.runningSince === undefined || left-- === 0) return;
      yield a as Attempt & { readonly runningSince: number };
    }
  }

  /** The runtime model's scale of a stage on a node at `now`. */
  private scale(stage: string, node: NodeId, now: number): number {
    const { scales } = this.memoAt(now);
    const key = `${stage}\n${node}`;
    let scale = scales.get(key);
    if (scale === undefined) scales.set(key, (scale = this.runtime.scale(stage, node, now)));
    return scale;
  }

  /** The memo for `now`, emptied when the time or anything it rests on changed. */
  private memoAt(now: number): Memo {
    if (this.memo.now !== now || this.memo.version !== this.version) this.memo = { now, version: this.version, scales: new Map(), late: new Map(), freeAt: new Map() };
    return this.memo;
  }

  /** The node's slow-down now: its learned node-wide scale, times what its running calls' lateness or its probes add. */
  private slowdown(n: NodeStatsTracker, now: number): number {
    return this.runtime.nodeScale(n.spec.id, now) * this.extraSlowdown(n, now);
  }

  private finishEstimate(a: Attempt, now: number): number {
    return finishEstimate(this.timeline(a, now), now);
  }

  /**
   * When the node's next result is expected: the earliest among our attempts holding one of its
   * slots (the oldest of them, see oldestRunning). Only those can complete next (the node serves
   * our queue in order, as freeAt assumes): walking every queued attempt at each completion made
   * a fan-out of N calls on one runner cost O(N²). Null when nothing is out there.
   */
  private nextExpected(n: NodeStatsTracker, now: number): number | null {
    let next: number | null = null;
    const extra = this.extraSlowdown(n, now);
    for (const a of this.oldestRunning(n)) {
      const f = patientFinishEstimate(this.timeline(a, now, extra), now);
      if (next === null || f < next) next = f;
    }
    return next;
  }

  /**
   * When one of the node's slots frees up for a new call: our attempts fill its slots in
   * dispatch order (a node serves its queue in order), those holding a slot for what is left of
   * their run, those still queued for all of it whatever their predicted wait said (when a node
   * runs late its queue is delayed, not overrunning too); the new call takes the first slot free.
   */
  private freeAt(n: NodeStatsTracker, now: number): number {
    // Fewer attempts than slots: one slot is free now (what the walk below would find, without
    // an array of the stage Worker's 1,000 slots at every placement).
    if (n.open.size < Math.max(1, n.spec.slots)) return now;
    // Once per node for a given time and state: a step placing a fan-out, and stragglers()
    // trying a backup for each late attempt, ask for every node at every placement (with
    // 10,000 calls queued on a runner that was O(N²) per tick).
    const { freeAt } = this.memoAt(now);
    let at = freeAt.get(n.spec.id);
    if (at === undefined) freeAt.set(n.spec.id, (at = this.walkSlots(n, now)));
    return at;
  }

  private walkSlots(n: NodeStatsTracker, now: number): number {
    const slots = new Array<number>(Math.max(1, n.spec.slots)).fill(now);
    const extra = this.extraSlowdown(n, now);
    for (const key of n.open) {
      const a = this.open.get(key)!;
      const t = this.timeline(a, now, extra);
      let i = 0;
      for (let j = 1; j < slots.length; j++) if (slots[j]! < slots[i]!) i = j;
      slots[i]! += a.runningSince !== undefined ? remainingRunMs(t, now) : t.runMs;
    }
    return Math.min(...slots);
  }

  // ---- health ---------------------------------------------------------------------------

  private phi(n: NodeStatsTracker, now: number): number {
    const { heartbeat, progress } = n.phi(now);
    return Math.max(heartbeat, progress);
  }

  /** The node's metric vector, in anomaly.ts FEATURES order. */
  private features(n: NodeStatsTracker, now: number): number[] {
    return [
      Math.log(this.slowdown(n, now)),
      n.timeoutRate.mean,
      n.errorRate.mean,
      Math.min(this.phi(n, now), 4 * this.o.phiThreshold),
      n.heartbeatLateness(now),
      (n.open.size + n.foreignCalls()) / Math.max(1, n.spec.slots),
    ];
  }

  /** Samples the anomaly history when due, then judges every node (and remembers when verdicts began). */
  private refresh(now: number): void {
    // A node whose runtime just degraded is scored at once rather than at the next sample: the
    // earlier it is flagged, the more warning a prediction gives.
    const degraded = new Set<NodeId>();
    for (const n of this.nodes.values()) if (!n.out && this.degrading(n, now)) degraded.add(n.spec.id);
    const newly = [...degraded].some((id) => !this.degraded.has(id));
    if (this.anomaly.due(now) || newly) {
      const vectors = new Map<string, number[]>();
      for (const n of this.nodes.values()) if (!n.out) vectors.set(n.spec.id, this.features(n, now));
      // A fresh score matters only for a degraded node still judged healthy: one already suspect
      // stays so while it degrades (its last score stands), so regrowing for it buys nothing.
      this.anomaly.sample(now, vectors, [...degraded].some((id) => this.verdict(id) === "healthy"));
    }
    this.degraded = degraded;
    for (const n of this.nodes.values()) {
      const judged = this.judge(n, now);
      const h = this.health.get(n.spec.id) ?? { verdict: "healthy", phi: 0, reason: "" };
      if (judged.verdict !== h.verdict) h.since = judged.verdict === "healthy" ? undefined : now;
      if (judged.verdict === "suspect") h.firstSuspectAt ??= now;
      if (judged.verdict === "suspect" && !judged.reason.includes("(held until")) h.holdUntil = now + this.o.suspectHoldMs;
      if (judged.verdict === "failed") h.firstFailedAt ??= now;
      h.verdict = judged.verdict;
      h.phi = judged.phi;
      h.reason = judged.reason;
      this.health.set(n.spec.id, h);
    }
  }

  /** Whether the node's runtime got worse: confidently per its completed calls, evidently per its running ones, or per its speed probes. */
  private degrading(n: NodeStatsTracker, now: number): boolean {
    return this.runtime.confidentDegradation(n.spec.id, now) >= this.o.suspectDegradation || this.lateness(n, now).evident || this.probeDegraded(n);
  }

  private judge(n: NodeStatsTracker, now: number): { verdict: Verdict; phi: number; reason: string } {
    const id = n.spec.id;
    const { heartbeat, progress } = n.phi(now);
    const phi = Math.max(heartbeat, progress);
    const threshold = this.o.phiThreshold;
    const h = this.health.get(id);
    const wasSuspect = h?.verdict === "suspect";
    const held = wasSuspect && h.holdUntil !== undefined && now < h.holdUntil;
    const hold = () => ({ verdict: "suspect" as const, phi, reason: `${h!.reason.replace(/ \(held .*\)$/, "")} (held until ${fmt(h!.holdUntil!)}: a suspect gets no work to clear it)` });
    // A node drained as a suspect is one until its hold ends: being marked down is what the
    // suspicion did, not news of a failure, and judging it "failed" would let its next heartbeat
    // bring it straight back (recovery.ts comesBack), to be drained again.
    if (n.out) return held ? hold() : { verdict: "failed", phi, reason: `${id} marked ${n.out.why} at ${fmt(n.out.at)}` };
    if (phi >= threshold) {
      const why =
        heartbeat >= progress
          ? `no heartbeat for ${fmt(now - (n.heartbeats.lastArrival ?? now))} ms (mean interval ${fmt(n.heartbeats.meanIntervalMs)} ms)`
          : `its calls stopped completing (${times(n.progress.overdue(now))} past the expected next completion)`;
      return { verdict: "failed", phi, reason: `${id} phi ${phi.toFixed(1)} ≥ ${threshold}: ${why}` };
    }
    const score = this.anomaly.score(id);
    const degradation = this.runtime.degradation(id, now);
    const late = this.lateness(n, now);
    // Hysteresis: a suspect stays suspect until its score falls clearly below the threshold, so a
    // score hovering around it does not hand the node work every other sample.
    const bar = this.anomaly.o.threshold - (wasSuspect ? this.o.suspectHysteresis : 0);
    const anomalous = score > bar;
    if (anomalous && this.degrading(n, now)) {
      const why = late.evident
        ? `its running calls are ${times(late.factor)} late or more (phi ${late.phi.toFixed(1)})`
        : this.probeDegraded(n)
          ? `its speed probe takes ${times(n.probe.slowdown())} its baseline`
          : `runtime ${times(degradation)} its own baseline (${times(this.runtime.nodeScale(id, now))} declared)`;
      const over = score > this.anomaly.o.threshold ? `> ${this.anomaly.o.threshold}` : `> ${Number(bar.toFixed(2))} (a suspect's threshold)`;
      return { verdict: "suspect", phi, reason: `${id} anomaly ${score.toFixed(2)} ${over} and ${why}` };
    }
    if (held) return hold();
    const note = anomalous ? ` (anomalous, but its runtime is steady: ${times(degradation)} its baseline)` : "";
    return { verdict: "healthy", phi, reason: `${id} phi ${phi.toFixed(1)}, anomaly ${score.toFixed(2)}${note}` };
  }

  private verdict(node: NodeId): Verdict {
    return this.health.get(node)?.verdict ?? "healthy";
  }

  // ---- placement --------------------------------------------------------------------------

  /** The node as placement sees it with what was learned: speed for this stage (slowed by its running calls' lateness when evident), link, backlog. */
  private learnedNode(n: NodeStatsTracker, stage: Stage, now: number): PlacementNode {
    const { spec } = n;
    const speed = speedFor(spec.speed, stage) / (this.scale(stage.ref, spec.id, now) * this.extraSlowdown(n, now));
    const rtt = n.link.rttMs();
    const learnedSpec: NodeSpec = {
      ...spec,
      speed: { ...spec.speed, stages: { ...spec.speed.stages, [stage.ref]: speed } },
      latencyMs: rtt === null ? spec.latencyMs : rtt / 2,
      bandwidthMBps: n.link.bandwidthMBps() ?? spec.bandwidthMBps,
    };
    return { spec: learnedSpec, freeAt: this.freeAt(n, now), foreignCalls: n.foreignCalls() };
  }

  place(request: Omit<PlacementRequest, "inlineMaxMs">): Placement {
    this.refresh(request.now);
    let placement = this.placeAmong(request, ["healthy"]);
    if (placement.ok) return placement;
    for (const tier of [["healthy", "suspect"], ["healthy", "suspect", "failed"]] as const) {
      placement = this.placeAmong(request, tier);
      if (placement.ok) {
        const h = this.health.get(placement.winner.node);
        const why = h && h.verdict !== "healthy" ? ` (${h.verdict}: ${h.reason})` : "";
        return { ...placement, reason: `no healthy node can run it, so the best of the others: ${placement.reason}${why}` };
      }
    }
    // No live node can take it (say a verified call's other runners were all judged unresponsive
    // on a busy machine): try one marked unresponsive rather than fail its job. If it is really
    // gone the attempt ends at once (unreachable) and counts toward the call's attempt limit.
    if (placement.ok === false && placement.cause === "no-node") {
      const retry = this.placeAmong(request, ["healthy", "suspect", "failed"], "unresponsive");
      if (retry.ok) return { ...retry, reason: `no live node can run it, so one marked unresponsive: ${retry.reason}` };
    }
    return placement;
  }

  /** Placement among live nodes whose verdict is in `verdicts`, its reason naming learned factors that changed the winner. */
  private placeAmong(request: Omit<PlacementRequest, "inlineMaxMs">, verdicts: readonly Verdict[], among: "live" | "unresponsive" = "live"): Placement {
    const full: PlacementRequest = { ...request, inlineMaxMs: this.o.inlineMaxMs };
    const live = [...this.nodes.values()].filter((n) => (among === "live" ? n.out === null : n.out?.why === "unresponsive"));
    const eligible = live.filter((n) => verdicts.includes(this.verdict(n.spec.id)));
    const placement = place(full, eligible.map((n) => this.learnedNode(n, request.stage, request.now)));
    if (!placement.ok) return placement;
    // What the declared figures alone would have chosen (every live node, same backlog).
    const declared = place(
      full,
      live.map((n) => ({ spec: n.spec, freeAt: this.freeAt(n, request.now), foreignCalls: n.foreignCalls() })),
    );
    const naive = declared.ok ? declared.winner.node : null;
    if (naive === null || naive === placement.winner.node) return placement;
    const pair = [...new Set([naive, placement.winner.node])];
    // Name the factors that are far from the declaration; when only small ones tipped a close race, name those.
    let factors = pair.flatMap((id) => this.learnedFactors(id, request.stage, request.now, this.o.namedFactor));
    if (factors.length === 0) factors = pair.flatMap((id) => this.learnedFactors(id, request.stage, request.now, 1.005));
    const because = factors.length > 0 ? factors.join(", ") : "of what was learned about them";
    return { ...placement, reason: `${placement.reason}; declared figures would pick ${naive}, but ${because}` };
  }

  /** The learned facts about a node that differ from its declaration by at least `minFactor` (either way), and its health. */
  private learnedFactors(id: NodeId, stage: Stage, now: number, minFactor: number): string[] {
    const n = this.nodes.get(id);
    if (!n) return [];
    const out: string[] = [];
    const h = this.health.get(id);
    if (h && h.verdict !== "healthy") out.push(`${id} is ${h.verdict} (${h.reason})`);
    const far = (x: number) => x >= minFactor || x <= 1 / minFactor;
    const scale = this.runtime.scale(stage.ref, id, now);
    if (far(scale)) out.push(scale > 1 ? `${id} learned ${times(scale)} slower than declared` : `${id} learned ${times(1 / scale)} faster than declared`);
    const rtt = n.link.rttMs();
    if (rtt !== null && far(rtt / Math.max(1e-9, 2 * n.spec.latencyMs))) out.push(`${id} learned round trip ${fmt(rtt)} ms (declared ${fmt(2 * n.spec.latencyMs)})`);
    const bw = n.link.bandwidthMBps();
    if (bw !== null && far(bw / n.spec.bandwidthMBps)) out.push(`${id} learned bandwidth ${fmt(bw)} MB/s (declared ${fmt(n.spec.bandwidthMBps)})`);
    return out;
  }

  // ---- speculation ------------------------------------------------------------------------

  stragglers(now: number): SpeculationAdvice[] {
    this.refresh(now);
    const s = this.o.speculation;
    // Candidates: attempts on a failed node (whatever their age: the node is believed dead) or a
    // suspect one (believed slow), and attempts past max(lateFactor, e^(sigmas·σ)) times their
    // predicted run. Worst first.
    const late: { a: Attempt; ratio: number; failed: boolean; recovery: boolean }[] = [];
    for (const a of this.open.values()) {
      if (a.d.speculative || this.backedUp.has(a.d.call) || a.d.node === INLINE_NODE) continue;
      const n = this.nodes.get(a.d.node);
      const failed = n !== undefined && (n.out !== null || this.verdict(a.d.node) === "failed");
      // A suspect node's calls are backed up whenever a backup would finish first: it is believed slow.
      const suspect = this.verdict(a.d.node) === "suspect";
      const p = a.d.predicted;
      const multiple = Math.max(s.lateFactor, Math.exp(s.sigmas * this.runtime.sigma(a.d.stage.ref, a.d.node)));
      const elapsed = now - a.d.at;
      const ratio = elapsed / Math.max(1e-9, p.finishAt - a.d.at);
      if (failed || suspect || elapsed > p.waitMs + p.transferMs + p.runMs * multiple) {
        late.push({ a, ratio: failed ? Infinity : suspect ? Number.MAX_VALUE : ratio, failed, recovery: failed || suspect });
      }
    }
    late.sort((x, y) => y.ratio - x.ratio || (x.a.d.key < y.a.d.key ? -1 : 1));
    let speculative = this.speculativeMs.get(now);
    let total = this.dispatchedMs.get(now);
    const placedMs = new Map<NodeId, number>();
    const advice: SpeculationAdvice[] = [];
    for (const { a, failed, recovery } of late) {
      const originalAt = failed ? Infinity : this.finishEstimate(a, now);
      const exclude = new Set<NodeId>([a.d.node]);
      for (const key of this.calls.get(a.d.call) ?? []) exclude.add(this.open.get(key)!.d.node);
      const placement = this.placeAmong({ stage: a.d.stage, inputBytes: a.d.inputBytes, ...(a.d.inputOn && { inputOn: a.d.inputOn }), now, exclude, placedMs }, ["healthy"]);
      if (!placement.ok) continue;
      const backup: Candidate = placement.winner;
      if (!(backup.finishAt < originalAt)) continue;
      if (!(recovery && s.uncappedRecovery) && speculative + backup.runMs > s.maxFraction * (total + backup.runMs)) continue;
      speculative += backup.runMs;
      total += backup.runMs;
      placedMs.set(backup.node, (placedMs.get(backup.node) ?? 0) + backup.runMs);
      const original = failed
        ? `${a.d.node} is failed (${this.health.get(a.d.node)?.reason ?? "unknown node"})`
        : `re-estimated to finish in ${fmt(originalAt - now)} ms${this.slowerSince(a, now)}`;
      advice.push({
        key: a.d.key,
        call: a.d.call,
        backup,
        reason:
          `${a.d.key} on ${a.d.node} has taken ${fmt(now - a.d.at)} ms against ${fmt(a.d.predicted.finishAt - a.d.at)} predicted (${times((now - a.d.at) / Math.max(1e-9, a.d.predicted.finishAt - a.d.at))}), ${original}; ` +
          `a backup on ${backup.node} would finish in ${fmt(backup.finishAt - now)} ms (${placement.reason}); ` +
          `speculative work ${((100 * speculative) / Math.max(1e-9, total)).toFixed(1)}% of dispatched (cap ${(100 * s.maxFraction).toFixed(0)}%)`,
      });
    }
    return advice;
  }

  private slowerSince(a: Attempt, now: number): string {
    const t = this.timeline(a, now);
    const change = t.scale / a.scaleAtDispatch;
    return change >= this.o.namedFactor ? ` (${a.d.node} learned ${times(change)} slower since it was dispatched)` : "";
  }

  // ---- reports ----------------------------------------------------------------------------

  suspicions(now: number): NodeSuspicion[] {
    this.refresh(now);
    return [...this.nodes.values()].map((n) => {
      const h = this.health.get(n.spec.id)!;
      return {
        node: n.spec.id,
        phi: h.phi,
        anomaly: this.anomaly.score(n.spec.id),
        verdict: h.verdict,
        reason: h.reason,
        ...(h.since !== undefined && { since: h.since }),
        ...(h.firstSuspectAt !== undefined && { firstSuspectAt: h.firstSuspectAt }),
        ...(h.firstFailedAt !== undefined && { firstFailedAt: h.firstFailedAt }),
      };
    });
  }

  forecast(now: number): LoadForecast {
    const f = this.forecaster.forecast(now);
    const runners = [...this.nodes.values()].filter((n) => n.spec.kind === "runner" && !n.out);
    const slots = runners.length > 0 ? runners.reduce((sum, n) => sum + n.spec.slots, 0) / runners.length : 1;
    const service = this.runnerServiceMs.count > 0 ? this.runnerServiceMs.mean : this.anyServiceMs.mean;
    return { next: f.next, a: f.a, b: f.b, c: f.c, intervalMs: f.intervalMs, recommendedRunners: recommendedRunners(f, service, slots, this.o.targetWaitMs) };
  }

  stats(now: number): NodeStats[] {
    this.refresh(now);
    return [...this.nodes.values()].map((n) => ({
      node: n.spec.id,
      rttMs: n.link.rttMs(),
      bandwidthMBps: n.link.bandwidthMBps(),
      queue: n.load ? n.load.queue : Math.max(0, n.open.size - n.spec.slots),
      inFlight: n.open.size,
      errorRate: n.errorRate.mean,
      timeoutRate: n.timeoutRate.mean,
      heartbeatIntervalMs: n.heartbeatIntervalMs(),
      runtimeScale: this.runtime.stageScales(n.spec.id, now),
      nodeScale: this.runtime.nodeScale(n.spec.id, now),
      observations: this.runtime.observations(n.spec.id),
      probeSlowdown: n.probe.slowdown(),
    }));
  }

  runtimeScale(stage: string, node: NodeId, now: number): number {
    return this.runtime.scale(stage, node, now);
  }

  degradation(node: NodeId, now: number): number {
    return this.runtime.degradation(node, now);
  }
}
