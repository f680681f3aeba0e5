/**
 * Job records as code before the call-state union wrote them (a call a bag of optional fields,
 * an attempt's end only `timedOutAt`; a sub-job call naming its job bare, before jobs had
 * versions: "name@1" now), read into today's shape. Such records outlive the code that wrote them: in the finished jobs a commander's SQLite keeps for JOB_RETENTION, in the
 * snapshots its log holds, and in a peer's answer while a deploy rolls (runtime/jobs/job-driver.ts
 * fillGap). Pure; a record already in today's shape is returned as it is.
 */
import { asJobRef } from "../sdk/registry.ts";
import type { CallOutcome, JobId, NodeId } from "./decisions.ts";
import type { Payload } from "./payload.ts";
import type { AttemptRecord, CallRecord, JobRecord, StageCall, Verification } from "./state.ts";
import type { Answer } from "./verification.ts";

/** An attempt as it was stored: ended only by a timeout, whatever the cause. */
type LegacyAttempt = Omit<AttemptRecord, "status"> & { readonly timedOutAt?: number };

/** A call as it was stored. */
interface LegacyCall {
  readonly seq: number;
  readonly kind: CallRecord["kind"];
  readonly target: string;
  readonly input: Payload;
  readonly queuedAt: number;
  readonly attempts: readonly LegacyAttempt[];
  readonly child?: JobId;
  readonly outcome?: CallOutcome<Payload>;
  readonly node?: NodeId;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly verify?: string;
  readonly answers?: Answer[];
  readonly verifiedBy?: NodeId[];
  readonly dissenters?: NodeId[];
}

/** A job in today's shape, whichever shape it was stored in. */
export function upgradeJob(job: JobRecord): JobRecord {
  const calls = job.calls as readonly (CallRecord | LegacyCall)[];
  if (calls.every((c) => "state" in c && !unversioned(c))) return job;
  return { ...job, calls: calls.map((c) => versioned("state" in c ? c : upgradeCall(c))) };
}

/** A sub-job call recorded before jobs had versions names its job bare: today's replay names it "name@1". */
const unversioned = (c: CallRecord | LegacyCall): boolean => c.kind === "job" && c.target !== asJobRef(c.target);
const versioned = (c: CallRecord): CallRecord => (unversioned(c) ? { ...c, target: asJobRef(c.target) } : c);

function upgradeCall(old: LegacyCall): CallRecord {
  const { seq, target, input, queuedAt } = old;
  const base = { seq, target, input, queuedAt };
  if (old.kind === "job") {
    // A sub-job call was made with its child's acceptance, and settled with its end.
    const state = old.outcome ? { is: "done" as const, outcome: old.outcome, finishedAt: old.finishedAt! } : { is: "pending" as const };
    return { ...base, kind: "job", child: old.child!, startedAt: old.startedAt ?? queuedAt, state };
  }
  const attempts = old.attempts.map(({ timedOutAt, ...attempt }): AttemptRecord => {
    // A held answer was tied to its attempt (an answer taken was not), and counts over an end before
    // it, as today. When its decision was applied was not kept: its `at` is when the answer ended.
    const held = old.answers?.find((a) => a.attempt === attempt.attempt);
    if (held) return { ...attempt, status: { is: "answered", at: held.finishedAt } };
    // Every ending was written as a timeout, its cause not kept: it counts as the node's failure, as it did then.
    return { ...attempt, status: timedOutAt === undefined ? { is: "open" } : { is: "ended", how: "unrecorded", at: timedOutAt } };
  });
  return { ...base, kind: "stage", attempts, state: stageState(old) };
}

function stageState(old: LegacyCall): StageCall["state"] {
  if (old.outcome) {
    // Old code set the node and the times with every stage call's outcome.
    const taken = { node: old.node!, outcome: old.outcome, startedAt: old.startedAt!, finishedAt: old.finishedAt! };
    return { is: "done", ...taken, ...(old.verify === undefined ? {} : { verified: verification(old.verify, old) }) };
  }
  return old.answers ? { is: "verifying", reason: old.verify ?? "", answers: old.answers } : { is: "pending" };
}

/** A verified call without `verifiedBy` was accepted from the plane's own backend, unchecked. */
const verification = (reason: string, old: LegacyCall): Verification =>
  old.verifiedBy ? { reason, settled: "agreed", by: old.verifiedBy, dissenters: old.dissenters ?? [] } : { reason, settled: "unchecked" };
