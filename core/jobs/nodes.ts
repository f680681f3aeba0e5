/**
 * Who may stay registered (issue 14): a registration must be newer than the one it replaces, a
 * shard holds at most MAX_NODES runners, and a runner silent for NODE_EXPIRY_MS is dropped.
 * Pure: the driver passes the time and what it heard; the drop itself is a decision in the log
 * (node.removed), so every replica drops the node at the same slot.
 */
import type { NodeId, NodeSpec } from "./decisions.ts";
import type { NodeRecord } from "./state.ts";

export const DEFAULT_MAX_NODES = 1_000;
export const DEFAULT_NODE_EXPIRY_MS = 24 * 60 * 60 * 1_000;
/** Shorter would drop runners that only missed a few heartbeats (they come every second) in a network blip. */
export const MIN_NODE_EXPIRY_MS = 60_000;

/**
 * Whether a registration signed at `signedAt` (the runner's x-paxflow-timestamp) may replace the
 * node's current one. Not newer is a replay, or an old registration rolling the spec back.
 * Entries written before registrations carried their signature's time compare as newer.
 */
export const newerRegistration = (current: Pick<NodeRecord, "signedAt"> | undefined, signedAt: number | undefined): boolean =>
  current?.signedAt === undefined || signedAt === undefined || signedAt > current.signedAt;

/** JSON with every object's keys in order: a spec that went through the log may list its fields in another order. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );

const sameSpec = (a: NodeSpec, b: NodeSpec): boolean => canonicalJson(a) === canonicalJson(b);

/** `current`: it is the node's registration already (a retry of one that was chosen): nothing to propose. */
export type Admission =
  | { readonly ok: true; readonly current: boolean }
  | { readonly ok: false; readonly code: "stale-registration" | "too-many-nodes"; readonly message: string };

/** Whether a runner's registration is taken, given the node as the shard has it and how many nodes it holds. */
export function admitRegistration(spec: NodeSpec, current: NodeRecord | undefined, signedAt: number, registered: number, maxNodes: number): Admission {
  const id = spec.id;
  // The same signed registration again (a caller retrying after a timeout that hid its commit)
  // changes nothing, so it is answered as taken rather than as a rollback.
  if (current?.signedAt === signedAt && sameSpec(current.spec, spec)) return { ok: true, current: true };
  if (!newerRegistration(current, signedAt)) {
    return {
      ok: false,
      code: "stale-registration",
      message: `registration of "${id}" signed at ${signedAt} is not newer than its current one (signed at ${current!.signedAt}): a replayed or outdated registration cannot roll the node back`,
    };
  }
  if (current === undefined && registered >= maxNodes) {
    return {
      ok: false,
      code: "too-many-nodes",
      message: `${registered} nodes are registered, the most MAX_NODES allows (${maxNodes}): remove one (DELETE /v1/nodes/:id), wait for silent ones to expire (NODE_EXPIRY_MS), or raise MAX_NODES`,
    };
  }
  return { ok: true, current: false };
}

/** When a node last showed signs of life as far as the leader can tell. */
export interface Hearing {
  /** The last heartbeat this leader received from it (heartbeats are not in the log). */
  readonly heartbeatAt?: number;
  /** When this leader began to lead: it cannot know of heartbeats before that, so it counts from there. */
  readonly leadingSince: number;
}

/**
 * The runners silent for `expiryMs` at `now`, and when the next one will be, given what the
 * leader heard (`hearing`). A node counts as heard at its latest registration or status change
 * (in the log), its last heartbeat, and when this leader took over. Quarantined nodes stay: the
 * verdict must outlive the runner, or it could come back under the same id trusted again.
 */
export function expiredNodes(
  nodes: Iterable<NodeRecord>,
  hearing: (id: NodeId) => Hearing,
  now: number,
  expiryMs: number,
): { readonly expired: readonly { readonly id: NodeId; readonly silentMs: number }[]; readonly nextAt: number | null } {
  const expired: { id: NodeId; silentMs: number }[] = [];
  let nextAt: number | null = null;
  for (const node of nodes) {
    if (node.status === "quarantined") continue;
    const heard = hearing(node.spec.id);
    const last = Math.max(node.since, heard.heartbeatAt ?? -Infinity, heard.leadingSince);
    if (now - last >= expiryMs) expired.push({ id: node.spec.id, silentMs: now - last });
    else nextAt = Math.min(nextAt ?? Infinity, last + expiryMs);
  }
  return { expired, nextAt };
}
