/**
 * `place` from core/jobs/placement.ts behind the LearningScheduler interface, learning nothing:
 * the declared runtimes at the declared speeds, node availability from the attempts in flight,
 * and a fixed failure detector (a node silent for `suspectAfter` heartbeat intervals is
 * suspect, for `failAfter` failed). It is the "paxflow without learning" ablation of
 * `paxflow simulate` and the base of the baseline policies (round-robin, random,
 * least-loaded, HEFT), which share its bookkeeping and detector and differ in `choose`.
 */
import type { Candidate, NodeId, NodeLoad, NodeSpec } from "../../jobs/decisions.ts";
import { type Placement, type PlacementNode, type PlacementRequest, place, predict } from "../../jobs/placement.ts";
import type {
  LearningScheduler,
  LoadForecast,
  NodeStats,
  NodeSuspicion,
  ObservedCompletion,
  ObservedDispatch,
  SpeculationAdvice,
} from "../../sched/scheduler.ts";

export interface TrackingOptions {
  /** The heartbeat period nodes were told (ms). Default 1000. */
  readonly heartbeatMs?: number;
  /** Silence, in heartbeat periods, after which a node is suspect / failed. Defaults 2.5 and 4. */
  readonly suspectAfter?: number;
  readonly failAfter?: number;
}

interface Tracked {
  spec: NodeSpec;
  up: boolean;
  lastBeat: number;
  load: NodeLoad | null;
  dispatched: number;
  timeouts: number;
}

export type Request = Omit<PlacementRequest, "inlineMaxMs">;

/** Bookkeeping shared by the non-learning schedulers; subclasses pick the node. */
export abstract class TrackingScheduler implements LearningScheduler {
  protected readonly nodes = new Map<NodeId, Tracked>();
  /** Attempts in flight by key, in dispatch order. */
  protected readonly open = new Map<string, ObservedDispatch>();
  private readonly o: Required<TrackingOptions>;

  constructor(options: TrackingOptions = {}) {
    this.o = { heartbeatMs: 1_000, suspectAfter: 2.5, failAfter: 4, ...options };
  }

  nodeUp(spec: NodeSpec, now: number): void {
    const known = this.nodes.get(spec.id);
    this.nodes.set(spec.id, { spec, up: true, lastBeat: now, load: null, dispatched: known?.dispatched ?? 0, timeouts: known?.timeouts ?? 0 });
  }

  nodeDown(node: NodeId): void {
    const n = this.nodes.get(node);
    if (n) n.up = false;
    for (const [key, d] of this.open) if (d.node === node) this.open.delete(key);
  }

  nodeRemoved(node: NodeId): void {
    this.nodeDown(node);
    this.nodes.delete(node);
  }

  heartbeat(node: NodeId, load: NodeLoad, now: number): void {
    const n = this.nodes.get(node);
    if (!n) return;
    n.lastBeat = now;
    n.load = load;
  }

  dispatched(d: ObservedDispatch): void {
    this.open.set(d.key, d);
    const n = this.nodes.get(d.node);
    if (n) n.dispatched++;
  }

  completed(c: ObservedCompletion): void {
    const d = this.open.get(c.key);
    this.open.delete(c.key);
    // The first result wins: every other attempt of the call is cancelled.
    if (d && c.ok) for (const [key, other] of this.open) if (other.call === d.call) this.open.delete(key);
  }

  abandoned(key: string): void {
    this.open.delete(key);
  }

  timedOut(key: string): void {
    const d = this.open.get(key);
    if (!d) return;
    this.open.delete(key);
    const n = this.nodes.get(d.node);
    if (n) n.timeouts++;
  }

  place(request: Request): Placement {
    const usable = this.candidates(request);
    if (usable.length === 0) {
      const able = [...this.nodes.values()].some((n) => request.stage.caps.every((c) => n.spec.caps.includes(c)));
      return { ok: false, cause: "no-node", reason: able ? `every node with ${request.stage.caps.join(", ")} is excluded or down` : `no node has the capabilities ${request.stage.caps.join(", ")}` };
    }
    return this.choose(request, usable);
  }

  /** Picks among usable nodes (able, not excluded, up and not failed), given in registration order. */
  protected abstract choose(request: Request, usable: readonly PlacementNode[]): Placement;

  protected candidates(request: Request): PlacementNode[] {
    const out: PlacementNode[] = [];
    for (const n of this.nodes.values()) {
      if (!n.up || request.exclude.has(n.spec.id) || this.silence(n, request.now) >= this.o.failAfter) continue;
      if (!request.stage.caps.every((c) => n.spec.caps.includes(c))) continue;
      out.push({ spec: n.spec, freeAt: this.freeAt(n.spec, request.now) });
    }
    return out;
  }

  /**
   * When a slot frees up at the earliest: the attempts in flight there, in dispatch order, each
   * holding a slot for its predicted run time (what is left of it, if it should have started).
   */
  protected freeAt(spec: NodeSpec, now: number): number {
    const slots = new Array<number>(Math.max(1, spec.slots)).fill(0);
    for (const d of this.open.values()) {
      if (d.node !== spec.id) continue;
      const left = Math.min(d.predicted.runMs, Math.max(0, d.predicted.finishAt - now));
      let i = 0;
      for (let j = 1; j < slots.length; j++) if (slots[j]! < slots[i]!) i = j;
      slots[i]! += left;
    }
    return now + Math.min(...slots);
  }

  /** Calls in flight on a node (queued or running), as we dispatched them. */
  protected inFlight(node: NodeId): number {
    let n = 0;
    for (const d of this.open.values()) if (d.node === node) n++;
    return n;
  }

  protected single(request: Request, node: PlacementNode, why: string): Placement {
    const winner: Candidate = predict(node, { ...request, inlineMaxMs: 0 });
    return { ok: true, winner, alternatives: [winner], reason: `${node.spec.id}: ${why}` };
  }

  private silence(n: Tracked, now: number): number {
    return (now - n.lastBeat) / this.o.heartbeatMs;
  }

  stragglers(): SpeculationAdvice[] {
    return [];
  }

  suspicions(now: number): NodeSuspicion[] {
    return [...this.nodes.values()].map((n) => {
      const silent = this.silence(n, now);
      const verdict = !n.up || silent >= this.o.failAfter ? "failed" : silent >= this.o.suspectAfter ? "suspect" : "healthy";
      return { node: n.spec.id, phi: silent, anomaly: 0, verdict, reason: n.up ? `last heartbeat ${(silent * this.o.heartbeatMs / 1000).toFixed(1)} s ago` : "down" };
    });
  }

  forecast(): LoadForecast {
    return { next: 0, a: 0, b: 0, c: 0, intervalMs: this.o.heartbeatMs, recommendedRunners: [...this.nodes.values()].filter((n) => n.up).length };
  }

  stats(): NodeStats[] {
    return [...this.nodes.values()].map((n) => ({
      node: n.spec.id,
      rttMs: 2 * n.spec.latencyMs,
      bandwidthMBps: n.spec.bandwidthMBps,
      queue: n.load?.queue ?? 0,
      inFlight: this.inFlight(n.spec.id),
      errorRate: 0,
      timeoutRate: n.dispatched === 0 ? 0 : n.timeouts / n.dispatched,
      heartbeatIntervalMs: n.load ? this.o.heartbeatMs : null,
      runtimeScale: {},
    }));
  }
}

/** paxflow's placement without learning: the earliest predicted finish (core/jobs/placement.ts). */
class StaticScheduler extends TrackingScheduler {
  protected choose(request: Request, usable: readonly PlacementNode[]): Placement {
    return place({ ...request, inlineMaxMs: 0 }, usable);
  }
}

export function createStaticScheduler(options: TrackingOptions = {}): LearningScheduler {
  return new StaticScheduler(options);
}
