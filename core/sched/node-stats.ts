/**
 * What the scheduler measures about one node: its link (round trip and bandwidth), its load
 * (what it reports, what we have out there), how often its calls fail or time out, and its
 * heartbeats and progress (the two phi-accrual detectors).
 */
import type { NodeLoad, NodeSpec } from "../jobs/decisions.ts";
import { Ewma } from "./ewma.ts";
import { SpeedProbe, type SpeedProbeOptions } from "./speed-probe.ts";
import { HeartbeatDetector, type HeartbeatDetectorOptions, ProgressDetector, type ProgressDetectorOptions } from "./phi.ts";

export interface LinkModelOptions {
  /** EW weight of a new sample. Default 0.1. */
  readonly alpha?: number;
  /** Samples before the learned link replaces the declared one. Default 3. */
  readonly minSamples?: number;
  /** The slope (hence bandwidth) is learned only when sizes vary this much (coefficient of variation). Default 0.25. */
  readonly minSizeSpread?: number;
}

/**
 * The link to a node, from the time a call spent outside its run:
 *
 *   overhead = (result at the plane - dispatched) - (finished - started) = RTT + bytes / bandwidth
 *
 * fitted by exponentially weighted least squares (intercept = RTT, slope = 1 / bandwidth). Only
 * calls sent while the node had a free slot are used, so node-side queueing does not pass for a
 * slow link. Clocks: the run time is a difference of the node's own timestamps and the overhead a
 * difference of the plane's, so clock offsets between the two cancel. When sizes barely vary,
 * the slope is not identifiable: bandwidth stays as declared and only the RTT is learned.
 */
export class LinkModel {
  private w = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;
  private n = 0;
  private readonly o: Required<LinkModelOptions>;

  constructor(
    private readonly declared: Pick<NodeSpec, "latencyMs" | "bandwidthMBps">,
    options: LinkModelOptions = {},
  ) {
    this.o = { alpha: 0.1, minSamples: 3, minSizeSpread: 0.25, ...options };
  }

  observe(bytes: number, overheadMs: number): void {
    if (!(bytes >= 0) || !Number.isFinite(overheadMs)) return;
    const keep = 1 - Math.max(this.o.alpha, 1 / (this.n + 1));
    this.w = keep * this.w + 1;
    this.sx = keep * this.sx + bytes;
    this.sy = keep * this.sy + Math.max(0, overheadMs);
    this.sxx = keep * this.sxx + bytes * bytes;
    this.sxy = keep * this.sxy + bytes * Math.max(0, overheadMs);
    this.n++;
  }

  get samples(): number {
    return this.n;
  }

  /** Milliseconds per byte, when the data identify it. */
  private slope(): number | null {
    if (this.n < this.o.minSamples) return null;
    const mx = this.sx / this.w;
    const varX = this.sxx / this.w - mx * mx;
    if (!(varX > 0) || Math.sqrt(varX) < this.o.minSizeSpread * mx) return null;
    const b = (this.sxy / this.w - mx * (this.sy / this.w)) / varX;
    return b > 0 ? b : null;
  }

  /** Learned bandwidth (MB/s), or null while it is not identifiable. */
  bandwidthMBps(): number | null {
    const b = this.slope();
    return b === null ? null : 1 / (b * 1_000);
  }

  /** Learned round trip (ms), or null before `minSamples`. */
  rttMs(): number | null {
    if (this.n < this.o.minSamples) return null;
    const mx = this.sx / this.w;
    const my = this.sy / this.w;
    const b = this.slope() ?? 1 / (this.declared.bandwidthMBps * 1_000);
    return Math.max(0, my - b * mx);
  }
}

export interface NodeStatsOptions {
  readonly link?: LinkModelOptions;
  readonly heartbeat?: HeartbeatDetectorOptions;
  readonly progress?: ProgressDetectorOptions;
  readonly probe?: SpeedProbeOptions;
  /** EW weight of error and timeout rates (per call). Default 0.1. */
  readonly rateAlpha?: number;
}

/** Why a node is out of the plane (LearningScheduler.nodeDown). */
export type NodeOut = "unresponsive" | "quarantined";

export class NodeStatsTracker {
  spec: NodeSpec;
  link: LinkModel;
  readonly heartbeats: HeartbeatDetector;
  readonly progress: ProgressDetector;
  /** Its heartbeats' speed probes. */
  readonly probe: SpeedProbe;
  /** Per completed call: 1 if it failed. */
  readonly errorRate: Ewma;
  /** Per call that ended (completed or timed out): 1 if it timed out. */
  readonly timeoutRate: Ewma;
  /** Successful calls' run time on the node (ms). */
  readonly serviceMs: Ewma;
  load: NodeLoad | null = null;
  loadAt = -Infinity;
  /** Calls the node reported beyond ours when it last reported (other shards' work). */
  private foreign = 0;
  /** Our attempts out on the node (dispatched, not completed, timed out or abandoned). */
  readonly open = new Set<string>();
  /** Those of `open` not holding one of its slots yet, in dispatch order (the scheduler's promote). */
  readonly queued = new Set<string>();
  /**
   * Out of the plane since `at`: unresponsive (it may come back, and a call no live node can take
   * may still be tried there), or quarantined (its answers no longer count: never placed on).
   */
  out: { readonly why: NodeOut; readonly at: number } | null = null;

  constructor(
    spec: NodeSpec,
    private readonly o: NodeStatsOptions,
  ) {
    this.spec = spec;
    this.link = new LinkModel(spec, o.link);
    this.heartbeats = new HeartbeatDetector(o.heartbeat);
    this.progress = new ProgressDetector(o.progress);
    this.probe = new SpeedProbe(o.probe);
    this.errorRate = new Ewma(o.rateAlpha ?? 0.1, 0);
    this.timeoutRate = new Ewma(o.rateAlpha ?? 0.1, 0);
    this.serviceMs = new Ewma(o.rateAlpha ?? 0.1);
  }

  /** A new spec for the node: the link is learned again if its declared figures changed. */
  respec(spec: NodeSpec): void {
    if (spec.latencyMs !== this.spec.latencyMs || spec.bandwidthMBps !== this.spec.bandwidthMBps) this.link = new LinkModel(spec, this.o.link);
    this.spec = spec;
  }

  heartbeat(load: NodeLoad, now: number): void {
    this.heartbeats.arrive(now);
    this.probe.observe(load.probeMs);
    if (now >= this.loadAt) {
      this.load = load;
      this.loadAt = now;
      // Compared with ours *now*: a report is a snapshot, and comparing it later with a count
      // that has moved on (our calls finished since) would invent work that is not there.
      this.foreign = Math.max(0, load.queue + load.inFlight - this.open.size);
    }
  }

  /** Calls it reported beyond ours at its last report (other shards' work, or calls we lost track of). */
  foreignCalls(): number {
    return this.foreign;
  }

  /** Mean heartbeat interval, once two were seen (null before: the detector still runs on its first estimate). */
  heartbeatIntervalMs(): number | null {
    return this.heartbeats.samples < 2 ? null : this.heartbeats.meanIntervalMs;
  }

  /** Time since the last heartbeat in mean intervals (1 for a node that does not heartbeat). */
  heartbeatLateness(now: number): number {
    const last = this.heartbeats.lastArrival;
    return last === null ? 1 : Math.max(0, now - last) / this.heartbeats.meanIntervalMs;
  }

  phi(now: number): { heartbeat: number; progress: number } {
    return { heartbeat: this.heartbeats.phi(now), progress: this.progress.phi(now) };
  }
}
