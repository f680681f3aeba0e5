/**
 * Request and response bodies of the HTTP API: validated with these schemas, and the OpenAPI
 * document is generated from the same ones. The type checks at the end tie them to the
 * commander contract and the runner protocol, so drift on either side fails tsc.
 */
import { z } from "@hono/zod-openapi";
import type * as decisions from "../core/jobs/decisions.ts";
import { DECISION_TYPES, INLINE_NODE, WORKER_NODE } from "../core/jobs/decisions.ts";
import type * as protocol from "../core/jobs/protocol.ts";
import { MAX_RESULTS_PER_BATCH } from "../core/jobs/protocol.ts";
import type * as state from "../core/jobs/state.ts";
import { JOB_STATUSES } from "../core/jobs/state.ts";
import { runnerOrigin } from "../core/net/runner-url.ts";
import { KNOWN_CAPS } from "../core/sdk/caps.ts";
import type * as contract from "../runtime/jobs/contract.ts";
import { MAX_WAIT_S } from "./http.ts";
import { JOB_ID } from "./job-ids.ts";

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_field" }),
      message: z.string(),
      retryable: z.boolean().openapi({ description: "whether the same request may succeed later (after Retry-After, when given): true for 429 and 503, false when the request must change" }),
    }),
  })
  .openapi("Error");

const Millis = z.number().openapi({ description: "epoch milliseconds" });
const Count = z.number().int().nonnegative();
const Name = z.string().min(1).max(200);
const JsonValue = z.unknown().openapi({ description: "any JSON value" });

export const JobId = z
  .string()
  .regex(JOB_ID, 'expected a job id: "j-" and 24 lowercase hex digits, then ".<seq>" per sub-job level')
  .openapi({ example: "j-3f2a9c0d1e4b5a6978877665" });

const RESERVED_NODES: readonly string[] = [INLINE_NODE, WORKER_NODE];

export const NodeId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "expected a node id: 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")
  .openapi({ example: "gpu-runner-1" });

/** A registered runner's id: any node id but the built-in backends'. */
const RunnerId = NodeId.refine((id) => !RESERVED_NODES.includes(id), `"${INLINE_NODE}" and "${WORKER_NODE}" name the built-in backends, which are not registered runners`);

export const JobIdParams = z.object({ id: JobId });
export const NodeIdParams = z.object({ id: NodeId });
export const RunnerIdParams = z.object({ id: RunnerId });
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 digest: 64 lowercase hex digits");

export const HashParams = z.object({ sha256: Sha256 });

/** A value stored in R2 (PUT /v1/payloads/:sha256): the SHA-256 of its CBOR bytes, and how many there are. */
export const PayloadRef = z.object({ r2: Sha256, bytes: Count }).openapi("PayloadRef");

export const PreferHeader = z.object({
  prefer: z
    .string()
    .optional()
    .openapi({ description: `RFC 7240 \`wait=N\`: wait up to N seconds (at most ${MAX_WAIT_S}) for the job to finish`, example: "wait=10" }),
});

export const EventsHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d+$/, "expected the id of an event this stream sent (a non-negative integer)")
    .optional()
    .openapi({ description: "resume after this event (EventSource sends it when it reconnects)" }),
});

// ---- jobs -----------------------------------------------------------------------------------

export const JobStatus = z.enum(JOB_STATUSES);

/** SubmitJob.job's description; the served document appends "; deployed here: <names>". */
export const JOB_NAME_DESCRIPTION = "the job's name (starts its latest deployed version) or name@version (starts that version)";

export const SubmitJobBody = z
  .strictObject({
    // The document served adds the deployed jobs' names (openapi.ts serveDocument).
    job: Name.openapi({ description: JOB_NAME_DESCRIPTION, example: "word-count" }),
    input: z
      .unknown()
      .refine((value) => value !== undefined, "required: the job's input as JSON (null for none)")
      .openapi({ description: "the job's input", example: { text: "the quick brown fox", chunkChars: 8 } }),
    idempotencyKey: Name.optional().openapi({
      description:
        "the same key from the same token name always names the same job: a retried submit finds it instead of starting another " +
        "(another token's same key names another job)",
    }),
  })
  .openapi("SubmitJob");

export const JobAccepted = z.object({ id: JobId, status: JobStatus, created: z.boolean() }).openapi("JobAccepted");

const Candidate = z
  .object({ node: z.string(), finishAt: Millis, waitMs: z.number(), transferMs: z.number(), runMs: z.number() })
  .openapi("Candidate", { description: "one backend's predicted finish for a call" });

/** How an attempt ended without an answer (the job view and explain both show it). */
const AttemptEnding = z.enum(["silent", "refused", "orphaned", "unrecorded", "code-mismatch"]).openapi({
  description:
    "how it ended without an answer: its node stayed silent or could not be reached, refused it, or the commander that dispatched it " +
    "went away (orphaned: not counted towards the call's MAX_ATTEMPTS); unrecorded for an attempt that ended before endings were recorded; " +
    "code-mismatch: its node bundles other code for the stage (CodeMismatch) and ran nothing, so the call went to another node (not counted either)",
});

export const AttemptJson = z
  .object({
    attempt: z.number().int().positive(),
    node: z.string(),
    dispatchedAt: Millis,
    predicted: Candidate,
    alternatives: z.array(Candidate).readonly(),
    reason: z.string(),
    by: z.string().openapi({ description: "the commander incarnation that dispatched it" }),
    timedOutAt: Millis.optional().openapi({ description: "when it ended without an answer, whatever the cause (see `ending`)" }),
    ending: AttemptEnding.optional(),
  })
  .openapi("Attempt");

const Digest = z.string().max(200);

/** core/sdk/code-identity.ts: a stage call refused by a backend, or a job refused by a commander, for other code. */
const CodeMismatch = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("stage"), stage: z.string().max(400) }),
    z.object({ kind: z.literal("job"), job: z.string().max(400) }),
  ])
  .and(
    z.object({
      name: z.literal("CodeMismatch"),
      code: z.literal("code_mismatch"),
      message: z.string().max(16_384),
      registryDigest: Digest.openapi({ description: "the digest of the code the refusing backend (or commander) bundles" }),
      callDigest: Digest.openapi({ description: "the digest the call was dispatched for (or the job accepted on)" }),
    }),
  )
  .openapi("CodeMismatch");

// A CodeMismatch keeps its code and digests (the plane re-dispatches a call a runner refused for its code: core/jobs/recovery.ts).
const CallFailure = z.union([CodeMismatch, z.object({ name: z.string().max(200), message: z.string().max(16_384) })]).openapi("CallFailure");

const JobError = z
  .object({
    kind: z.enum(["error", "nondeterministic", "unknown", "wait-cycle", "too-deep", "cancelled"]),
    name: z.string(),
    message: z.string(),
    mismatch: CodeMismatch.optional().openapi({ description: "the job ended because code differed: which code, and both digests (docs/versions.md)" }),
  })
  .openapi("JobError");

const Canceller = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("client"), token: z.string().openapi({ description: "the token's name (never the token)" }) }),
    z.object({ kind: z.literal("plane") }),
    z.object({ kind: z.literal("unrecorded").openapi({ description: "logged before cancellers were recorded" }) }),
  ])
  .openapi("Canceller");

export const CallStatus = z.enum(["queued", "running", "done", "failed"]);

export const CallJson = z
  .object({
    seq: Count,
    kind: z.enum(["stage", "job"]),
    target: z.string().openapi({ description: 'the stage or job called, "name@version"' }),
    status: CallStatus,
    node: z.string().optional().openapi({ description: "the node whose result was chosen" }),
    attemptCount: Count,
    attempts: z.array(AttemptJson).readonly(),
    queuedAt: Millis,
    startedAt: Millis.optional(),
    finishedAt: Millis.optional(),
    inputBytes: Count,
    outputBytes: Count.optional(),
    error: CallFailure.optional(),
    child: JobId.optional().openapi({ description: "sub-job calls: the job that answers it" }),
    verify: z.string().optional().openapi({ description: "why this call's result had to be confirmed by a second node" }),
    verified: z
      .union([
        z.object({
          by: z.array(z.string()).readonly().openapi({ description: "the nodes whose answers agreed" }),
          dissenters: z.array(z.string()).readonly().optional().openapi({ description: "nodes whose answers differed (quarantined unless the answer was an error)" }),
        }),
        z.literal(false),
      ])
      .openapi({
        description:
          "whether two nodes agreed on this call's result; false for calls not verified (not chosen, still held, " +
          "or settled by the plane's own backend after the runner under test ended without an answer: `verify` says why it was chosen)",
      }),
  })
  .openapi("Call");

export const ExplainJson = z
  .object({
    id: JobId,
    name: z.string(),
    status: JobStatus,
    calls: z
      .array(
        z.object({
          seq: Count,
          kind: z.enum(["stage", "job"]),
          target: z.string(),
          child: JobId.optional(),
          resultFrom: z.string().optional().openapi({ description: "the node whose result was chosen" }),
          attempts: z
            .array(
              z.object({
                attempt: z.number().int().positive(),
                node: z.string(),
                dispatchedAt: Millis,
                reason: z.string().openapi({ description: "why the winner won, as recorded in the log entry" }),
                timedOutAt: Millis.optional(),
                ending: AttemptEnding.optional(),
                candidates: z
                  .array(
                    z.object({
                      node: z.string(),
                      chosen: z.boolean(),
                      predictedFinishMs: z.number().openapi({ description: "predicted finish, ms after the dispatch decision" }),
                      waitMs: z.number(),
                      transferMs: z.number(),
                      runMs: z.number(),
                    }),
                  )
                  .readonly(),
              }),
            )
            .readonly(),
        }),
      )
      .readonly(),
  })
  .openapi("JobExplanation");

export const JobJson = z
  .object({
    id: JobId,
    name: z.string(),
    version: z.number().int().positive().openapi({ description: "the version of the job's code it runs to its end on (with name: its ref, name@version)" }),
    digest: Digest.optional().openapi({ description: "the code digest of that version it was accepted on (paxflow.lock.json), when the accepting leader had one" }),
    status: JobStatus,
    shard: Count,
    root: JobId.openapi({ description: "the top of this job's tree (itself for a submitted job)" }),
    parent: z.object({ job: JobId, seq: Count }).optional(),
    idempotencyKey: z.string().optional(),
    submittedBy: z
      .string()
      .optional()
      .openapi({
        description:
          "the name of the client token that submitted the job (a sub-job: its root's); only that token name and admin tokens see the job, " +
          "others get 404 as for an unknown id",
      }),
    cancelledBy: Canceller.optional().openapi({ description: "who cancelled it (also on sub-jobs cancelled with it)" }),
    acceptedAt: Millis,
    finishedAt: Millis.optional(),
    durationMs: z.number().optional(),
    input: JsonValue,
    inputBytes: Count,
    output: JsonValue.optional(),
    outputBytes: Count.optional(),
    error: JobError.optional(),
    calls: z.array(CallJson).readonly(),
  })
  .openapi("Job", { description: "typed arrays appear as arrays of numbers (64-bit ones as decimal strings)" });

export const JobSummary = z
  .object({
    id: JobId,
    name: z.string(),
    version: z.number().int().positive().openapi({ description: "the job version it runs (or ran) on" }),
    status: JobStatus,
    acceptedAt: Millis,
    finishedAt: Millis.optional(),
    calls: Count,
    shard: Count,
  })
  .openapi("JobSummary");

export const MAX_LIST_LIMIT = 500;

export const ListJobsQuery = z.object({
  status: JobStatus.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(50),
  cursor: z.string().optional().openapi({ description: "`next` of the previous page" }),
});

export const JobList = z
  .object({
    jobs: z.array(JobSummary).readonly(),
    next: z.string().optional().openapi({ description: "cursor of the next page; absent on the last" }),
  })
  .openapi("JobList", { description: "newest first, across all shards; a token without the admin scope sees only the jobs it submitted" });

export const JobEvent = z
  .object({
    n: z.number().int().positive(),
    type: z.enum(DECISION_TYPES),
    at: Millis,
    seq: Count.optional(),
    attempt: z.number().int().positive().optional(),
    node: z.string().optional(),
    detail: z.string().optional(),
  })
  .openapi("JobEvent", { description: "one SSE `data:` line; `event:` is its type and `id:` its n; a last `event: end` carries {status}" });

// ---- nodes ----------------------------------------------------------------------------------

const SpeedFactor = z.number().positive();

const SpeedProfile = z
  .object({
    cpu: SpeedFactor,
    simd: SpeedFactor.optional(),
    stages: z.record(z.string().min(1).max(200), SpeedFactor).optional().openapi({ description: 'measured factors per stage ("name@version")' }),
  })
  .openapi("SpeedProfile", { description: "runtime = cost.runtimeMs(n) / speed (1 = as the cost models declare)" });

const nodeFields = {
  caps: z.array(z.enum(KNOWN_CAPS)).min(1).readonly(),
  speed: SpeedProfile,
  slots: z.number().int().min(1),
  latencyMs: z.number().nonnegative(),
  bandwidthMBps: z.number().positive(),
  info: z.record(z.string().max(100), z.string().max(1_000)).optional(),
};

const NodeSpec = z
  .object({ id: z.string(), kind: z.enum(["inline", "worker", "runner"]), url: z.string().optional(), ...nodeFields })
  .openapi("NodeSpec");

export const RegisterRequest = z
  .object({
    id: RunnerId,
    url: z
      .string()
      .max(2_048)
      .superRefine((url, ctx) => {
        const origin = runnerOrigin(url);
        if (!origin.ok) ctx.addIssue({ code: "custom", message: origin.message });
      })
      .openapi({
        description: "the runner's origin, where the plane posts calls: http(s), host, optional port. Loopback, private and link-local addresses only where RUNNER_ALLOW lists them",
        example: "https://runner-1.example.com:7001",
      }),
    ...nodeFields,
  })
  .openapi("RegisterNode");

export const NodeLoad = z
  .object({
    queue: Count,
    inFlight: Count,
    bytesIn: Count,
    bytesOut: Count,
    recentComputeMs: z.number().nonnegative().optional(),
    recentTransferMs: z.number().nonnegative().optional(),
    probeMs: z.number().positive().optional(),
  })
  .openapi("NodeLoad");

const NodeStatus = z.enum(["up", "unresponsive", "quarantined"]);

export const NodeView = z
  .object({
    spec: NodeSpec,
    status: NodeStatus,
    since: Millis,
    registeredAt: Millis,
    signedAt: Millis.optional().openapi({ description: "the runner's signature timestamp on its current registration: the next must be newer" }),
    dispatched: Count.openapi({ description: "calls dispatched to it so far (a new node's first ones are verified)" }),
    quarantine: z
      .object({ at: Millis, reason: z.string(), call: z.object({ job: JobId, seq: Count }).optional() })
      .optional()
      .openapi({ description: "why it is quarantined: the verified call it answered differently from the majority" }),
    bundles: z
      .record(z.string(), Digest)
      .optional()
      .openapi({ description: "the code digests it said it bundles, by stage ref, when it refused calls for other code (CodeMismatch): calls for other digests of those stages go elsewhere until it registers again" }),
    load: NodeLoad.optional(),
    lastHeartbeat: z.object({ at: Millis, load: NodeLoad }).optional(),
  })
  .openapi("Node");

export const NodeList = z.object({ nodes: z.array(NodeView).readonly() }).openapi("NodeList");

export const HeartbeatReply = z
  .object({ status: NodeStatus, reason: z.string().optional(), heartbeatMs: z.number().int().positive() })
  .openapi("HeartbeatReply");

export const ResultReport = z
  .object({
    job: JobId,
    seq: Count,
    attempt: z.number().int().positive(),
    outcome: z.discriminatedUnion("ok", [
      z.object({
        ok: z.literal(true),
        value: z.union([
          z.base64().openapi({ description: "the stage's output: base64 of its CBOR bytes" }),
          PayloadRef.openapi({ description: "the stage's output, uploaded first with PUT /v1/payloads/:sha256 (large outputs)" }),
        ]),
      }),
      z.object({ ok: z.literal(false), error: CallFailure }),
    ]),
    startedAt: Millis,
    finishedAt: Millis,
  })
  .openapi("ResultReport");

export const ResultOfferReply = z.object({ accepted: z.boolean(), reason: z.string().optional() }).openapi("ResultOfferReply");

export const ResultBatch = z
  .object({
    results: z
      .array(ResultReport)
      .min(1)
      .max(MAX_RESULTS_PER_BATCH)
      .readonly()
      .openapi({ description: `1 to ${MAX_RESULTS_PER_BATCH} results, of calls of any jobs this runner ran` }),
  })
  .openapi("ResultBatch");

export const ResultBatchReply = z
  .object({ results: z.array(ResultOfferReply).openapi({ description: "one reply per result, in the order they were sent" }) })
  .openapi("ResultBatchReply");

// ---- the command plane (routes in api.ts, described here) -----------------------------------

export const CommandBody = z
  .object({ key: z.string().min(1).max(1_024), data: JsonValue.optional(), id: Name.optional() })
  .openapi("Command", { description: "key hashes to a shard; the same id twice is one command" });

export const CommandReply = z.object({ shard: Count, slot: z.number().int().positive(), id: z.string() }).openapi("CommandSlot");

export const ClusterView = z
  .object({
    verification: z
      .object({
        newNodeCalls: Count.openapi({ description: "VERIFY_NEW_NODE_CALLS: every call among a new runner's first this many is also run on a second node" }),
        fraction: z.number().min(0).max(1).openapi({ description: "VERIFY_FRACTION: the share of other runner calls verified the same way" }),
        warning: z.string().optional().openapi({ description: "present when no call is verified: a runner's wrong results reach jobs unchecked" }),
      })
      .openapi({ description: "result verification (README, Verification)" }),
    shards: z
      .array(
        z.looseObject({
          shard: Count,
          leader: z.object({ commander: z.string(), ballot: z.string() }).nullable(),
          chosenIndex: Count,
          appliedIndex: Count,
          commanders: z.array(z.looseObject({ name: z.string(), role: z.string() })),
          acceptors: z.array(z.looseObject({ name: z.string(), health: z.enum(["ok", "unreachable", "refusing", "unknown"]) })),
        }),
      )
      .readonly(),
  })
  .openapi("Cluster");

// ---- ties to the contract (compile time only) -----------------------------------------------

type Plain<T> = T extends readonly (infer U)[] ? Plain<U>[] : T extends object ? { -readonly [K in keyof T]: Plain<T[K]> } : T;
/** Each assignable to the other, readonly aside. */
type Same<A, B> = [Plain<A>] extends [Plain<B>] ? ([Plain<B>] extends [Plain<A>] ? true : false) : false;
type Covers<Schema, Contract> = [Exclude<keyof Contract, keyof Schema>] extends [never] ? true : false;
type Assert<T extends true> = T;

type JobKeys = "id" | "name" | "status" | "shard" | "root" | "parent" | "idempotencyKey" | "submittedBy" | "cancelledBy" | "acceptedAt" | "finishedAt" | "error";
type CallKeys = "seq" | "kind" | "target" | "queuedAt";

/** A "false" here: the contract changed; change the schema (and the view built from it) to match. */
export type ContractChecks = [
  Assert<Same<Pick<z.infer<typeof JobJson>, JobKeys>, Pick<contract.JobView, JobKeys>>>,
  Assert<Covers<z.infer<typeof JobJson>, contract.JobView>>,
  Assert<Same<Pick<z.infer<typeof CallJson>, CallKeys>, Pick<state.CallRecord, CallKeys>>>,
  // A call's input is shown as its size, its state as status, node, times, output size, error and `verified` (workers/job-views.ts); held answers are not shown.
  Assert<Covers<z.infer<typeof CallJson> & Pick<state.StageCall, "input" | "state">, state.StageCall>>,
  Assert<Covers<z.infer<typeof CallJson> & Pick<state.JobCall, "input" | "state">, state.JobCall>>,
  // An attempt's status is shown as `timedOutAt` and `ending` once it ended.
  Assert<Same<Omit<z.infer<typeof AttemptJson>, "timedOutAt" | "ending">, Omit<state.AttemptRecord, "status">>>,
  Assert<Same<z.infer<typeof AttemptJson>["ending"], Extract<state.AttemptStatus, { is: "ended" }>["how"] | undefined>>,
  Assert<Same<z.infer<typeof JobSummary>, contract.JobSummary>>,
  Assert<Same<z.infer<typeof JobEvent>, state.JobEvent>>,
  Assert<Same<z.infer<typeof NodeView>, contract.NodeView>>,
  Assert<Same<z.infer<typeof RegisterRequest>, protocol.RegisterRequest & { url: string }>>,
  Assert<Same<z.infer<typeof NodeLoad>, decisions.NodeLoad>>,
  Assert<Same<z.infer<typeof HeartbeatReply>, protocol.HeartbeatReply>>,
  Assert<Same<z.infer<typeof ResultReport>, protocol.ResultReport>>,
  Assert<Same<z.infer<typeof ResultOfferReply>, contract.ResultOfferReply>>,
  Assert<Same<z.infer<typeof ResultBatch>, protocol.ResultBatch>>,
];
