/**
 * Where a call runs: the backend with the earliest predicted finish. For each node that has
 * the stage's capabilities,
 *
 *   finish = now + wait (until the node has a free slot)
 *                + transfer (latency both ways + input and output bytes over its bandwidth;
 *                  no input bytes where the input already is)
 *                + run (the cost model at that node's speed)
 *
 * which covers the three cases the design asks for: run where the data is (no transfer), run
 * on a faster node and ship the result back, or go to a weaker node that is free sooner.
 */
import type { StageSpec } from "../sdk/stage.ts";
import type { Value } from "../codec.ts";
import { type Candidate, INLINE_NODE, type NodeId, type NodeSpec, type SpeedProfile } from "./decisions.ts";

export interface PlacementNode {
  readonly spec: NodeSpec;
  /** When a slot frees up at the earliest (<= now: free now), from the calls we sent it. */
  readonly freeAt: number;
  /** Calls it reported queued or running beyond ours (other shards' work): each waits like this one. */
  readonly foreignCalls?: number;
}

export interface PlacementRequest {
  readonly stage: Pick<StageSpec<Value, Value>, "caps" | "cost" | "kernel"> & { readonly ref: string };
  /** Encoded input size in bytes: the cost model's n. */
  readonly inputBytes: number;
  /** Bytes of the input already on a node (it produced them): those are not moved there. Absent: every node fetches all of it. */
  readonly inputOn?: InputOn;
  readonly now: number;
  /** Nodes this call must not go to (they timed out on it). */
  readonly exclude: ReadonlySet<NodeId>;
  /** The commander runs a call itself only when its predicted runtime is at most this. */
  readonly inlineMaxMs: number;
  /** Run time (ms at each node's speed) already placed on nodes in this pass, not yet in the log. */
  readonly placedMs?: ReadonlyMap<NodeId, number>;
}

export type InputOn = ReadonlyMap<NodeId, number>;

/** Input bytes a node would have to fetch. */
export const movedInputBytes = (inputBytes: number, inputOn: InputOn | undefined, node: NodeId): number =>
  Math.max(0, inputBytes - (inputOn?.get(node) ?? 0));

/** Why no node was chosen: none can take the call, or the stage's cost model gave no usable figure. */
export type PlacementFailure = "no-node" | "cost-model";

export type Placement =
  | { readonly ok: true; readonly winner: Candidate; readonly alternatives: readonly Candidate[]; readonly reason: string }
  | { readonly ok: false; readonly cause: PlacementFailure; readonly reason: string };

/**
 * Why a stage's cost model cannot place a call of n input bytes, or null when it can: both of
 * its functions must give a finite number >= 0. A NaN would make every node's predicted finish
 * NaN, and the call would be placed nowhere, for ever; the job fails instead, saying why.
 */
export function costModelProblem(stage: PlacementRequest["stage"], n: number): string | null {
  for (const fn of ["runtimeMs", "outputBytes"] as const) {
    const value = stage.cost[fn](n);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      return `${stage.ref}'s cost model: cost.${fn}(${n}) returned ${String(value)} (it takes n, the encoded input's size in bytes, and must return a finite number >= 0)`;
    }
  }
  return null;
}

export function speedFor(speed: SpeedProfile, stage: PlacementRequest["stage"]): number {
  return speed.stages?.[stage.ref] ?? (stage.kernel && speed.simd !== undefined ? speed.simd : speed.cpu);
}

const bytesPerMs = (spec: NodeSpec) => spec.bandwidthMBps * 1_000;

export function predict(node: PlacementNode, request: PlacementRequest): Candidate {
  const { spec } = node;
  const n = request.inputBytes;
  const runMs = Math.max(0, request.stage.cost.runtimeMs(n)) / speedFor(spec.speed, request.stage);
  const outBytes = Math.max(0, request.stage.cost.outputBytes(n));
  const movedIn = movedInputBytes(n, request.inputOn, spec.id);
  const transferMs = spec.kind === "inline" ? 0 : 2 * spec.latencyMs + (movedIn + outBytes) / bytesPerMs(spec);
  const queuedMs = (node.foreignCalls ?? 0) * runMs + (request.placedMs?.get(spec.id) ?? 0);
  const waitMs = Math.max(0, node.freeAt - request.now) + queuedMs / Math.max(1, spec.slots);
  return { node: spec.id, finishAt: request.now + waitMs + transferMs + runMs, waitMs, transferMs, runMs };
}

const fmt = (ms: number) => (ms >= 10 ? ms.toFixed(0) : ms.toPrecision(2));

const explain = (c: Candidate) => `wait ${fmt(c.waitMs)} + transfer ${fmt(c.transferMs)} + run ${fmt(c.runMs)} ms`;

/**
 * The order to place calls that became ready together: longest declared run first (ties in the
 * order given). Placed one by one at their earliest finish, the long calls take the fast nodes
 * and the short ones fill in around them, the classic longest-processing-time-first rule;
 * placing in arrival order instead can leave the longest call of a fan-out queued behind short
 * ones, or on a slow node, and the whole fan-out waits for it.
 */
export function longestFirst<T>(items: readonly T[], declaredRunMs: (item: T) => number): T[] {
  const runMs = items.map(declaredRunMs);
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => runMs[b.i]! - runMs[a.i]! || a.i - b.i)
    .map(({ item }) => item);
}

export function place(request: PlacementRequest, nodes: readonly PlacementNode[]): Placement {
  const broken = costModelProblem(request.stage, request.inputBytes);
  if (broken !== null) return { ok: false, cause: "cost-model", reason: broken };
  const needs = request.stage.caps;
  const able = nodes.filter((node) => needs.every((cap) => node.spec.caps.includes(cap)));
  const usable = able.filter((node) => !request.exclude.has(node.spec.id));
  const candidates = usable
    .map((node) => predict(node, request))
    .filter((c) => c.node !== INLINE_NODE || c.runMs <= request.inlineMaxMs)
    // Stable order on ties: the order nodes were given in (inline, worker, then runners).
    .sort((a, b) => a.finishAt - b.finishAt);
  const winner = candidates[0];
  if (!winner) {
    const why = able.length === 0 ? `no node has the capabilities ${needs.join(", ")}` : `every node with ${needs.join(", ")} already timed out on this call`;
    return { ok: false, cause: "no-node", reason: why };
  }
  const next = candidates[1];
  let reason: string;
  if (winner.node === INLINE_NODE) {
    reason = next
      ? `inline: run ${fmt(winner.runMs)} ms here beats dispatch to ${next.node} (${explain(next)})`
      : `inline: the only node able to run it`;
  } else {
    reason = next
      ? `${winner.node} finishes first (${explain(winner)}); next best ${next.node} ${fmt(next.finishAt - winner.finishAt)} ms later`
      : `${winner.node} is the only node able to run it (${explain(winner)})`;
  }
  return { ok: true, winner, alternatives: candidates, reason };
}
