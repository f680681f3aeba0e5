import type { Acceptor } from "./acceptor.ts";
import type { Commander } from "./commander.ts";

/** Bindings and [vars] of the paxflow Worker (see wrangler.toml). Vars arrive as strings. */
export interface Env {
  readonly ACCEPTOR: DurableObjectNamespace<Acceptor>;
  readonly COMMANDER: DurableObjectNamespace<Commander>;
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
}
