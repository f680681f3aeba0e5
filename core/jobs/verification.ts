/**
 * Result verification. Stages are pure, so two honest nodes give a call the same bytes: a call
 * chosen for verification (a sampled fraction, and every call of a new node's first few) runs on
 * two nodes, and its result is held until two of them agree. When they disagree a third node
 * decides; the node that disagrees with the majority is quarantined. All of it is decided from
 * the log (state.ts applies the rules; the commander adds the attempts), so every replica agrees
 * on which results were accepted and which nodes are trusted.
 */
import type { CallOutcome, NodeId } from "./decisions.ts";
import type { Payload } from "./payload.ts";

/** A held answer: one node's result for a call under verification. */
export interface Answer {
  readonly attempt: number;
  readonly node: NodeId;
  readonly outcome: CallOutcome<Payload>;
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** Results that must agree before a verified call's result is accepted. */
export const VERIFY_QUORUM = 2;

/** Equal payloads are equal values: the codec is canonical, and large ones are named by their SHA-256. */
export function sameOutcome(a: CallOutcome<Payload>, b: CallOutcome<Payload>): boolean {
  if (a.ok !== b.ok) return false;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.error.name === b.error.name && a.error.message === b.error.message;
  const [x, y] = [a.value, b.value];
  return x.bytes === y.bytes && ("inline" in x ? "inline" in y && x.inline === y.inline : "r2" in y && x.r2 === y.r2);
}

/** Answers grouped by equal outcome, largest group first (ties: the group answered first). */
export function groups(answers: readonly Answer[]): Answer[][] {
  const out: Answer[][] = [];
  for (const answer of answers) {
    const group = out.find((g) => sameOutcome(g[0]!.outcome, answer.outcome));
    if (group) group.push(answer);
    else out.push([answer]);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** The answers that count: one per node (its first), none from a distrusted (quarantined) node. */
export function countable(answers: readonly Answer[], distrusted: (node: NodeId) => boolean): Answer[] {
  const seen = new Set<NodeId>();
  return answers.filter((a) => {
    if (seen.has(a.node) || distrusted(a.node)) return false;
    seen.add(a.node);
    return true;
  });
}

/**
 * Agreeing answers a call under verification needs before one is accepted. Verification checks
 * the nodes the plane does not trust (runners): while one of them has answered the call or may
 * still (an attempt out), two must agree. Once every untrusted attempt has ended without an
 * answer, nothing is left to check, and one answer from the plane's own backends (inline, the
 * stage Worker) settles it: a runner that dies mid-verification does not leave its call waiting
 * for a third node that may not exist.
 */
export function quorumFor(answers: readonly Answer[], untrustedOut: boolean, trusted: (node: NodeId) => boolean): number {
  return untrustedOut || answers.some((a) => !trusted(a.node)) ? VERIFY_QUORUM : 1;
}

/**
 * How many more attempts a call needs so that it can reach `quorum` agreeing answers: the quorum,
 * less the largest agreeing group, less the attempts still running. A call with one answer short
 * and one attempt out needs nothing; two answers that disagree need a third.
 */
export function attemptsNeeded(quorum: number, answers: readonly Answer[], running: number): number {
  const agreeing = groups(answers)[0]?.length ?? 0;
  return Math.max(0, quorum - agreeing - running);
}

/**
 * Whether a call is in the sampled fraction: a hash of its identity, so every commander (and a
 * later audit) picks the same calls, and no randomness enters the decisions.
 */
export function sampled(job: string, seq: number, fraction: number): boolean {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  // FNV-1a over "job#seq", 32 bits.
  let h = 0x811c9dc5;
  for (const ch of `${job}#${seq}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32 < fraction;
}

/** The verification policy a commander applies when it dispatches (VERIFY_FRACTION, VERIFY_NEW_NODE_CALLS). */
export interface VerifyPolicy {
  /** Share of runner calls re-run on a second node, in [0, 1]. */
  readonly fraction: number;
  /** Every call of a runner's first this many dispatches is verified. */
  readonly newNodeCalls: number;
}

/**
 * VERIFY_FRACTION and VERIFY_NEW_NODE_CALLS when unset: a new runner's first 10 calls are checked
 * against a second node, so a runner that lies from the start is caught before its results
 * pile up (a cluster with no second node for a call runs it once, and says so in the reason).
 */
export const DEFAULT_VERIFY_POLICY: VerifyPolicy = { fraction: 0, newNodeCalls: 10 };

/** What GET /v1/cluster says of the policy; a warning when no call at all is verified. */
export function describePolicy(policy: VerifyPolicy): VerifyPolicy & { readonly warning?: string } {
  if (policy.fraction > 0 || policy.newNodeCalls > 0) return { ...policy };
  return {
    ...policy,
    warning: "result verification is off (VERIFY_NEW_NODE_CALLS=0, VERIFY_FRACTION=0): a runner's wrong results reach jobs unchecked",
  };
}

/**
 * Why a call dispatched to `node` must be verified, or null. `dispatchedBefore` is how many
 * calls the node was given before this one; `trusted` nodes (the plane's own backends) never are.
 */
export function verifyReason(policy: VerifyPolicy, call: { job: string; seq: number }, node: { id: NodeId; trusted: boolean; dispatchedBefore: number }): string | null {
  if (node.trusted) return null;
  if (node.dispatchedBefore < policy.newNodeCalls) return `new node: ${node.id}'s call ${node.dispatchedBefore + 1} of the first ${policy.newNodeCalls}`;
  if (sampled(call.job, call.seq, policy.fraction)) return `sampled (VERIFY_FRACTION ${policy.fraction})`;
  return null;
}
