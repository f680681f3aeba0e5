/**
 * What happens when an attempt of a stage call ends without a result or runs late, and when a
 * node looks like failing: the rules every leader applies (runtime/jobs/job-driver.ts) and the
 * schedule simulator models (core/sim/dag/simulate.ts), in one place so the simulator's figures
 * are the product's. Pure: the applied state, the placement and the clock's reading come in;
 * decisions to propose come out.
 */
import { type Draft, codeOf, jobCodeRefused } from "./advance.ts";
import { type Candidate, type Decision, type Ending, INLINE_NODE, type JobId, type NodeId } from "./decisions.ts";
import type { Placement, PlacementRequest } from "./placement.ts";
import { type AttemptRecord, type CallRecord, type JobRecord, type JobsState, type NodeStatus, type StageCall, heldAnswers, isOpen, otherCodeNodes, outstanding, pinnedDigest, refusalOf } from "./state.ts";
import { DEFAULT_VERIFY_POLICY, type VerifyPolicy, verifyReason } from "./verification.ts";
import { type Registry, jobRef } from "../sdk/registry.ts";
import type { NodeSuspicion } from "../sched/scheduler.ts";

/**
 * Attempts per call that may fail on a node (time out, be refused, answer what the majority did
 * not) before its job fails: a stage that fails everywhere is not going to finish. Attempts
 * orphaned by a commander that went away are not the stage's failure and do not count: a job
 * must not fail because its shard changed leader a few times.
 */
export const MAX_ATTEMPTS = 5;

/**
 * Attempts per call in all, orphaned ones included: the bound that stops a call from being sent
 * out again forever when its commanders keep going away (each orphaning takes a commander's
 * death, so a healthy shard never comes near it).
 */
export const MAX_TOTAL_ATTEMPTS = 50;

/** How a speculative backup's reason starts (the scheduler counts those apart). */
export const SPECULATIVE = "speculative backup";

/** A stage's timeout when it declares none. */
export const DEFAULT_STAGE_TIMEOUT_MS = 30_000;

export type { Ending };

/** An attempt the leader waits on. */
export interface AttemptRef {
  readonly job: JobId;
  readonly seq: number;
  readonly attempt: number;
  readonly node: NodeId;
}

/**
 * How long after its dispatch an attempt counts as lost: the wait its placement predicted (the
 * calls we queued ahead of it there are not the node's fault), then the stage's declared timeout,
 * longer in proportion on a node slower than the reference (a slow node is not a failed one),
 * plus the predicted time to move its data.
 */
export function attemptTimeoutMs(stageTimeoutMs: number, speed: number, predicted: Pick<Candidate, "waitMs" | "transferMs">): number {
  return predicted.waitMs + stageTimeoutMs / Math.min(1, speed) + predicted.transferMs;
}

/** What the rules consult besides the call: the applied state, the deployed code, and the leader's placement. */
export interface RecoveryContext {
  readonly state: JobsState;
  readonly registry: Registry;
  /** The commander incarnation deciding. */
  readonly by: string;
  readonly verify: VerifyPolicy | undefined;
  place(request: Omit<PlacementRequest, "inlineMaxMs">): Placement;
}

/** The attempts of a call the leader still waits on: a verified call has several out at once, any other call only its last. */
export function awaited(call: CallRecord): AttemptRecord[] {
  if (call.kind !== "stage" || call.state.is === "done") return [];
  return (call.state.is === "verifying" ? call.attempts : call.attempts.slice(-1)).filter(isOpen);
}

/**
 * Why a call must be verified now that an attempt goes to `node` (a new node's first calls, the
 * sample), or null. `earlierThisPass` counts the node's attempts decided in the same step.
 */
export function verifyReasonFor(ctx: RecoveryContext, call: { job: JobId; seq: number; stage: string }, node: NodeId, earlierThisPass: number): string | null {
  // A kernel's floating-point output differs between a GPU and the CPU reference within its
  // tolerance, so comparing bytes would blame honest nodes: SIMD stages are not verified.
  if (ctx.registry.stages.get(call.stage)?.kernel) return null;
  const dispatchedBefore = (ctx.state.node(node)?.dispatched ?? 0) + earlierThisPass;
  return verifyReason(ctx.verify ?? DEFAULT_VERIFY_POLICY, call, { id: node, trusted: ctx.state.trusted(node), dispatchedBefore });
}

/** Why a call not yet verified must be, now that another attempt goes to `node`; its other attempts count towards the agreement. */
function verifyOn(ctx: RecoveryContext, job: JobId, call: StageCall, node: NodeId): string | null {
  if (call.state.is === "verifying") return null;
  return verifyReasonFor(ctx, { job, seq: call.seq, stage: call.target }, node, 0);
}

/**
 * Whether an attempt that is ending must be replaced: for most calls, when it is the last one (a
 * backup may have superseded it); for a verified call, when the answers and the other attempts
 * out can no longer reach agreement without it.
 */
export function stillNeeded(state: JobsState, call: StageCall, attempt: number): boolean {
  if (call.state.is !== "verifying") return call.attempts.length === attempt;
  return state.attemptsNeeded(call, outstanding(call).filter((t) => t.attempt !== attempt)) > 0;
}

/** Whether an attempt died with the commander that dispatched it: nobody's failure. */
const orphaned = (t: AttemptRecord): boolean => t.status.is === "ended" && t.status.how === "orphaned";

/** Whether an attempt failed on its node (timed out, unreachable, refused): the node is not asked again first. */
const failedOnNode = (t: AttemptRecord): boolean => t.status.is === "ended" && t.status.how !== "orphaned";

/**
 * Why a call may have no further attempt, or null: MAX_ATTEMPTS of them not orphaned nor refused
 * for other code (every attempt that ran on a node and failed there, answered wrongly, or still
 * runs), or MAX_TOTAL_ATTEMPTS in all.
 */
export function outOfAttempts(call: StageCall): string | null {
  const orphans = call.attempts.filter(orphaned).length;
  const counted = call.attempts.length - orphans - call.attempts.filter(refusalOf).length;
  if (counted >= MAX_ATTEMPTS) {
    return `gave up after ${counted} attempts${orphans === 0 ? "" : ` (and ${orphans} more orphaned by commanders that went away, not counted)`}`;
  }
  if (call.attempts.length < MAX_TOTAL_ATTEMPTS) return null;
  return `gave up after ${call.attempts.length} attempts, ${orphans} of them orphaned by commanders that went away (MAX_TOTAL_ATTEMPTS ${MAX_TOTAL_ATTEMPTS})`;
}

/**
 * The next attempt of a call, on the best node that has not failed it yet (or, when every able
 * node has, the best of them again), while outOfAttempts allows; past that, or with no node able,
 * the job fails. A verified call's next attempt also avoids the nodes that answered it or still
 * run it: agreement needs other nodes. A node known to bundle other code for the stage
 * (state.ts otherCodeNodes) is never chosen: when no other node is left, the job fails with the
 * CodeMismatch a node refused the call with, naming both digests.
 */
export function nextAttempt(ctx: RecoveryContext, job: JobRecord, call: StageCall, now: number, why: string): Draft | Decision {
  // A job this commander would not run (other code: advance.ts) ends here too, rather than have its calls go out again first.
  const otherCode = jobCodeRefused(ctx.registry, jobRef(job.name, job.version), job.digest);
  if (otherCode) return { type: "job.finished", job: job.id, at: now, outcome: { ok: false, error: otherCode } };
  const stage = ctx.registry.stages.get(call.target)!;
  const failedBefore = call.attempts.filter(failedOnNode).map((t) => t.node);
  const busy = call.state.is === "verifying" ? call.attempts.filter((t) => t.status.is !== "ended").map((t) => t.node) : [];
  // Never the commander itself: only a job's step runs inline calls (advance), so an inline
  // attempt decided here would run nowhere, with no deadline to notice.
  const never = [INLINE_NODE, ...busy, ...otherCodeNodes(ctx.state, call)];
  const request = { stage, inputBytes: call.input.bytes, now };
  let placement = ctx.place({ ...request, exclude: new Set([...never, ...failedBefore]) });
  if (!placement.ok) placement = ctx.place({ ...request, exclude: new Set(never) });
  const refusal = call.attempts.map(refusalOf).findLast((r) => r !== undefined);
  if (!placement.ok && refusal) {
    const message = `call ${call.seq} (${call.target}): no node with its code is left (${placement.reason}); ${refusal.message}`;
    return { type: "job.finished", job: job.id, at: now, call: call.seq, outcome: { ok: false, error: { kind: "error", name: refusal.name, message, mismatch: refusal } } };
  }
  const spent = outOfAttempts(call);
  if (!placement.ok || spent !== null) {
    const answers = heldAnswers(call);
    const disagree = answers.length > 1 ? `; the answers of ${answers.map((a) => a.node).join(", ")} do not agree (is the stage deterministic?)` : "";
    const cause = (placement.ok ? spent : placement.reason) + disagree;
    return {
      type: "job.finished",
      job: job.id,
      at: now,
      call: call.seq,
      outcome: { ok: false, error: { kind: "error", name: "NoBackend", message: `call ${call.seq} (${call.target}): ${cause}` } },
    };
  }
  return attemptOn(ctx, job.id, call, now, placement.winner, placement.alternatives, `re-dispatch after ${why}; ${placement.reason}`);
}

/**
 * A further attempt of `call` on `winner` (verified when the policy says so for that node), for
 * the code its earlier attempts were dispatched for: a leader running other code under the same
 * name@version does not re-dispatch it for its own (a backend with that code refuses it).
 */
function attemptOn(ctx: RecoveryContext, job: JobId, call: StageCall, now: number, winner: Candidate, alternatives: readonly Candidate[], reason: string): Decision {
  const verify = verifyOn(ctx, job, call, winner.node);
  const pinned = pinnedDigest(call);
  return {
    type: "call.dispatched",
    job,
    seq: call.seq,
    attempt: call.attempts.length + 1,
    stage: call.target,
    input: call.input,
    node: winner.node,
    at: now,
    predicted: winner,
    alternatives,
    reason,
    by: ctx.by,
    ...(verify ? { verify } : {}),
    ...(pinned === undefined ? codeOf(ctx.registry, "stage", call.target) : { digest: pinned }),
  };
}

/**
 * What to propose when attempt `a` ends without a result (`why`, `ending`): null when it no
 * longer matters (the call has its result, the job ended, a backup superseded it); else its
 * timeout, the blame on a silent node, and its replacement when the call still needs one. A
 * verified call records every attempt that ends (so it stops counting as out), needed or not.
 */
export function attemptEnded(ctx: RecoveryContext, a: AttemptRef, why: string, ending: Ending, now: number): (Draft | Decision)[] | null {
  const job = ctx.state.job(a.job);
  const call = job?.calls[a.seq];
  if (!job || job.status !== "running" || call?.kind !== "stage" || call.state.is === "done") return null;
  if (!outstanding(call).some((t) => t.attempt === a.attempt)) return null;
  const needed = stillNeeded(ctx.state, call, a.attempt);
  if (!needed && call.state.is !== "verifying") return null;
  const decisions: (Draft | Decision)[] = [{ type: "call.timeout", job: a.job, seq: a.seq, attempt: a.attempt, node: a.node, at: now, reason: why, ending }];
  if (ending === "silent" && ctx.state.node(a.node)?.status === "up") {
    decisions.push({ type: "node.unresponsive", node: a.node, at: now, reason: `call ${a.job}#${a.seq} attempt ${a.attempt}: ${why}` });
  }
  if (!needed) return decisions;
  // The replacement is decided on the call as it stands once this end applies: a failed node is
  // not asked first again, and an orphaned attempt is not counted against the call.
  const ended = { ...call, attempts: call.attempts.map((t) => (t.attempt === a.attempt ? { ...t, status: { is: "ended" as const, how: ending, at: now } } : t)) };
  decisions.push(nextAttempt(ctx, job, ended, now, ending === "orphaned" ? "the dispatching commander went away" : `${a.node} failed it`));
  return decisions;
}

/**
 * A speculative backup of a straggling attempt on the node the scheduler advises, or null once
 * the call no longer needs it, or when that node already runs or answered the call.
 */
export function backupOf(ctx: RecoveryContext, late: AttemptRef, backup: Candidate, why: string, now: number): Decision | null {
  const job = ctx.state.job(late.job);
  const call = job?.calls[late.seq];
  if (!job || job.status !== "running" || call?.kind !== "stage" || call.state.is === "done") return null;
  // A node that runs this call, or answered it, adds nothing: a verified call needs another
  // node's answer (one node's answers count once), any other call would run there twice.
  if (call.attempts.some((t) => t.node === backup.node && t.status.is !== "ended")) return null;
  // Nor the commander itself, which runs inline calls only during a job's step (see nextAttempt),
  // nor a node known to bundle other code for the stage, which would refuse it.
  if (backup.node === INLINE_NODE || otherCodeNodes(ctx.state, call).has(backup.node)) return null;
  return attemptOn(ctx, late.job, call, now, backup, [backup], `${SPECULATIVE} of attempt ${late.attempt} on ${late.node}: ${why}`);
}

/**
 * Whether a node the scheduler judges is drained: marked unresponsive (no new work) with every
 * attempt out there sent elsewhere now rather than at its deadline. Only an `up` node: one
 * already out has nothing left to drain.
 */
export const drains = (s: Pick<NodeSuspicion, "verdict">, status: NodeStatus | undefined): boolean => s.verdict !== "healthy" && status === "up";

/**
 * Whether an unresponsive node that heartbeats again comes back. A heartbeat proves it is alive;
 * but a node drained for running slow keeps heartbeating all along, so a suspect one stays out
 * (it would flap in and out otherwise).
 */
export const comesBack = (verdict: NodeSuspicion["verdict"]): boolean => verdict !== "suspect";
