/**
 * The runner protocol: how an external runner (Node CPU runner, gpu-runner, anything that
 * speaks HTTP) and the command plane talk. JSON over HTTP; values are base64 of their CBOR
 * bytes (the project codec), or an R2 hash for large ones. Documented in docs/runner-protocol.md.
 *
 *   runner -> plane   POST /v1/nodes                  RegisterRequest   -> 201 NodeView
 *   runner -> plane   POST /v1/nodes/:id/heartbeat    NodeLoad          -> 200 HeartbeatReply
 *   runner -> plane   POST /v1/nodes/:id/results      ResultReport      -> 202 { accepted, reason? }
 *   runner -> plane   POST /v1/nodes/:id/results/batch ResultBatch     -> 202 { results: [{ accepted, reason? }] }
 *   runner -> plane   GET  /v1/payloads/:sha256       -> 200 application/cbor (large inputs)
 *   runner -> plane   PUT  /v1/payloads/:sha256       application/cbor  -> 201 { r2, bytes } (large outputs, before their report)
 *   plane  -> runner  POST {url}/v1/calls             CallRequest       -> 202 (or 503 "full" when its queue is)
 *   plane  -> runner  GET  {url}/v1/status            -> 200 RunnerStatus
 */
import type { CallFailure } from "../sdk/replay.ts";
import type { JobId, NodeLoad, NodeSpec } from "./decisions.ts";
import type { Payload } from "./payload.ts";
import type { NodeStatus } from "./state.ts";

/**
 * Calls a runner queues per slot, beyond those running, before it answers 503 "full" (its
 * default maxQueue). The plane sends a runner no more than that at once (send-windows.ts).
 */
export const QUEUED_CALLS_PER_SLOT = 64;

/** Everything of a NodeSpec but its kind (runners are runners). */
export type RegisterRequest = Omit<NodeSpec, "kind">;

export interface HeartbeatReply {
  /**
   * How the plane sees the node: a node marked unresponsive is re-ranked once it answers; a
   * quarantined one (it answered a verified call wrongly) gets no more work under this id.
   */
  readonly status: NodeStatus;
  /** Quarantined: why (the call it answered differently from the majority). */
  readonly reason?: string;
  /** Send the next heartbeat within this long. */
  readonly heartbeatMs: number;
}

/** One call for a runner to run. */
export interface CallRequest {
  readonly job: JobId;
  readonly seq: number;
  readonly attempt: number;
  /** "name@version"; a runner runs only stages bundled with it, and refuses others. */
  readonly stage: string;
  readonly input: Payload;
  /** Epoch ms after which the plane re-dispatches the call elsewhere. */
  readonly deadlineAt: number;
  /**
   * The stage's code digest as the dispatching leader knows it (paxflow.lock.json): a runner whose
   * own code for this name@version has another digest reports a failed outcome CodeMismatch naming
   * both instead of running it (core/sdk/code-identity.ts). Absent from a leader without a lock.
   */
  readonly digest?: string;
}

/** What a runner sends back: the value as base64 CBOR, or the stage's error. */
export interface ResultReport {
  readonly job: JobId;
  readonly seq: number;
  readonly attempt: number;
  /**
   * `value`: base64 of the output's CBOR bytes, or, for a large output, where the runner stored
   * those bytes first (PUT /v1/payloads/:sha256), so they never travel inside the report.
   */
  readonly outcome: { readonly ok: true; readonly value: string | { readonly r2: string; readonly bytes: number } } | { readonly ok: false; readonly error: CallFailure };
  readonly startedAt: number;
  readonly finishedAt: number;
}

/**
 * Most results in one POST /v1/nodes/:id/results/batch. A runner sends what finished while its
 * last report was out in one request (runners/result-reports.ts): the plane chooses them in one
 * Paxos round, where one request per result queued thousands on its thread.
 */
export const MAX_RESULTS_PER_BATCH = 256;

/** Results for the plane in one request, each answered in its place. */
export interface ResultBatch {
  readonly results: readonly ResultReport[];
}

export interface RunnerStatus extends NodeLoad {
  readonly id: string;
  readonly uptimeMs: number;
}
