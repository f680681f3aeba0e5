/**
 * What the API Worker asks a shard's commander about jobs and nodes (the Commander Durable
 * Object's RPC methods). Values cross as Payloads; the API decodes them for HTTP clients.
 */
import type { JobId, NodeId, NodeLoad, NodeSpec } from "../../core/jobs/decisions.ts";
import type { Payload } from "../../core/jobs/payload.ts";
import type { CallFailure } from "../../core/sdk/replay.ts";
import type { Counters, JobEvent, JobRecord, JobStatus, NodeRecord } from "../../core/jobs/state.ts";
import type { Viewer } from "../../core/jobs/tenancy.ts";

export interface SubmitJobRequest {
  /** Chosen by the API: derived from the submitter and the idempotency key when there is one, random otherwise. */
  readonly id: JobId;
  /** The job: a name (its latest version in the registry) or "name@version" (that version). */
  readonly name: string;
  readonly input: Payload;
  readonly idempotencyKey?: string;
  /** The name of the client token submitting it, its tenant (recorded in the log; never the token). */
  readonly submittedBy: string;
  /** Answer once the job is terminal or this many ms passed (0: as soon as it is accepted). */
  readonly waitMs?: number;
}

export interface SubmitJobReply {
  /** False when a job with this id already existed (same submitter and idempotency key). */
  readonly created: boolean;
  readonly job: JobView;
}

/** A job as clients see it; `events` are left out (see jobEvents). */
export type JobView = Omit<JobRecord, "events"> & { readonly shard: number };

export interface JobSummary {
  readonly id: JobId;
  readonly name: string;
  /** The job version it runs (or ran) on: 1 for jobs recorded before jobs had versions. */
  readonly version: number;
  readonly status: JobStatus;
  readonly acceptedAt: number;
  readonly finishedAt?: number;
  readonly calls: number;
  readonly shard: number;
}

export interface ListJobsQuery {
  /** Only the jobs this client may see (tenancy.ts). */
  readonly viewer: Viewer;
  readonly status?: JobStatus;
  readonly limit: number;
  /** Jobs accepted strictly before this (acceptedAt, id) position; from ListJobsReply.next. */
  readonly before?: { readonly acceptedAt: number; readonly id: JobId };
}

export interface ListJobsReply {
  /** Newest first. */
  readonly jobs: readonly JobSummary[];
}

export interface JobEventsReply {
  readonly events: readonly JobEvent[];
  readonly status: JobStatus;
}

/** A runner's result after the API decoded and sealed it. */
export interface ResultOffer {
  readonly node: NodeId;
  readonly job: JobId;
  readonly seq: number;
  readonly attempt: number;
  readonly outcome: { readonly ok: true; readonly value: Payload } | { readonly ok: false; readonly error: CallFailure };
  readonly startedAt: number;
  readonly finishedAt: number;
}

export interface ResultOfferReply {
  /** False when the call was not dispatched to that node, or already had a result, or its job ended. */
  readonly accepted: boolean;
  readonly reason?: string;
}

export interface NodeView extends NodeRecord {
  /** Last heartbeat this commander saw (soft state), if any. */
  readonly lastHeartbeat?: { readonly at: number; readonly load: NodeLoad };
}

export interface JobsStats {
  readonly counters: Counters;
  readonly running: number;
  readonly retained: number;
}

/** What GET /metrics shows of one shard's jobs (runtime/jobs/job-driver.ts metrics()). */
export interface JobsMetrics {
  /** Jobs the shard holds (finished ones for JOB_RETENTION), sub-jobs included, by status. */
  readonly jobs: Readonly<Record<JobStatus, number>>;
  /** Calls of those jobs by the node that answered (or runs) them and how they ended. */
  readonly calls: readonly { readonly node: NodeId; readonly outcome: "ok" | "failed" | "running"; readonly count: number }[];
  readonly counters: Counters;
  /** Nodes the scheduler currently judges suspect or failed (a predicted or detected failure). */
  readonly suspicions: readonly { readonly node: NodeId; readonly verdict: "suspect" | "failed" }[];
  /** The last load each runner reported. */
  readonly loads: readonly { readonly node: NodeId; readonly queue: number; readonly inFlight: number }[];
}

/**
 * The commander's job RPC surface. Methods throw PaxflowError (codes in errors.ts) on failure.
 * Those that take a job id answer null for a job the viewer may not see (tenancy.ts) exactly as
 * for one that is unknown here (never submitted, or removed once its JOB_RETENTION ended), and
 * before waiting or changing anything.
 */
export interface JobPlane {
  submitJob(request: SubmitJobRequest): Promise<SubmitJobReply>;
  getJob(id: JobId, viewer: Viewer, waitMs?: number): Promise<JobView | null>;
  /** Events with n > after; waits up to waitMs for new ones when there are none yet. */
  jobEvents(id: JobId, viewer: Viewer, after: number, waitMs: number): Promise<JobEventsReply | null>;
  /** Cancels the job as `viewer` (the log records its token's name as the canceller). */
  cancelJob(id: JobId, viewer: Viewer, reason: string): Promise<JobView | null>;
  listJobs(query: ListJobsQuery): Promise<ListJobsReply>;
  /** `signedAt`: the runner's signature timestamp on the registration; refused unless newer than the node's current one. */
  registerNode(spec: NodeSpec, signedAt: number): Promise<NodeView>;
  /** Removes a registered node; null when this shard does not know it. */
  removeNode(id: NodeId, reason: string): Promise<NodeView | null>;
  /** How this shard sees the node; `reason` says why when it is quarantined. */
  heartbeat(id: NodeId, load: NodeLoad): Promise<{ readonly status: NodeRecord["status"]; readonly reason?: string } | null>;
  /** Another shard quarantined the node: stop trusting it here too (no-op when unknown or already quarantined). */
  quarantineNode(id: NodeId, reason: string): Promise<void>;
  offerResult(offer: ResultOffer): Promise<ResultOfferReply>;
  /** Results of this shard's calls, proposed together; a reply for each, in their order. */
  offerResults(offers: readonly ResultOffer[]): Promise<ResultOfferReply[]>;
  listNodes(): Promise<NodeView[]>;
  jobStats(): Promise<JobsStats>;
  metrics(): Promise<JobsMetrics>;
}
