/**
 * The decisions a commander writes to its shard's log. A shard's job state is exactly these,
 * applied in slot order (see state.ts); nothing else feeds it. Every timestamp is the
 * proposer's clock at decision time, carried in the entry, so applying is deterministic.
 *
 * `P` is how values are carried: `Payload` in the log, `Value` in a draft the commander has
 * not sealed yet (sealing encodes, and puts large values in R2 first).
 */
import type { Cap } from "../sdk/caps.ts";
import type { CodeMismatch } from "../sdk/code-identity.ts";
import type { CallFailure } from "../sdk/replay.ts";
import { claimsDecision, wellFormedDecision } from "./decision-shape.ts";
import type { Payload } from "./payload.ts";

export type JobId = string;
export type NodeId = string;

/** Built-in backends every shard has without registration. */
export const INLINE_NODE = "inline";
export const WORKER_NODE = "worker";

export type NodeKind = "inline" | "worker" | "runner";

/**
 * How fast a node runs stages, relative to the machine the cost models were written for
 * (1 = as declared): runtime = cost.runtimeMs(n) / speed. `stages` holds measured factors for
 * single stages ("name@version"), `simd` the factor for stages that carry a kernel.
 */
export interface SpeedProfile {
  readonly cpu: number;
  readonly simd?: number;
  readonly stages?: Readonly<Record<string, number>>;
}

export interface NodeSpec {
  readonly id: NodeId;
  readonly kind: NodeKind;
  /** Runners only: base URL the plane posts calls to. */
  readonly url?: string;
  readonly caps: readonly Cap[];
  readonly speed: SpeedProfile;
  /** Calls it runs at once. */
  readonly slots: number;
  /** One-way latency and bandwidth between the command plane and the node. */
  readonly latencyMs: number;
  readonly bandwidthMBps: number;
  /** Free-form facts for people (adapter, host, version); never used for placement. */
  readonly info?: Readonly<Record<string, string>>;
}

/** What a node reports about itself (heartbeat, or the answer to a status probe). */
export interface NodeLoad {
  readonly queue: number;
  readonly inFlight: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Recent mean time of a call's compute (e.g. a GPU kernel) and of moving its data, in ms. */
  readonly recentComputeMs?: number;
  readonly recentTransferMs?: number;
  /** How long the node just took to run a fixed reference workload (runners/probe.ts): a node-wide slow-down shows here at once. */
  readonly probeMs?: number;
}

/** One backend's predicted finish for a call, and what it is made of (all in ms). */
export interface Candidate {
  readonly node: NodeId;
  readonly finishAt: number;
  readonly waitMs: number;
  readonly transferMs: number;
  readonly runMs: number;
}

/**
 * Who cancelled a job: a client, by its token's name (never the token); the plane itself; or
 * nobody knows, for an entry logged before cancellers were recorded (decodeDecision).
 */
export type Canceller = { readonly kind: "client"; readonly token: string } | { readonly kind: "plane" } | { readonly kind: "unrecorded" };

/** Why a job ended other than with a result. */
export interface JobError {
  readonly kind: "error" | "nondeterministic" | "unknown" | "wait-cycle" | "too-deep" | "cancelled";
  readonly name: string;
  readonly message: string;
  /** Set when the job ended because code differed (code-identity.ts): which code, and both digests. */
  readonly mismatch?: CodeMismatch;
}

/**
 * How an attempt ended without an answer, which decides the blame (core/jobs/recovery.ts): a node
 * that stayed silent (timeout) or could not be reached is marked unresponsive and not tried again
 * for this call; one that answered "no" (full, unknown stage, drained) is only skipped for this
 * call; a call that died with its commander ("orphaned") blames nobody, and does not count
 * towards the call's MAX_ATTEMPTS.
 */
export type Ending = "silent" | "refused" | "orphaned";

export type CallOutcome<P> = { readonly ok: true; readonly value: P } | { readonly ok: false; readonly error: CallFailure };

export type Decision<P = Payload> =
  | {
      readonly type: "job.accepted";
      readonly job: JobId;
      readonly name: string;
      /**
       * The job's version: the code it runs to its end on ("name@version", registry.ts jobRef).
       * Absent on entries logged before jobs had versions: version 1.
       */
      readonly version?: number;
      /**
       * The code digest of the job's name@version as the accepting leader's registry knows it
       * (paxflow.lock.json; core/sdk/code-identity.ts): a commander whose code for it has another
       * fails the job with CodeMismatch instead of running its body (advance.ts). Absent when
       * that leader has no lock entry for it, and in entries logged before it was recorded.
       */
      readonly digest?: string;
      readonly input: P;
      readonly at: number;
      readonly idempotencyKey?: string;
      /**
       * The name of the client token that submitted it (never the token itself). Absent on
       * sub-jobs (they belong to their root's submitter: state.ts) and on entries logged before
       * submitters were recorded.
       */
      readonly submittedBy?: string;
      /** Sub-jobs: the call of the parent job this job answers. */
      readonly parent?: { readonly job: JobId; readonly seq: number };
    }
  | {
      readonly type: "call.dispatched";
      readonly job: JobId;
      readonly seq: number;
      readonly attempt: number;
      readonly stage: string;
      readonly input: P;
      readonly node: NodeId;
      readonly at: number;
      readonly predicted: Candidate;
      /** Every backend that could run it, best first (the winner included). */
      readonly alternatives: readonly Candidate[];
      readonly reason: string;
      /** The commander incarnation that dispatched it. */
      readonly by: string;
      /**
       * Why this call's result must be confirmed by a second node (verification.ts): from this
       * attempt on, its result is held until two nodes agree.
       */
      readonly verify?: string;
      /**
       * The code digest of the stage as the dispatching leader's registry knows it
       * (paxflow.lock.json; core/sdk/code-identity.ts): the backend refuses the call when its own
       * code for this name@version has another. A re-dispatch names its earlier attempts' digest
       * (recovery.ts). Absent when the leader has no lock, and in entries logged before digests
       * were recorded.
       */
      readonly digest?: string;
    }
  | {
      readonly type: "call.result";
      readonly job: JobId;
      readonly seq: number;
      readonly attempt: number;
      readonly node: NodeId;
      readonly outcome: CallOutcome<P>;
      readonly startedAt: number;
      readonly finishedAt: number;
      readonly at: number;
    }
  | {
      readonly type: "call.timeout";
      readonly job: JobId;
      readonly seq: number;
      readonly attempt: number;
      readonly node: NodeId;
      readonly at: number;
      readonly reason: string;
      /** How the attempt ended; absent in entries logged before it was recorded (state.ts counts those as the node's failure). */
      readonly ending?: Ending;
    }
  | {
      readonly type: "job.finished";
      readonly job: JobId;
      readonly at: number;
      /**
       * The call whose failure to get a result ends the job (no node left, or out of attempts):
       * stale if that call has its result by the time this applies (decided while the result
       * was on its way). Absent on other endings, and on entries logged before it was recorded.
       */
      readonly call?: number;
      readonly outcome: { readonly ok: true; readonly output: P } | { readonly ok: false; readonly error: JobError };
    }
  | { readonly type: "job.cancelled"; readonly job: JobId; readonly at: number; readonly reason: string; readonly by: Canceller }
  | {
      readonly type: "node.registered";
      readonly node: NodeSpec;
      readonly at: number;
      /**
       * The timestamp the runner signed the registration with (x-paxflow-timestamp): a registration
       * not newer than the node's current one is refused (nodes.ts). Absent in entries from before.
       */
      readonly signedAt?: number;
    }
  | { readonly type: "node.unresponsive"; readonly node: NodeId; readonly at: number; readonly reason: string }
  | { readonly type: "node.back"; readonly node: NodeId; readonly at: number; readonly load: NodeLoad }
  /** Another shard caught the node answering wrongly (verification.ts): this shard stops trusting it too. */
  | { readonly type: "node.quarantined"; readonly node: NodeId; readonly at: number; readonly reason: string }
  /** Dropped: deleted by an admin, or silent for NODE_EXPIRY_MS (nodes.ts). Its calls in flight go elsewhere. */
  | { readonly type: "node.removed"; readonly node: NodeId; readonly at: number; readonly reason: string };

export type DecisionType = Decision["type"];

/** Every decision type, once: the state machine, the API schemas and the log filter use this list. */
export const DECISION_TYPES = [
  "job.accepted",
  "call.dispatched",
  "call.result",
  "call.timeout",
  "job.finished",
  "job.cancelled",
  "node.registered",
  "node.unresponsive",
  "node.back",
  "node.quarantined",
  "node.removed",
] as const satisfies readonly DecisionType[];


/**
 * A log entry as a decision, or null when it is not a well-formed one (decision-shape.ts checks
 * every field). The log also carries plain commands (POST /v1/commands, wrapped as { key, data }):
 * only decisions drive the job state. Entries logged before a field existed decode with what its
 * absence meant: a `job.cancelled` without `by` did not record who cancelled.
 */
export function decodeDecision(data: unknown): Decision | null {
  if (!claimsDecision(data) || !wellFormedDecision(data)) return null;
  if (data.type === "job.cancelled" && data.by === undefined) return { ...data, by: { kind: "unrecorded" } } as Decision;
  return data as Decision;
}

/**
 * The log command id of a decision: equal decisions from two commanders get one id, so the
 * log's dedupe keeps one copy. Results are keyed per attempt and node: two nodes finishing
 * the same call are two commands, and the state keeps the first.
 *
 * `run` tells apart two runs of one job id: the `at` of the job.accepted that began the run (a
 * job.accepted's own). An idempotency key runs again once its job's retention ended
 * (JOB_RETENTION), and its second run's decisions must not be taken for copies of the first's
 * while those ids are still in the log's dedupe window.
 */
export function decisionId(d: Decision<unknown>, run?: number): string {
  const base = baseDecisionId(d);
  return run === undefined || !("job" in d) ? base : `${base}~${run}`;
}

function baseDecisionId(d: Decision<unknown>): string {
  switch (d.type) {
    case "job.accepted":
      return `${d.job}/accepted`;
    case "call.dispatched":
      // The node too: a dispatch refused (its node was quarantined meanwhile) must not block the next one to another node.
      return `${d.job}/${d.seq}/d${d.attempt}@${d.node}`;
    case "call.result":
      return `${d.job}/${d.seq}/r${d.attempt}@${d.node}`;
    case "call.timeout":
      return `${d.job}/${d.seq}/t${d.attempt}`;
    case "job.finished":
      // Giving up on a call may turn out stale (state.ts): the job's own end must not share its id.
      return d.call === undefined ? `${d.job}/finished` : `${d.job}/finished/gave-up-on-${d.call}`;
    case "job.cancelled":
      return `${d.job}/cancelled`;
    case "node.registered":
      // Its signature time too: two registrations of a node within one millisecond are two decisions.
      return `node/${d.node.id}/registered@${d.at}${d.signedAt === undefined ? "" : `/signed@${d.signedAt}`}`;
    case "node.unresponsive":
      return `node/${d.node}/unresponsive@${d.at}`;
    case "node.back":
      return `node/${d.node}/back@${d.at}`;
    case "node.quarantined":
      return `node/${d.node}/quarantined`;
    case "node.removed":
      return `node/${d.node}/removed@${d.at}`;
  }
}
