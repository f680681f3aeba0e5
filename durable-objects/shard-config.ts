import { ConfigError, DEFAULT_ALPHA, type QuorumConfig, makeConfig } from "../core/paxos/index.ts";
import { COMMANDER_DEFAULTS } from "../runtime/commander-driver.ts";
import { PaxflowError } from "../runtime/errors.ts";
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
  readonly maxCommandBytes: number;
  readonly maxBatchBytes: number;
  readonly maxPending: number;
  /** THRIFTY=1: phase-2 messages go first to the phase-2 quorum of acceptors answering fastest. */
  readonly thrifty: boolean;
  /** AUTO_REPLACE_AFTER_MS: the leader replaces an acceptor whose every call failed this long; 0 = never. */
  readonly autoReplaceAfterMs: number;
}

export class ShardConfigError extends Error {
  override readonly name = "ShardConfigError";
}

const LOCATION_HINTS: readonly DurableObjectLocationHint[] = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"];

export const DEFAULT_LEASE_MS = 2_000;

/**
 * Durable Object SQLite refuses a value over 2 MB, and an acceptor stores one slot's entry as
 * one value: a batch must stay well below that, JSON framing included.
 */
export const MAX_BATCH_BYTES_LIMIT = 1_500_000;

/** Separate from parseShardConfig because acceptors need nothing else. */
export const parseLeaseMs = (env: Env): number => integer("LEASE_MS", env.LEASE_MS, 0, DEFAULT_LEASE_MS);

export function integer(name: string, raw: string | undefined, min: number, fallback?: number): number {
  const text = raw?.trim() ?? "";
  if (text === "") {
    if (fallback !== undefined) return fallback;
    throw new ShardConfigError(`${name} is required (an integer >= ${min})`);
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new ShardConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function compactEvery(raw: string | undefined): number {
  if (raw?.trim() === "0") {
    throw new ShardConfigError(
      'COMPACT_EVERY must be an integer >= 1, got "0": without compaction acceptors keep every chosen slot, and their ' +
        "promise and learn replies (which carry every slot from the asker's position) grow without bound",
    );
  }
  return integer("COMPACT_EVERY", raw, 1, COMMANDER_DEFAULTS.compactEvery);
}

const optionalInteger = (name: string, raw: string | undefined): number | undefined =>
  raw?.trim() ? integer(name, raw, 1) : undefined;

function flag(name: string, raw: string | undefined): boolean {
  const text = raw?.trim() ?? "";
  if (text === "" || text === "0") return false;
  if (text === "1") return true;
  throw new ShardConfigError(`${name} must be "1" (on) or "0" or empty (off), got "${raw}"`);
}

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
    compactEvery: compactEvery(env.COMPACT_EVERY),
    maxCommandBytes: integer("MAX_COMMAND_BYTES", env.MAX_COMMAND_BYTES, 1, COMMANDER_DEFAULTS.maxCommandBytes),
    maxBatchBytes: integer("MAX_BATCH_BYTES", env.MAX_BATCH_BYTES, 1, COMMANDER_DEFAULTS.maxBatchBytes),
    maxPending: integer("MAX_PENDING", env.MAX_PENDING, 1, COMMANDER_DEFAULTS.maxPending),
    thrifty: flag("THRIFTY", env.THRIFTY),
    autoReplaceAfterMs: integer("AUTO_REPLACE_AFTER_MS", env.AUTO_REPLACE_AFTER_MS, 0, COMMANDER_DEFAULTS.autoReplaceAfterMs),
  };
  if (config.maxBatchBytes > MAX_BATCH_BYTES_LIMIT) {
    throw new ShardConfigError(
      `MAX_BATCH_BYTES must be at most ${MAX_BATCH_BYTES_LIMIT} (Durable Object storage refuses values over 2 MB, and a slot is stored as one value), got ${config.maxBatchBytes}`,
    );
  }
  if (config.maxBatchBytes < config.maxCommandBytes) {
    throw new ShardConfigError(
      `MAX_BATCH_BYTES (${config.maxBatchBytes}) must be at least MAX_COMMAND_BYTES (${config.maxCommandBytes}): a slot must fit the largest command`,
    );
  }
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

/**
 * The acceptor that may replace one in shard `shard`: "shard-<shard>/acceptor-<n>". An acceptor
 * of another shard (or any other object) would interleave two shards' logs in one place.
 */
export function checkReplacementAcceptor(shard: number, fresh: unknown): string {
  const match = typeof fresh === "string" ? /^shard-(\d+)\/acceptor-(\d+)$/.exec(fresh) : null;
  if (!match || Number(match[1]) !== shard) {
    throw new PaxflowError(
      "invalid-argument",
      `the replacement acceptor must be named "shard-${shard}/acceptor-<n>" (an acceptor of this commander's own shard ${shard}), ` +
        `got ${JSON.stringify(fresh)}; sharing an acceptor between shards would mix their logs`,
    );
  }
  return fresh as string;
}

/**
 * The acceptor that replaces one of shard `shard` on its own (auto-replace):
 * "shard-<shard>/acceptor-<j>" with j one past the highest j of any acceptor in `known` (every
 * configuration the commander knows), and at least ACCEPTORS_PER_SHARD, so no name is reused.
 */
export function nextAcceptorOf(config: ShardConfig, shard: number, known: Iterable<string>): string {
  let highest = config.acceptorsPerShard - 1;
  const prefix = `shard-${shard}/acceptor-`;
  for (const name of known) {
    const rest = name.startsWith(prefix) ? name.slice(prefix.length) : "";
    if (/^\d+$/.test(rest)) highest = Math.max(highest, Number(rest));
  }
  return acceptorName(shard, highest + 1);
}

/** Acceptor j gets hint j mod #hints; replacements named otherwise get the first hint. */
export function locationHintFor(config: ShardConfig, acceptor: string): DurableObjectLocationHint | undefined {
  if (config.locationHints.length === 0) return undefined;
  const index = Number(/acceptor-(\d+)$/.exec(acceptor)?.[1] ?? 0);
  return config.locationHints[index % config.locationHints.length];
}
