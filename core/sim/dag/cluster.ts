/**
 * The simulated cluster: nodes (speed relative to the machine the runtimes were declared on,
 * capabilities, slots), one network (latency, bandwidth) between every pair of nodes, how
 * wrong the declared runtimes are (`estimateNoise`: the real runtime is declared × e^(σ·Z),
 * a log-normal factor with median 1 that the scheduler never sees), and faults on a timeline.
 *
 *   { "nodes": [ { "id": "n1", "speed": 4, "caps": ["cpu", "simd"], "slots": 2 } ],
 *     "network": { "latencyMs": 5, "bandwidthMBps": 100 },
 *     "estimateNoise": 0.5,
 *     "faults": [ { "node": "n1", "at": 30, "kind": "slow", "factor": 5 }, { "node": "n1", "at": 90, "kind": "recover" } ] }
 *
 * `crash`: the node stops (its queued and running calls are lost, it stops heartbeating);
 * `slow`: it keeps heartbeating normally but runs `factor` times slower from `at` on;
 * `recover`: undoes either (a crashed node comes back empty).
 */
import type { Cap } from "../../sdk/caps.ts";
import type { NodeSpec } from "../../jobs/decisions.ts";
import { type Dag, SimInputError, caps, number, taskCaps, unknownFields } from "./dag.ts";

export interface ClusterNode {
  readonly id: string;
  readonly speed: number;
  readonly caps: readonly Cap[];
  readonly slots: number;
}

export type FaultKind = "crash" | "slow" | "recover";

export interface Fault {
  readonly node: string;
  /** Seconds from the start of the run. */
  readonly at: number;
  readonly kind: FaultKind;
  /** "slow" only: how many times slower (>= 1). */
  readonly factor?: number;
}

export interface Network {
  readonly latencyMs: number;
  readonly bandwidthMBps: number;
}

export interface Cluster {
  readonly nodes: readonly ClusterNode[];
  readonly network: Network;
  /** σ of the log-normal factor between declared and real runtimes (0: exact estimates). */
  readonly estimateNoise: number;
  readonly faults: readonly Fault[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? "nothing" : JSON.stringify(v));

/** Validates a parsed JSON value as a cluster; throws SimInputError naming the first problem. */
export function parseCluster(raw: unknown): Cluster {
  if (!isObject(raw)) throw new SimInputError(`a cluster must be an object { nodes, network, estimateNoise?, faults? }, got ${show(raw)}`);
  unknownFields(raw, ["nodes", "network", "estimateNoise", "faults"], "cluster");
  if (!Array.isArray(raw.nodes) || raw.nodes.length === 0) throw new SimInputError(`cluster nodes must be a non-empty array, got ${show(raw.nodes)}`);
  const seen = new Map<string, number>();
  const nodes = raw.nodes.map((n: unknown, i: number): ClusterNode => {
    if (!isObject(n)) throw new SimInputError(`nodes[${i}] must be an object, got ${show(n)}`);
    if (typeof n.id !== "string" || n.id === "") throw new SimInputError(`nodes[${i}].id must be a non-empty string, got ${show(n.id)}`);
    const where = `node "${n.id}" (nodes[${i}])`;
    const earlier = seen.get(n.id);
    if (earlier !== undefined) throw new SimInputError(`duplicate node id "${n.id}" (nodes[${earlier}] and nodes[${i}])`);
    seen.set(n.id, i);
    unknownFields(n, ["id", "speed", "caps", "slots"], where);
    if (!Number.isInteger(n.slots) || (n.slots as number) < 1) throw new SimInputError(`${where}.slots must be an integer >= 1, got ${show(n.slots)}`);
    return { id: n.id, speed: number(n.speed, `${where}.speed`, true), caps: caps(n.caps, `${where}.caps`), slots: n.slots as number };
  });
  if (!isObject(raw.network)) throw new SimInputError(`cluster network must be an object { latencyMs, bandwidthMBps }, got ${show(raw.network)}`);
  unknownFields(raw.network, ["latencyMs", "bandwidthMBps"], "network");
  const network = { latencyMs: number(raw.network.latencyMs, "network.latencyMs"), bandwidthMBps: number(raw.network.bandwidthMBps, "network.bandwidthMBps", true) };
  const estimateNoise = raw.estimateNoise === undefined ? 0 : number(raw.estimateNoise, "estimateNoise");
  const faultsRaw = raw.faults ?? [];
  if (!Array.isArray(faultsRaw)) throw new SimInputError(`cluster faults must be an array, got ${show(raw.faults)}`);
  const faults = faultsRaw.map((f: unknown, i: number): Fault => {
    const where = `faults[${i}]`;
    if (!isObject(f)) throw new SimInputError(`${where} must be an object { node, at, kind, factor? }, got ${show(f)}`);
    unknownFields(f, ["node", "at", "kind", "factor"], where);
    if (typeof f.node !== "string" || !seen.has(f.node)) throw new SimInputError(`${where}.node: unknown node ${show(f.node)} (nodes: ${[...seen.keys()].join(", ")})`);
    if (f.kind !== "crash" && f.kind !== "slow" && f.kind !== "recover") throw new SimInputError(`${where}.kind must be "crash", "slow" or "recover", got ${show(f.kind)}`);
    const at = number(f.at, `${where}.at`);
    if (f.kind === "slow") {
      const factor = number(f.factor, `${where}.factor`, true);
      if (factor < 1) throw new SimInputError(`${where}.factor must be >= 1 (times slower), got ${factor}`);
      return { node: f.node, at, kind: "slow", factor };
    }
    if (f.factor !== undefined) throw new SimInputError(`${where}: only a "slow" fault takes a factor`);
    return { node: f.node, at, kind: f.kind };
  });
  return { nodes, network, estimateNoise, faults: [...faults].sort((a, b) => a.at - b.at) };
}

export const canRun = (node: ClusterNode, needs: readonly Cap[]): boolean => needs.every((c) => node.caps.includes(c));

/**
 * Checks that the DAG can finish on the cluster: every task has a node with its capabilities,
 * and not all of them crash for good (a node whose last fault is a crash never comes back).
 */
export function checkRunnable(dag: Dag, cluster: Cluster): void {
  const deadForGood = new Set<string>();
  for (const f of cluster.faults) {
    if (f.kind === "crash") deadForGood.add(f.node);
    else if (f.kind === "recover") deadForGood.delete(f.node);
  }
  for (const task of dag.tasks) {
    const needs = taskCaps(task);
    const able = cluster.nodes.filter((n) => canRun(n, needs));
    if (able.length === 0) throw new SimInputError(`task "${task.id}" needs ${needs.join(", ")}, and no node has ${needs.length > 1 ? "them all" : "it"}`);
    if (able.every((n) => deadForGood.has(n.id))) {
      throw new SimInputError(`task "${task.id}" needs ${needs.join(", ")}, and every node that has it (${able.map((n) => n.id).join(", ")}) crashes and never recovers`);
    }
  }
}

/** The scheduler's view of a simulated node: a runner at the network's latency and bandwidth. */
export const nodeSpec = (node: ClusterNode, network: Network): NodeSpec => ({
  id: node.id,
  kind: "runner",
  caps: node.caps,
  speed: { cpu: node.speed, simd: node.speed },
  slots: node.slots,
  latencyMs: network.latencyMs,
  bandwidthMBps: network.bandwidthMBps,
});

/** Milliseconds to move `bytes` between two different nodes. */
export const transferMs = (network: Network, bytes: number): number => network.latencyMs + bytes / (network.bandwidthMBps * 1_000);
