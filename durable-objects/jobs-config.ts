import { DEFAULT_MAX_CALLS_PER_JOB, DEFAULT_MAX_JOB_DEPTH, DEFAULT_MAX_RUNNING_JOBS } from "../core/jobs/advance.ts";
import { DEFAULT_MAX_NODES, DEFAULT_NODE_EXPIRY_MS, MIN_NODE_EXPIRY_MS } from "../core/jobs/nodes.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES } from "../core/jobs/payload.ts";
import { DEFAULT_JOB_RETENTION_MS } from "../core/jobs/retention.ts";
import { DEFAULT_WORKER_SLOTS } from "../core/jobs/builtins.ts";
/**
 * Finished jobs a commander keeps parsed (RETAIN_JOBS): a cache over its SQLite, where reads are
 * cheap anyway. Each parsed job holds its calls and events; a larger cache was most of what the
 * isolate's heap grew by under a stream of small jobs (bench:load soak).
 */
export const DEFAULT_CACHED_JOBS = 100;
import { DEFAULT_VERIFY_POLICY, type VerifyPolicy } from "../core/jobs/verification.ts";
import { FreezeInputsSettingError, freezeInputsFrom } from "../core/sdk/run-stage.ts";
import { type RunnerAllow, parseRunnerAllow } from "../core/net/runner-url.ts";
import type { Env } from "./env.ts";
import { ShardConfigError, integer } from "./shard-config.ts";

/** The job side of the [vars], checked once, each error naming its variable. */
export interface JobsConfig {
  readonly inlinePayloadBytes: number;
  readonly inlineMaxMs: number;
  readonly workerLatencyMs: number;
  /** WORKER_SLOTS: calls the stage Worker takes at once (1 locally, where it shares the API's thread). */
  readonly workerSlots: number;
  /** RETAIN_JOBS: finished jobs a commander keeps parsed in memory (a cache over its store). */
  readonly retainJobs: number;
  /** JOB_RETENTION in ms: how long a finished job stays readable, on the log's clock. */
  readonly jobRetentionMs: number;
  readonly maxCallsPerJob: number;
  readonly maxJobDepth: number;
  readonly maxRunningJobs: number;
  readonly verify: VerifyPolicy;
  /** RUNNER_ALLOW: the loopback, private and link-local addresses runners may register. */
  readonly runnerAllow: RunnerAllow;
  readonly maxNodes: number;
  readonly nodeExpiryMs: number;
  /** PAXFLOW_FREEZE_INPUTS: deep-freeze stage inputs (inline calls, the stage Worker); core/sdk/run-stage.ts. */
  readonly freezeInputs: boolean;
}

function fraction(name: string, raw: string | undefined, fallback: number): number {
  const text = raw?.trim() ?? "";
  if (text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new ShardConfigError(`${name} must be a number from 0 to 1, got "${raw}"`);
  return value;
}

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration with its unit ("7d", "12h", "30m", "45s", "250ms"), in ms; at least 1 ms. */
export function duration(name: string, raw: string | undefined, fallbackMs: number): number {
  const text = raw?.trim() ?? "";
  if (text === "") return fallbackMs;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  const ms = match ? Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS] : NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new ShardConfigError(`${name} must be a whole number with a unit (ms, s, m, h or d), at least 1ms, e.g. "7d"; got "${raw}"`);
  }
  return ms;
}

function runnerAllow(raw: string | undefined): RunnerAllow {
  const parsed = parseRunnerAllow(raw ?? "");
  if (!parsed.ok) throw new ShardConfigError(`RUNNER_ALLOW: "${parsed.entry}" is ${parsed.reason}`);
  return parsed.allow;
}

/** As a ShardConfigError, which the API answers as 500 "misconfigured" like every other bad [vars] entry. */
function freezeInputs(raw: string | undefined): boolean {
  try {
    return freezeInputsFrom(raw);
  } catch (error) {
    throw error instanceof FreezeInputsSettingError ? new ShardConfigError(error.message) : error;
  }
}

/** The [vars] parseJobsConfig reads: what its answer depends on. */
const JOBS_VARS = [
  "INLINE_PAYLOAD_BYTES",
  "INLINE_MAX_MS",
  "WORKER_LATENCY_MS",
  "WORKER_SLOTS",
  "RETAIN_JOBS",
  "JOB_RETENTION",
  "MAX_CALLS_PER_JOB",
  "MAX_JOB_DEPTH",
  "MAX_RUNNING_JOBS",
  "VERIFY_FRACTION",
  "VERIFY_NEW_NODE_CALLS",
  "RUNNER_ALLOW",
  "MAX_NODES",
  "PAXFLOW_FREEZE_INPUTS",
  "NODE_EXPIRY_MS",
] as const satisfies readonly (keyof Env)[];

/**
 * Parsed configurations by their raw [vars]. The stage Worker and the payload store ask on every
 * call, and parsing (RUNNER_ALLOW's addresses above all) cost about 0.1 ms each time on the
 * thread local workerd shares with every Durable Object; keyed by the values, not by the env
 * object, so a changed variable is parsed again.
 */
const parsed = new Map<string, JobsConfig>();

export function parseJobsConfig(env: Env): JobsConfig {
  const key = JSON.stringify(JOBS_VARS.map((name) => env[name] ?? null));
  let config = parsed.get(key);
  if (config === undefined) {
    config = parseJobsConfigNow(env);
    // A handful of distinct configurations at most (tests vary them); never grows without bound.
    if (parsed.size >= 64) parsed.clear();
    parsed.set(key, config);
  }
  return config;
}

function parseJobsConfigNow(env: Env): JobsConfig {
  return {
    inlinePayloadBytes: integer("INLINE_PAYLOAD_BYTES", env.INLINE_PAYLOAD_BYTES, 0, DEFAULT_INLINE_PAYLOAD_BYTES),
    inlineMaxMs: integer("INLINE_MAX_MS", env.INLINE_MAX_MS, 0, 2),
    workerLatencyMs: integer("WORKER_LATENCY_MS", env.WORKER_LATENCY_MS, 0, 1),
    workerSlots: integer("WORKER_SLOTS", env.WORKER_SLOTS, 1, DEFAULT_WORKER_SLOTS),
    retainJobs: integer("RETAIN_JOBS", env.RETAIN_JOBS, 0, DEFAULT_CACHED_JOBS),
    jobRetentionMs: duration("JOB_RETENTION", env.JOB_RETENTION, DEFAULT_JOB_RETENTION_MS),
    maxCallsPerJob: integer("MAX_CALLS_PER_JOB", env.MAX_CALLS_PER_JOB, 1, DEFAULT_MAX_CALLS_PER_JOB),
    maxJobDepth: integer("MAX_JOB_DEPTH", env.MAX_JOB_DEPTH, 0, DEFAULT_MAX_JOB_DEPTH),
    maxRunningJobs: integer("MAX_RUNNING_JOBS", env.MAX_RUNNING_JOBS, 1, DEFAULT_MAX_RUNNING_JOBS),
    verify: {
      fraction: fraction("VERIFY_FRACTION", env.VERIFY_FRACTION, DEFAULT_VERIFY_POLICY.fraction),
      newNodeCalls: integer("VERIFY_NEW_NODE_CALLS", env.VERIFY_NEW_NODE_CALLS, 0, DEFAULT_VERIFY_POLICY.newNodeCalls),
    },
    runnerAllow: runnerAllow(env.RUNNER_ALLOW),
    maxNodes: integer("MAX_NODES", env.MAX_NODES, 1, DEFAULT_MAX_NODES),
    freezeInputs: freezeInputs(env.PAXFLOW_FREEZE_INPUTS),
    nodeExpiryMs: integer("NODE_EXPIRY_MS", env.NODE_EXPIRY_MS, MIN_NODE_EXPIRY_MS, DEFAULT_NODE_EXPIRY_MS),
  };
}
