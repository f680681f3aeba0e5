/**
 * Baseline policies for `paxflow simulate`, behind the same LearningScheduler interface as
 * paxflow so that one simulated plane drives them all. They share the static adapter's
 * bookkeeping and fixed heartbeat-silence detector (so they notice crashes and re-run lost
 * work), never speculate, and respect capabilities:
 *
 * - round-robin: the next able node in a rotation over all nodes;
 * - random: a seeded uniform pick among able nodes;
 * - least-loaded: the able node with the fewest of our calls queued or running (ties: faster);
 * - heft: the node of the HEFT plan (heft.ts), predicted as planned (the wait until its planned
 *   start counts towards its deadline); a call that must go elsewhere (its planned node is down
 *   or failed it) goes to the next node in its planned ranking.
 */
import type { PlacementNode } from "../../jobs/placement.ts";
import type { Placement } from "../../jobs/placement.ts";
import { Random } from "../random.ts";
import type { HeftPlan } from "./heft.ts";
import { type Request, TrackingScheduler, type TrackingOptions } from "./static-scheduler.ts";

export class RoundRobinScheduler extends TrackingScheduler {
  private next = 0;
  protected choose(request: Request, usable: readonly PlacementNode[]): Placement {
    const order = [...this.nodes.keys()];
    for (let i = 0; i < order.length; i++) {
      const id = order[(this.next + i) % order.length]!;
      const node = usable.find((n) => n.spec.id === id);
      if (!node) continue;
      this.next = (this.next + i + 1) % order.length;
      return this.single(request, node, "next in the rotation");
    }
    return this.single(request, usable[0]!, "next in the rotation");
  }
}

export class RandomScheduler extends TrackingScheduler {
  private readonly rng: Random;
  constructor(seed: number, options: TrackingOptions = {}) {
    super(options);
    this.rng = new Random(seed);
  }
  protected choose(request: Request, usable: readonly PlacementNode[]): Placement {
    return this.single(request, this.rng.pick(usable), "picked at random");
  }
}

export class LeastLoadedScheduler extends TrackingScheduler {
  protected choose(request: Request, usable: readonly PlacementNode[]): Placement {
    let best = usable[0]!;
    for (const node of usable.slice(1)) {
      const d = this.inFlight(node.spec.id) - this.inFlight(best.spec.id);
      if (d < 0 || (d === 0 && node.spec.speed.cpu > best.spec.speed.cpu)) best = node;
    }
    return this.single(request, best, `fewest calls in flight (${this.inFlight(best.spec.id)})`);
  }
}

export class HeftScheduler extends TrackingScheduler {
  constructor(
    readonly plan: HeftPlan,
    /** Stage ref -> task id. */
    private readonly taskOf: (ref: string) => string,
    options: TrackingOptions = {},
  ) {
    super(options);
  }
  protected choose(request: Request, usable: readonly PlacementNode[]): Placement {
    const task = this.taskOf(request.stage.ref);
    const ranked = this.plan.ranking.get(task) ?? [];
    for (const [i, id] of ranked.entries()) {
      const node = usable.find((n) => n.spec.id === id);
      if (!node) continue;
      if (i > 0) return this.single(request, node, `HEFT's choice number ${i + 1} for this task`);
      // The plan's own prediction: a call sent out at time 0 waits for its planned start (its deadline counts from then).
      const { start, finish } = this.plan.assignments.get(task)!;
      const runMs = finish - start;
      const winner = { node: id, waitMs: Math.max(0, start - request.now), transferMs: 0, runMs, finishAt: Math.max(finish, request.now + runMs) };
      return { ok: true, winner, alternatives: [winner], reason: `${id}: planned by HEFT` };
    }
    return this.single(request, usable[0]!, "no node HEFT ranked is usable");
  }
}
