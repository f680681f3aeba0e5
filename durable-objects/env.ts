import type { Acceptor } from "./acceptor.ts";
import type { Commander } from "./commander.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import type { StageWorker } from "../workers/stage-worker.ts";

/** Bindings and [vars] of the paxflow Worker (see wrangler.toml). Vars arrive as strings. */
export interface Env {
  readonly ACCEPTOR: DurableObjectNamespace<Acceptor>;
  readonly COMMANDER: DurableObjectNamespace<Commander>;
  /** One token bucket per client token name (workers/rate-limit.ts). */
  readonly RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Jobs a client token may submit a second, and its burst. Defaults 1000 and twice the rate. */
  readonly JOBS_PER_SECOND?: string;
  readonly JOBS_BURST?: string;
  readonly SHARDS: string;
  readonly ACCEPTORS_PER_SHARD: string;
  readonly COMMANDERS_PER_SHARD: string;
  /** Empty: majority. */
  readonly PHASE1_QUORUM: string;
  readonly PHASE2_QUORUM: string;
  readonly ALPHA: string;
  readonly MAX_BATCH: string;
  /** Comma-separated Durable Object location hints, assigned to acceptors round-robin. */
  readonly ACCEPTOR_LOCATION_HINTS?: string;
  /** "1" allows fault injection (Acceptor.setFault). Never set it in production. */
  readonly PAXFLOW_CHAOS: string;
  /** "1": deep-freeze stage inputs (core/sdk/run-stage.ts). `paxflow dev` and the tests set it; production leaves it off. */
  readonly PAXFLOW_FREEZE_INPUTS?: string;
  readonly LEASE_MS?: string;
  readonly RETRY_MS?: string;
  readonly CALL_TIMEOUT_MS?: string;
  readonly CAMPAIGN_TIMEOUT_MS?: string;
  readonly COMMIT_TIMEOUT_MS?: string;
  /** Snapshot interval in slots; must be >= 1 (0 would let acceptor replies grow without bound). */
  readonly COMPACT_EVERY?: string;
  /** Largest command (request body at the API, encoded command at the commander); default 65536. */
  readonly MAX_COMMAND_BYTES?: string;
  /** Most bytes of commands per slot; default 1 MiB, at most 1,500,000, at least MAX_COMMAND_BYTES. */
  readonly MAX_BATCH_BYTES?: string;
  /** Most commands queued or in flight per commander before submits get "overloaded"; default 10000. */
  readonly MAX_PENDING?: string;
  /** "1": thrifty phase 2 (accepts go to the fastest phase-2 quorum first, widening on timeout). Default off. */
  readonly THRIFTY?: string;
  /** The leader replaces an acceptor whose every call failed for this many ms (0 or empty: never). */
  readonly AUTO_REPLACE_AFTER_MS?: string;
  /** The stage Worker (this script's StageWorker entrypoint), a backend every shard has. */
  readonly STAGES: Service<StageWorker>;
  /** The dashboard's static pages (wrangler.toml [assets]); absent where the Worker runs without them. */
  readonly ASSETS?: Fetcher;
  /** Large payloads, content-addressed (see core/jobs/payload.ts). */
  readonly PAYLOADS: R2Bucket;
  /** Payloads up to this many encoded bytes stay in the log entry; larger ones go to R2. Default 16384. */
  readonly INLINE_PAYLOAD_BYTES?: string;
  /** Largest POST /v1/jobs body (413 beyond). Default 1 MiB. */
  readonly MAX_JOB_INPUT_BYTES?: string;
  /** Largest POST /v1/nodes/:id/results body (413 beyond). Default 8 MiB. */
  readonly MAX_RESULT_BYTES?: string;
  /** Largest PUT /v1/payloads/:sha256 body, streamed to R2 (413 beyond, from Content-Length). Default 100 MiB. */
  readonly MAX_PAYLOAD_BYTES?: string;
  /** The commander runs a call itself when its predicted runtime is at most this many ms. Default 2. */
  readonly INLINE_MAX_MS?: string;
  /** Round-trip share the placement model charges for a stage Worker call, in ms. Default 1. */
  readonly WORKER_LATENCY_MS?: string;
  readonly WORKER_SLOTS?: string;
  /** Finished jobs a commander keeps parsed in memory (a cache; all of them are on disk). Default 1000. */
  readonly RETAIN_JOBS?: string;
  /** How long a finished job stays readable, with its unit ("7d", "12h", "250ms"). Default 7d. */
  readonly JOB_RETENTION?: string;
  /** Most calls one job may make before it fails (TooManyCalls). Default 10000. */
  readonly MAX_CALLS_PER_JOB?: string;
  /** Deepest sub-job nesting (a submitted job is depth 0); deeper fails the tree (JobTooDeep). Default 64. */
  readonly MAX_JOB_DEPTH?: string;
  /** Share of runner calls re-run on a second node and compared (0 to 1; default 0). */
  readonly VERIFY_FRACTION?: string;
  /** Every call among a newly registered runner's first this many is verified (default 10). */
  readonly VERIFY_NEW_NODE_CALLS?: string;
  /** Hosts and CIDR ranges (comma-separated) whose loopback, private or link-local addresses runners may register (core/net/runner-url.ts). Default none. */
  readonly RUNNER_ALLOW?: string;
  /** Most runners a shard registers; a new one beyond it gets 429 too_many_nodes. Default 1000. */
  readonly MAX_NODES?: string;
  readonly MAX_RUNNING_JOBS?: string;
  /** A runner not heard from for this many ms is removed. Default 86400000 (24 h), at least 60000. */
  readonly NODE_EXPIRY_MS?: string;
  /** Client bearer tokens, `name=token=scope+scope` comma-separated (workers/auth.ts). A secret: wrangler secret put API_TOKENS. */
  readonly API_TOKENS?: string;
  /** The key runners' secrets derive from (runtime/runner-signature.ts). A secret: wrangler secret put RUNNER_KEY. */
  readonly RUNNER_KEY?: string;
}
