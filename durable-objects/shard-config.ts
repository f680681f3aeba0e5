import { ConfigError, DEFAULT_ALPHA, type QuorumConfig, makeConfig } from "../core/paxos/index.ts";
import { COMMANDER_DEFAULTS } from "../runtime/commander-driver.ts";
import type { Env } from "./env.ts";

/** Everything the [vars] say, parsed and checked once, with the variable named in every error. */
export interface ShardConfig {
  readonly shards: number;
  readonly acceptorsPerShard: number;
  readonly commandersPerShard: number;
  readonly phase1Quorum: number | undefined;
  readonly phase2Quorum: number | undefined;
  readonly alpha: number;
  readonly maxBatch: number;
  readonly locationHints: readonly DurableObjectLocationHint[];
  readonly chaos: boolean;
  readonly leaseMs: number;
  readonly retryMs: number;
  readonly callTimeoutMs: number;
  readonly campaignTimeoutMs: number;
  readonly commitTimeoutMs: number;
  readonly compactEvery: number;
}

export class ShardConfigError extends Error {
  override readonly name = "ShardConfigError";
}

const LOCATION_HINTS: readonly DurableObjectLocationHint[] = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"];

export const DEFAULT_LEASE_MS = 2_000;

/** Separate from parseShardConfig because acceptors need nothing else. */
export const parseLeaseMs = (env: Env): number => integer("LEASE_MS", env.LEASE_MS, 0, DEFAULT_LEASE_MS);

function integer(name: string, raw: string | undefined, min: number, fallback?: number): number {
  const text = raw?.trim() ?? "";
  if (text === "") {
    if (fallback !== undefined) return fallback;
    throw new ShardConfigError(`${name} is required (an integer >= ${min})`);
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new ShardConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

const optionalInteger = (name: string, raw: string | undefined): number | undefined =>
  raw?.trim() ? integer(name, raw, 1) : undefined;

function locationHints(raw: string | undefined): DurableObjectLocationHint[] {
  const hints = (raw ?? "").split(",").map((h) => h.trim()).filter((h) => h !== "");
  for (const hint of hints) {
    if (!LOCATION_HINTS.includes(hint as DurableObjectLocationHint)) {
      throw new ShardConfigError(`ACCEPTOR_LOCATION_HINTS: unknown location hint "${hint}" (known: ${LOCATION_HINTS.join(", ")})`);
    }
  }
  return hints as DurableObjectLocationHint[];
}

export function parseShardConfig(env: Env): ShardConfig {
  const config: ShardConfig = {
    shards: integer("SHARDS", env.SHARDS, 1),
    acceptorsPerShard: integer("ACCEPTORS_PER_SHARD", env.ACCEPTORS_PER_SHARD, 1),
    commandersPerShard: integer("COMMANDERS_PER_SHARD", env.COMMANDERS_PER_SHARD, 1),
    phase1Quorum: optionalInteger("PHASE1_QUORUM", env.PHASE1_QUORUM),
    phase2Quorum: optionalInteger("PHASE2_QUORUM", env.PHASE2_QUORUM),
    alpha: integer("ALPHA", env.ALPHA, 1, DEFAULT_ALPHA),
    maxBatch: integer("MAX_BATCH", env.MAX_BATCH, 1, COMMANDER_DEFAULTS.maxBatch),
    locationHints: locationHints(env.ACCEPTOR_LOCATION_HINTS),
    chaos: env.PAXFLOW_CHAOS === "1",
    leaseMs: parseLeaseMs(env),
    retryMs: integer("RETRY_MS", env.RETRY_MS, 1, COMMANDER_DEFAULTS.retryMs),
    callTimeoutMs: integer("CALL_TIMEOUT_MS", env.CALL_TIMEOUT_MS, 1, COMMANDER_DEFAULTS.callTimeoutMs),
    campaignTimeoutMs: integer("CAMPAIGN_TIMEOUT_MS", env.CAMPAIGN_TIMEOUT_MS, 1, COMMANDER_DEFAULTS.campaignTimeoutMs),
    commitTimeoutMs: integer("COMMIT_TIMEOUT_MS", env.COMMIT_TIMEOUT_MS, 1, COMMANDER_DEFAULTS.commitTimeoutMs),
    compactEvery: integer("COMPACT_EVERY", env.COMPACT_EVERY, 0, COMMANDER_DEFAULTS.compactEvery),
  };
  initialConfig(config, 0); // quorum sizes are checked here, once, rather than on first use
  return config;
}

export const acceptorName = (shard: number, index: number): string => `shard-${shard}/acceptor-${index}`;
export const commanderName = (shard: number, index: number): string => `shard-${shard}/commander-${index}`;

/**
 * Commander names are "shard-<k>/commander-<i>". Any k is accepted (the API only routes to
 * k < SHARDS; tests use fresh shard numbers for isolation); i must be a configured commander.
 */
export function parseCommanderName(config: ShardConfig, name: string): { shard: number; index: number } {
  const match = /^shard-(\d+)\/commander-(\d+)$/.exec(name);
  if (!match) throw new ShardConfigError(`commander name must look like "shard-<k>/commander-<i>", got "${name}"`);
  const shard = Number(match[1]);
  const index = Number(match[2]);
  if (index >= config.commandersPerShard) {
    throw new ShardConfigError(`${name}: COMMANDERS_PER_SHARD is ${config.commandersPerShard}, so i must be below it`);
  }
  return { shard, index };
}

/** The bootstrap acceptor set of one shard, with the configured (or majority) quorums. */
export function initialConfig(config: ShardConfig, shard: number): QuorumConfig {
  const acceptors = Array.from({ length: config.acceptorsPerShard }, (_, j) => acceptorName(shard, j));
  try {
    return makeConfig(acceptors, { phase1Quorum: config.phase1Quorum, phase2Quorum: config.phase2Quorum, alpha: config.alpha });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ShardConfigError(`PHASE1_QUORUM/PHASE2_QUORUM with ACCEPTORS_PER_SHARD=${config.acceptorsPerShard}: ${error.message}`);
    }
    throw error;
  }
}

/** Acceptor j gets hint j mod #hints; replacements named otherwise get the first hint. */
export function locationHintFor(config: ShardConfig, acceptor: string): DurableObjectLocationHint | undefined {
  if (config.locationHints.length === 0) return undefined;
  const index = Number(/acceptor-(\d+)$/.exec(acceptor)?.[1] ?? 0);
  return config.locationHints[index % config.locationHints.length];
}
