/**
 * The learning scheduler: core/jobs/placement.ts's earliest-predicted-finish rule, fed with what
 * the cluster has shown rather than what nodes declared.
 *
 * - Speed: the declared speed divided by the learned runtime scale of the stage on the node
 *   (runtime-model.ts); link: the learned round trip and bandwidth (node-stats.ts) once known.
 * - Backlog: our own dispatched-but-unfinished attempts, as predicted remaining run time with the
 *   scale learned *now* (an attempt past its expected end is expected to need as long again as
 *   it has overrun), divided by the node's slots; plus the calls the node reports beyond ours.
 * - Health: nodes with phi >= threshold (heartbeats or progress, phi.ts) are failed, nodes the
 *   isolation forest flags while their runtime degrades are suspect (anomaly.ts); neither gets
 *   new work unless no other node can take it.
 *
 * It also proposes speculative backups for stragglers, forecasts load (forecast.ts) and reports
 * what it learned. Pure: time comes in with every call, randomness from a seed.
 */
import { type Candidate, INLINE_NODE, type NodeId, type NodeLoad, type NodeSpec } from "../jobs/decisions.ts";
import { type Placement, type PlacementNode, type PlacementRequest, place, speedFor } from "../jobs/placement.ts";
import { AnomalyMonitor } from "./anomaly.ts";
import { DecayingSum, Ewma } from "./ewma.ts";
import { LoadForecaster, recommendedRunners } from "./forecast.ts";
import { NodeStatsTracker } from "./node-stats.ts";
import { type LearningSchedulerOptions, SCHEDULER_DEFAULTS } from "./options.ts";
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

/** An attempt past its expected end is expected to need at least this fraction of its run more. */
const MIN_OVERRUN_FRACTION = 0.1;

type Stage = PlacementRequest["stage"];
type Verdict = NodeSuspicion["verdict"];

interface Attempt {
  readonly d: ObservedDispatch;
  /** The cost model at the node's declared speed (what the runtime model compares against). */
  readonly declaredRunMs: number;
  /** The runtime scale its prediction was made with (predicted run / declared run). */
  readonly scaleAtDispatch: number;
  /** The node had a free slot and reported no other work: its overhead measures the link alone. */
  readonly idleNode: boolean;
}

interface Health {
  verdict: Verdict;
  phi: number;
  reason: string;
  since?: number;
  firstSuspectAt?: number;
  firstFailedAt?: number;
}

const fmt = (ms: number) => (!Number.isFinite(ms) ? "∞" : Math.abs(ms) >= 10 ? ms.toFixed(0) : ms.toPrecision(2));
const times = (x: number) => `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;

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
      if (JSON.stringify(known.spec.speed) !== JSON.stringify(spec.speed)) this.runtime.forget(spec.id);
      known.respec(spec);
      if (known.down) {
        known.down = false;
        known.heartbeats.reset();
        known.progress.reset();
      }
    } else {
      this.nodes.set(spec.id, new NodeStatsTracker(spec, { link: this.o.link, heartbeat: this.o.heartbeat, progress: this.o.progress, rateAlpha: this.o.rateAlpha }));
    }
    this.refresh(now);
  }

  nodeDown(node: NodeId, now: number): void {
    const n = this.nodes.get(node);
    if (!n) return;
    n.down = true;
    n.downAt = now;
    this.refresh(now);
  }

  heartbeat(node: NodeId, load: NodeLoad, now: number): void {
    this.nodes.get(node)?.heartbeat(load, now);
    this.refresh(now);
  }

  dispatched(d: ObservedDispatch): void {
    const n = this.nodes.get(d.node);
    const declaredRunMs = n ? Math.max(0, d.stage.cost.runtimeMs(d.inputBytes)) / speedFor(n.spec.speed, d.stage) : d.predicted.runMs;
    const attempt: Attempt = {
      d,
      declaredRunMs,
      scaleAtDispatch: declaredRunMs > 0 && d.predicted.runMs > 0 ? d.predicted.runMs / declaredRunMs : 1,
      idleNode: n ? n.open.size < n.spec.slots && n.foreignCalls() === 0 : false,
    };
    this.forget(d.key);
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
      n.progress.dispatched(d.at, this.finishEstimate(attempt, d.at));
    }
    this.refresh(d.at);
  }

  completed(c: ObservedCompletion): void {
    const a = this.forget(c.key);
    const n = a && this.nodes.get(a.d.node);
    if (a && n) {
      const run = Math.max(0, c.finishedAt - c.startedAt);
      if (c.ok) {
        this.runtime.observe(a.d.stage.ref, n.spec.id, run, a.declaredRunMs, c.at);
        n.serviceMs.update(run);
        this.anyServiceMs.update(run);
        if (n.spec.kind === "runner") this.runnerServiceMs.update(run);
      }
      n.errorRate.update(c.ok ? 0 : 1);
      n.timeoutRate.update(0);
      if (a.idleNode && n.spec.kind !== "inline") {
        const moved = a.d.inputAt === n.spec.id ? 0 : a.d.inputBytes;
        n.link.observe(moved + Math.max(0, c.outputBytes), c.at - a.d.at - run);
      }
      n.progress.progressed(c.at, this.nextExpected(n, c.at));
    }
    this.refresh(c.at);
  }

  timedOut(key: string, now: number): void {
    const a = this.forget(key);
    const n = a && this.nodes.get(a.d.node);
    if (a && n) {
      n.timeoutRate.update(1);
      // It ran at least this long (a lower bound): a node whose calls all time out is learned slow, not left looking fast.
      const ranAtLeast = now - a.d.at - a.d.predicted.waitMs - a.d.predicted.transferMs;
      if (ranAtLeast > 0) this.runtime.observeAtLeast(a.d.stage.ref, n.spec.id, ranAtLeast, a.declaredRunMs, now);
      n.progress.withdrawn(this.nextExpected(n, now));
    }
    this.refresh(now);
  }

  abandoned(key: string, now: number): void {
    const a = this.forget(key);
    const n = a && this.nodes.get(a.d.node);
    if (n) n.progress.withdrawn(this.nextExpected(n, now));
    this.refresh(now);
  }

  /** Drops an open attempt from every index; returns it. */
  private forget(key: string): Attempt | undefined {
    const a = this.open.get(key);
    if (!a) return undefined;
    this.open.delete(key);
    this.nodes.get(a.d.node)?.open.delete(key);
    const keys = this.calls.get(a.d.call);
    keys?.delete(key);
    if (keys?.size === 0) this.calls.delete(a.d.call);
    return a;
  }

  // ---- predictions about attempts in flight ---------------------------------------------

  /**
   * An attempt's timeline with what is known now: its run takes declared × the scale learned
   * now (its wait scales the same way: the calls ahead of it run on the same node), half the
   * transfer before and half after.
   */
  private timeline(a: Attempt, now: number) {
    const scale = this.nodes.has(a.d.node) ? this.runtime.scale(a.d.stage.ref, a.d.node, now) : a.scaleAtDispatch;
    const runMs = a.declaredRunMs * scale;
    const half = a.d.predicted.transferMs / 2;
    const start = a.d.at + a.d.predicted.waitMs * (scale / a.scaleAtDispatch) + half;
    return { runMs, start, runEnd: start + runMs, half, scale };
  }

  /** Run time still ahead of the attempt; past its expected end, as much again as it has overrun. */
  private remainingRunMs(a: Attempt, now: number): number {
    const t = this.timeline(a, now);
    if (now <= t.start) return t.runMs;
    if (now < t.runEnd) return t.runEnd - now;
    return Math.max(now - t.runEnd, MIN_OVERRUN_FRACTION * t.runMs);
  }

  /** When its result should reach the plane. */
  private finishEstimate(a: Attempt, now: number): number {
    const t = this.timeline(a, now);
    if (now < t.runEnd) return t.runEnd + t.half;
    return now + Math.max(now - t.runEnd, MIN_OVERRUN_FRACTION * t.runMs) + t.half;
  }

  private nextExpected(n: NodeStatsTracker, now: number): number | null {
    let next: number | null = null;
    for (const key of n.open) {
      const f = this.finishEstimate(this.open.get(key)!, now);
      if (next === null || f < next) next = f;
    }
    return next;
  }

  private backlogMs(n: NodeStatsTracker, now: number): number {
    let ms = 0;
    for (const key of n.open) ms += this.remainingRunMs(this.open.get(key)!, now);
    return ms;
  }

  // ---- health ---------------------------------------------------------------------------

  private phi(n: NodeStatsTracker, now: number): number {
    const { heartbeat, progress } = n.phi(now);
    return Math.max(heartbeat, progress);
  }

  /** The node's metric vector, in anomaly.ts FEATURES order. */
  private features(n: NodeStatsTracker, now: number): number[] {
    return [
      Math.log(this.runtime.nodeScale(n.spec.id, now)),
      n.timeoutRate.mean,
      n.errorRate.mean,
      Math.min(this.phi(n, now), 4 * this.o.phiThreshold),
      n.heartbeatLateness(now),
      (n.open.size + n.foreignCalls()) / Math.max(1, n.spec.slots),
    ];
  }

  /** Samples the anomaly history when due, then judges every node (and remembers when verdicts began). */
  private refresh(now: number): void {
    if (this.anomaly.due(now)) {
      const vectors = new Map<string, number[]>();
      let urgent = false;
      for (const n of this.nodes.values()) {
        if (n.down) continue;
        vectors.set(n.spec.id, this.features(n, now));
        urgent ||= this.runtime.degradation(n.spec.id, now) >= this.o.suspectDegradation;
      }
      this.anomaly.sample(now, vectors, urgent);
    }
    for (const n of this.nodes.values()) {
      const judged = this.judge(n, now);
      const h = this.health.get(n.spec.id) ?? { verdict: "healthy", phi: 0, reason: "" };
      if (judged.verdict !== h.verdict) h.since = judged.verdict === "healthy" ? undefined : now;
      if (judged.verdict === "suspect") h.firstSuspectAt ??= now;
      if (judged.verdict === "failed") h.firstFailedAt ??= now;
      h.verdict = judged.verdict;
      h.phi = judged.phi;
      h.reason = judged.reason;
      this.health.set(n.spec.id, h);
    }
  }

  private judge(n: NodeStatsTracker, now: number): { verdict: Verdict; phi: number; reason: string } {
    const id = n.spec.id;
    const { heartbeat, progress } = n.phi(now);
    const phi = Math.max(heartbeat, progress);
    const threshold = this.o.phiThreshold;
    if (n.down) return { verdict: "failed", phi, reason: `${id} marked down at ${fmt(n.downAt)}` };
    if (phi >= threshold) {
      const why =
        heartbeat >= progress
          ? `no heartbeat for ${fmt(now - (n.heartbeats.lastArrival ?? now))} ms (mean interval ${fmt(n.heartbeats.meanIntervalMs)} ms)`
          : `its calls stopped completing (${times(n.progress.overdue(now))} past the expected next completion)`;
      return { verdict: "failed", phi, reason: `${id} phi ${phi.toFixed(1)} ≥ ${threshold}: ${why}` };
    }
    const score = this.anomaly.score(id);
    const degradation = this.runtime.degradation(id, now);
    // Hysteresis: a suspect stays suspect until its score falls clearly below the threshold, so a
    // score hovering around it does not hand the node work every other sample.
    const wasSuspect = this.health.get(id)?.verdict === "suspect";
    const anomalous = score > this.anomaly.o.threshold - (wasSuspect ? this.o.suspectHysteresis : 0);
    if (anomalous && degradation >= this.o.suspectDegradation) {
      return {
        verdict: "suspect",
        phi,
        reason: `${id} anomaly ${score.toFixed(2)} > ${this.anomaly.o.threshold} and runtime ${times(degradation)} its own baseline (${times(this.runtime.nodeScale(id, now))} declared)`,
      };
    }
    const note = anomalous ? ` (anomalous, but its runtime is steady: ${times(degradation)} its baseline)` : "";
    return { verdict: "healthy", phi, reason: `${id} phi ${phi.toFixed(1)}, anomaly ${score.toFixed(2)}${note}` };
  }

  private verdict(node: NodeId): Verdict {
    return this.health.get(node)?.verdict ?? "healthy";
  }

  // ---- placement --------------------------------------------------------------------------

  /** The node as placement sees it with what was learned: speed for this stage, link, backlog. */
  private learnedNode(n: NodeStatsTracker, stage: Stage, now: number): PlacementNode {
    const { spec } = n;
    const speed = speedFor(spec.speed, stage) / this.runtime.scale(stage.ref, spec.id, now);
    const rtt = n.link.rttMs();
    const learnedSpec: NodeSpec = {
      ...spec,
      speed: { ...spec.speed, stages: { ...spec.speed.stages, [stage.ref]: speed } },
      latencyMs: rtt === null ? spec.latencyMs : rtt / 2,
      bandwidthMBps: n.link.bandwidthMBps() ?? spec.bandwidthMBps,
    };
    return { spec: learnedSpec, freeAt: now + this.backlogMs(n, now) / Math.max(1, spec.slots), foreignCalls: n.foreignCalls() };
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
    return placement;
  }

  /** Placement among live nodes whose verdict is in `verdicts`, its reason naming learned factors that changed the winner. */
  private placeAmong(request: Omit<PlacementRequest, "inlineMaxMs">, verdicts: readonly Verdict[]): Placement {
    const full: PlacementRequest = { ...request, inlineMaxMs: this.o.inlineMaxMs };
    const live = [...this.nodes.values()].filter((n) => !n.down);
    const eligible = live.filter((n) => verdicts.includes(this.verdict(n.spec.id)));
    const placement = place(full, eligible.map((n) => this.learnedNode(n, request.stage, request.now)));
    if (!placement.ok) return placement;
    // What the declared figures alone would have chosen (every live node, same backlog).
    const declared = place(
      full,
      live.map((n) => ({ spec: n.spec, freeAt: request.now + this.backlogMs(n, request.now) / Math.max(1, n.spec.slots), foreignCalls: n.foreignCalls() })),
    );
    const naive = declared.ok ? declared.winner.node : null;
    if (naive === null || naive === placement.winner.node) return placement;
    const factors = [...new Set([naive, placement.winner.node])].flatMap((id) => this.learnedFactors(id, request.stage, request.now));
    const because = factors.length > 0 ? factors.join(", ") : `${naive}'s calls in flight are running past their predictions`;
    return { ...placement, reason: `${placement.reason}; declared figures would pick ${naive}, but ${because}` };
  }

  /** The learned facts about a node that differ from its declaration by at least `namedFactor`. */
  private learnedFactors(id: NodeId, stage: Stage, now: number): string[] {
    const n = this.nodes.get(id);
    if (!n) return [];
    const out: string[] = [];
    const h = this.health.get(id);
    if (h && h.verdict !== "healthy") out.push(`${id} is ${h.verdict} (${h.reason})`);
    const far = (x: number) => x >= this.o.namedFactor || x <= 1 / this.o.namedFactor;
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
    const late: { a: Attempt; ratio: number }[] = [];
    for (const a of this.open.values()) {
      if (a.d.speculative || this.backedUp.has(a.d.call) || a.d.node === INLINE_NODE) continue;
      const p = a.d.predicted;
      const multiple = Math.max(s.lateFactor, Math.exp(s.sigmas * this.runtime.sigma(a.d.stage.ref, a.d.node)));
      const elapsed = now - a.d.at;
      if (elapsed > p.waitMs + p.transferMs + p.runMs * multiple) late.push({ a, ratio: elapsed / Math.max(1e-9, p.finishAt - a.d.at) });
    }
    late.sort((x, y) => y.ratio - x.ratio || (x.a.d.key < y.a.d.key ? -1 : 1));
    let speculative = this.speculativeMs.get(now);
    let total = this.dispatchedMs.get(now);
    const placedMs = new Map<NodeId, number>();
    const advice: SpeculationAdvice[] = [];
    for (const { a, ratio } of late) {
      const n = this.nodes.get(a.d.node);
      const failed = !n || n.down || this.verdict(a.d.node) === "failed";
      const originalAt = failed ? Infinity : this.finishEstimate(a, now);
      const exclude = new Set<NodeId>([a.d.node]);
      for (const key of this.calls.get(a.d.call) ?? []) exclude.add(this.open.get(key)!.d.node);
      const placement = this.placeAmong({ stage: a.d.stage, inputBytes: a.d.inputBytes, inputAt: null, now, exclude, placedMs }, ["healthy"]);
      if (!placement.ok) continue;
      const backup: Candidate = placement.winner;
      if (!(backup.finishAt < originalAt)) continue;
      if (speculative + backup.runMs > s.maxFraction * (total + backup.runMs)) continue;
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
          `${a.d.key} on ${a.d.node} has taken ${fmt(now - a.d.at)} ms against ${fmt(a.d.predicted.finishAt - a.d.at)} predicted (${times(ratio)}), ${original}; ` +
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
    const runners = [...this.nodes.values()].filter((n) => n.spec.kind === "runner" && !n.down);
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
    }));
  }

  runtimeScale(stage: string, node: NodeId, now: number): number {
    return this.runtime.scale(stage, node, now);
  }

  degradation(node: NodeId, now: number): number {
    return this.runtime.degradation(node, now);
  }
}
