/**
 * Asking a shard's commanders about jobs and nodes: the remembered leader first, then whoever a
 * refusal names (routing.ts), with every way that can fail turned into one HTTP answer.
 */
import type { Env } from "../durable-objects/env.ts";
import { commanderName, parseShardConfig } from "../durable-objects/shard-config.ts";
import { errorCode, errorMessage, errorReason } from "../runtime/errors.ts";
import type { JobPlane } from "../runtime/jobs/contract.ts";
import { ApiError } from "./http.ts";
import { LeaderHints, tryCommanders } from "./routing.ts";

/** Per isolate: which commander answered for each shard last time. */
const leaderHints = new LeaderHints();

const OVERLOADED_RETRY_AFTER_S = 1;
/** A delete under way takes a few R2 requests; the upload and submit after it succeed. */
const DELETING_RETRY_AFTER_S = 1;

/** Commander errors another commander of the shard would answer the same way (or worse, by campaigning). */
const FINAL_FOR_SHARD = new Set([
  "overloaded",
  "cluster-mismatch",
  "command-too-large",
  "invalid-argument",
  "idempotency-conflict",
  "not-found",
  "stale-registration",
  "too-many-nodes",
  "too-many-running",
  // The shard's commanders share one bucket: each would find the blob as gone, or as marked.
  "payload-missing",
  "payload-deleting",
]);

const commander = (env: Env, shard: number, index: number): JobPlane => env.COMMANDER.get(env.COMMANDER.idFromName(commanderName(shard, index)));

export async function askShard<T>(env: Env, shard: number, call: (commander: JobPlane) => Promise<T>): Promise<T> {
  const config = parseShardConfig(env);
  const result = await tryCommanders(
    leaderHints.firstChoice(shard),
    config.commandersPerShard,
    (index) => call(commander(env, shard, index)),
    (error) => FINAL_FOR_SHARD.has(errorCode(error) ?? ""),
  );
  if (!result.ok) throw shardFailure(shard, result.errors);
  leaderHints.committed(shard, result.commander);
  return result.value;
}

/** The same question to every shard, answers in shard order. */
export function askEveryShard<T>(env: Env, call: (commander: JobPlane) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: parseShardConfig(env).shards }, (_, shard) => askShard(env, shard, call)));
}

function shardFailure(shard: number, errors: readonly { commander: number; error: unknown }[]): ApiError {
  for (const { error } of errors) {
    switch (errorCode(error)) {
      case "idempotency-conflict":
        return new ApiError(409, "idempotency_conflict", errorReason(error));
      case "not-found":
        return new ApiError(404, "not_found", errorReason(error));
      case "stale-registration":
        return new ApiError(409, "stale_registration", errorReason(error));
      case "too-many-nodes":
        return new ApiError(429, "too_many_nodes", errorReason(error));
      case "invalid-argument":
        return new ApiError(400, "invalid_argument", errorReason(error));
      case "command-too-large":
        return new ApiError(413, "payload_too_large", errorReason(error));
      case "cluster-mismatch":
        return new ApiError(500, "misconfigured", errorReason(error));
      case "too-many-running":
        return new ApiError(503, "too_many_running", errorReason(error), { "Retry-After": String(OVERLOADED_RETRY_AFTER_S) });
      // The blob a submit or a result names went once no kept job named it: whoever has its bytes
      // uploads them again (a submit does so itself). A 4xx, not a 503: waiting alone cannot bring
      // them back. 400 as for a result naming a blob never stored (json-values.ts storedPayload).
      case "payload-missing":
        return new ApiError(400, "payload_missing", errorReason(error));
      case "payload-deleting":
        return new ApiError(409, "payload_deleting", errorReason(error), { "Retry-After": String(DELETING_RETRY_AFTER_S) });
      case "overloaded":
        return new ApiError(503, "overloaded", `shard ${shard} is overloaded: ${errorReason(error)}`, { "Retry-After": String(OVERLOADED_RETRY_AFTER_S) });
    }
  }
  const reasons = errors.map(({ commander, error }) => `${commanderName(shard, commander)}: ${errorMessage(error)}`);
  return new ApiError(503, "unavailable", `no commander of shard ${shard} could answer: ${reasons.join("; ")}`);
}
