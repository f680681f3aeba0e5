/**
 * HEFT (Topcuoglu, Hariri & Wu 2002), the classic offline list scheduler, as the baseline that
 * knows the whole DAG in advance. Each slot of each node is one processor (slots of a node
 * share its data, so moving between them is free).
 *
 * 1. Upward rank: rank(t) = mean cost of t over the processors able to run it
 *    + max over its consumers s of (mean communication cost t→s + rank(s)), where the mean
 *    communication cost is latency + bytes / bandwidth (the classic choice, ignoring that two
 *    tasks on one node communicate for free).
 * 2. In decreasing rank, each task goes to the processor with the earliest finish time, where
 *    it may be inserted into an idle gap between tasks already placed there (insertion-based).
 *
 * It plans once, at time 0, with the declared runtimes: it never sees the estimate noise or the
 * faults. The simulator executes the plan as a static schedule: each call is made when its
 * inputs are done (as a job's are: the plane sends no call before its input exists) and sent to
 * its planned node, and each slot runs its tasks in planned order.
 */
import { canRun, type Cluster, transferMs } from "./cluster.ts";
import { type Dag, successors, taskCaps, topologicalOrder } from "./dag.ts";

export interface HeftAssignment {
  readonly node: string;
  readonly slot: number;
  /** Planned start and finish, ms from the start. */
  readonly start: number;
  readonly finish: number;
}

export interface HeftPlan {
  readonly assignments: ReadonlyMap<string, HeftAssignment>;
  /** Per task, the nodes able to run it, best (earliest planned finish when it was placed) first. */
  readonly ranking: ReadonlyMap<string, readonly string[]>;
  readonly rank: ReadonlyMap<string, number>;
  /** Planned makespan (ms). */
  readonly makespan: number;
}

export function heftPlan(dag: Dag, cluster: Cluster): HeftPlan {
  const byId = new Map(dag.tasks.map((t) => [t.id, t]));
  const consumers = successors(dag);
  const topo = topologicalOrder(dag);
  const topoIndex = new Map(topo.map((id, i) => [id, i]));
  const procs = cluster.nodes.flatMap((node) => Array.from({ length: node.slots }, (_, slot) => ({ node, slot, busy: [] as [number, number][] })));
  const cost = (id: string, speed: number) => (byId.get(id)!.runtime * 1000) / speed;
  /** Bytes t reads from each producer (summed over repeated inputs). */
  const reads = (id: string) => {
    const m = new Map<string, number>();
    for (const i of byId.get(id)!.inputs) m.set(i.from, (m.get(i.from) ?? 0) + i.bytes);
    return m;
  };

  const rank = new Map<string, number>();
  for (const id of [...topo].reverse()) {
    const able = procs.filter((p) => canRun(p.node, taskCaps(byId.get(id)!)));
    const mean = able.reduce((s, p) => s + cost(id, p.node.speed), 0) / able.length;
    let tail = 0;
    for (const next of consumers.get(id)!) {
      const bytes = reads(next).get(id)!;
      tail = Math.max(tail, transferMs(cluster.network, bytes) + rank.get(next)!);
    }
    rank.set(id, mean + tail);
  }

  const order = [...topo].sort((a, b) => rank.get(b)! - rank.get(a)! || topoIndex.get(a)! - topoIndex.get(b)!);
  const assignments = new Map<string, HeftAssignment>();
  const ranking = new Map<string, string[]>();
  for (const id of order) {
    const task = byId.get(id)!;
    const inputs = reads(id);
    const bestPerNode = new Map<string, number>();
    let best: { p: (typeof procs)[number]; start: number; finish: number } | null = null;
    for (const p of procs) {
      if (!canRun(p.node, taskCaps(task))) continue;
      let ready = 0;
      for (const [from, bytes] of inputs) {
        const a = assignments.get(from)!;
        ready = Math.max(ready, a.finish + (a.node === p.node.id ? 0 : transferMs(cluster.network, bytes)));
      }
      const w = cost(id, p.node.speed);
      const start = earliestGap(p.busy, ready, w);
      const finish = start + w;
      if (!best || finish < best.finish) best = { p, start, finish };
      bestPerNode.set(p.node.id, Math.min(bestPerNode.get(p.node.id) ?? Infinity, finish));
    }
    const { p, start, finish } = best!;
    p.busy.push([start, finish]);
    p.busy.sort((x, y) => x[0] - y[0]);
    assignments.set(id, { node: p.node.id, slot: p.slot, start, finish });
    ranking.set(id, [...bestPerNode.entries()].sort((x, y) => x[1] - y[1]).map(([node]) => node));
  }
  const makespan = Math.max(...[...assignments.values()].map((a) => a.finish));
  return { assignments, ranking, rank, makespan };
}

/** The earliest start >= ready of a gap of length w among sorted busy intervals (insertion policy). */
function earliestGap(busy: readonly [number, number][], ready: number, w: number): number {
  let t = ready;
  for (const [s, f] of busy) {
    if (f <= t) continue;
    if (s - t >= w) return t;
    t = Math.max(t, f);
  }
  return t;
}
