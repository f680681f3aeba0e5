import { describe, expect, it } from "vitest";
import type { Env } from "../../durable-objects/env.ts";
import { parseJobsConfig } from "../../durable-objects/jobs-config.ts";
import { errorCode } from "../../runtime/errors.ts";
import {
  checkReplacementAcceptor,
  commanderName,
  initialConfig,
  locationHintFor,
  parseCommanderName,
  parseShardConfig,
} from "../../durable-objects/shard-config.ts";

// The parser only reads the string vars; the bindings are irrelevant here.
const vars = (overrides: Partial<Record<keyof Env, string>> = {}) =>
  ({
    SHARDS: "2",
    ACCEPTORS_PER_SHARD: "3",
    COMMANDERS_PER_SHARD: "2",
    PHASE1_QUORUM: "",
    PHASE2_QUORUM: "",
    ALPHA: "32",
    MAX_BATCH: "512",
    ACCEPTOR_LOCATION_HINTS: "",
    PAXFLOW_CHAOS: "0",
    ...overrides,
  }) as unknown as Env;

describe("shard configuration from [vars]", () => {
  it("defaults to majorities and builds each shard's acceptor set", () => {
    const config = parseShardConfig(vars());
    expect(config).toMatchObject({ shards: 2, acceptorsPerShard: 3, commandersPerShard: 2, alpha: 32, maxBatch: 512, chaos: false });
    expect(initialConfig(config, 1)).toEqual({
      epoch: 1,
      acceptors: ["shard-1/acceptor-0", "shard-1/acceptor-1", "shard-1/acceptor-2"],
      phase1Quorum: 2,
      phase2Quorum: 2,
      alpha: 32,
    });
  });

  it("accepts intersecting flexible quorums and names the variables when they do not intersect", () => {
    const flexible = parseShardConfig(vars({ ACCEPTORS_PER_SHARD: "5", PHASE1_QUORUM: "4", PHASE2_QUORUM: "2" }));
    expect(initialConfig(flexible, 0)).toMatchObject({ phase1Quorum: 4, phase2Quorum: 2 });
    expect(() => parseShardConfig(vars({ ACCEPTORS_PER_SHARD: "5", PHASE1_QUORUM: "3", PHASE2_QUORUM: "2" }))).toThrow(
      /PHASE1_QUORUM\/PHASE2_QUORUM.*quorums do not intersect/,
    );
  });

  it("names the bad variable", () => {
    expect(() => parseShardConfig(vars({ SHARDS: "zero" }))).toThrow(/SHARDS must be an integer >= 1, got "zero"/);
    expect(() => parseShardConfig(vars({ SHARDS: "" }))).toThrow(/SHARDS is required/);
    expect(() => parseShardConfig(vars({ ALPHA: "0" }))).toThrow(/ALPHA/);
    expect(() => parseShardConfig(vars({ ACCEPTOR_LOCATION_HINTS: "weur, mars" }))).toThrow(/unknown location hint "mars"/);
  });

  it("assigns location hints round-robin", () => {
    const config = parseShardConfig(vars({ ACCEPTOR_LOCATION_HINTS: "weur,enam" }));
    expect(["shard-0/acceptor-0", "shard-0/acceptor-1", "shard-0/acceptor-2"].map((a) => locationHintFor(config, a))).toEqual([
      "weur",
      "enam",
      "weur",
    ]);
    expect(locationHintFor(parseShardConfig(vars()), "shard-0/acceptor-0")).toBeUndefined();
  });

  it("parses commander names", () => {
    const config = parseShardConfig(vars());
    expect(parseCommanderName(config, commanderName(1, 1))).toEqual({ shard: 1, index: 1 });
    expect(() => parseCommanderName(config, "shard-1/commander-2")).toThrow(/COMMANDERS_PER_SHARD is 2/);
    expect(() => parseCommanderName(config, "leader")).toThrow(/shard-<k>\/commander-<i>/);
  });

  it("refuses COMPACT_EVERY=0, saying why", () => {
    expect(parseShardConfig(vars()).compactEvery).toBe(1024);
    expect(parseShardConfig(vars({ COMPACT_EVERY: "7" })).compactEvery).toBe(7);
    expect(() => parseShardConfig(vars({ COMPACT_EVERY: "0" }))).toThrow(/COMPACT_EVERY must be an integer >= 1.*grow without bound/);
  });

  it("bounds MAX_BATCH_BYTES below the storage limit and above MAX_COMMAND_BYTES", () => {
    expect(parseShardConfig(vars())).toMatchObject({ maxCommandBytes: 65_536, maxBatchBytes: 1_048_576, maxPending: 10_000 });
    expect(parseShardConfig(vars({ MAX_BATCH_BYTES: "1500000", MAX_COMMAND_BYTES: "1500000", MAX_PENDING: "5" }))).toMatchObject({
      maxCommandBytes: 1_500_000,
      maxBatchBytes: 1_500_000,
      maxPending: 5,
    });
    expect(() => parseShardConfig(vars({ MAX_BATCH_BYTES: "2000000" }))).toThrow(/MAX_BATCH_BYTES must be at most 1500000.*2 MB/);
    expect(() => parseShardConfig(vars({ MAX_BATCH_BYTES: "1000", MAX_COMMAND_BYTES: "2000" }))).toThrow(
      /MAX_BATCH_BYTES \(1000\) must be at least MAX_COMMAND_BYTES \(2000\)/,
    );
    expect(() => parseShardConfig(vars({ MAX_PENDING: "0" }))).toThrow(/MAX_PENDING/);
  });

  it("accepts only an acceptor of the commander's own shard as a replacement", () => {
    expect(checkReplacementAcceptor(3, "shard-3/acceptor-7")).toBe("shard-3/acceptor-7");
    for (const bad of ["shard-4/acceptor-7", "shard-3/commander-1", "acceptor-7", "shard-3/acceptor-x", "", 5]) {
      let error: unknown;
      try {
        checkReplacementAcceptor(3, bad);
      } catch (e) {
        error = e;
      }
      expect(errorCode(error)).toBe("invalid-argument");
      expect(String(error)).toContain('"shard-3/acceptor-<n>"');
    }
  });
});

describe("node settings from [vars]", () => {
  it("defaults to 1000 nodes, 24 h expiry and no private runner addresses", () => {
    const config = parseJobsConfig(vars());
    expect(config).toMatchObject({ maxNodes: 1_000, nodeExpiryMs: 86_400_000 });
    expect(config.runnerAllow.ranges).toEqual([]);
    expect(parseJobsConfig(vars({ MAX_NODES: "5", NODE_EXPIRY_MS: "60000", RUNNER_ALLOW: "10.0.0.0/8, runners.lan" }))).toMatchObject({
      maxNodes: 5,
      nodeExpiryMs: 60_000,
      runnerAllow: { names: new Set(["runners.lan"]) },
    });
  });

  it("names the bad variable", () => {
    expect(() => parseJobsConfig(vars({ MAX_NODES: "0" }))).toThrow(/MAX_NODES must be an integer >= 1, got "0"/);
    expect(() => parseJobsConfig(vars({ NODE_EXPIRY_MS: "1000" }))).toThrow(/NODE_EXPIRY_MS must be an integer >= 60000, got "1000"/);
    expect(() => parseJobsConfig(vars({ RUNNER_ALLOW: "127.0.0.0/8,10.0.0.0/99" }))).toThrow(/RUNNER_ALLOW: "10.0.0.0\/99" is neither a DNS name/);
  });
});

describe("jobs configuration from [vars]", () => {
  it("answers a changed variable anew, though it keeps what it parsed (the same env object, mutated)", () => {
    const env = vars();
    expect(parseJobsConfig(env)).toBe(parseJobsConfig(vars()));
    const changes: Partial<Record<keyof Env, string>> = { WORKER_SLOTS: "3", RUNNER_ALLOW: "10.0.0.0/8", JOB_RETENTION: "1h", VERIFY_FRACTION: "0.5", NODE_EXPIRY_MS: "120000" };
    for (const [name, value] of Object.entries(changes)) {
      const before = parseJobsConfig(env);
      (env as unknown as Record<string, string>)[name] = value;
      expect(parseJobsConfig(env)).not.toEqual(before);
    }
    expect(parseJobsConfig(env)).toMatchObject({ workerSlots: 3, jobRetentionMs: 3_600_000, verify: { fraction: 0.5 }, nodeExpiryMs: 120_000 });
  });

  it("verifies a new runner's first 10 calls and nests sub-jobs 64 deep unless told otherwise", () => {
    const config = parseJobsConfig(vars());
    expect(config.verify).toEqual({ fraction: 0, newNodeCalls: 10 });
    expect(config.maxJobDepth).toBe(64);
    expect(parseJobsConfig(vars({ VERIFY_NEW_NODE_CALLS: "0", VERIFY_FRACTION: "0.25", MAX_JOB_DEPTH: "3" }))).toMatchObject({
      verify: { fraction: 0.25, newNodeCalls: 0 },
      maxJobDepth: 3,
    });
  });

  it("names the variable at fault", () => {
    expect(() => parseJobsConfig(vars({ MAX_JOB_DEPTH: "-1" }))).toThrow(/MAX_JOB_DEPTH must be an integer >= 0, got "-1"/);
    expect(() => parseJobsConfig(vars({ VERIFY_NEW_NODE_CALLS: "ten" }))).toThrow(/VERIFY_NEW_NODE_CALLS/);
    expect(() => parseJobsConfig(vars({ VERIFY_FRACTION: "2" }))).toThrow(/VERIFY_FRACTION must be a number from 0 to 1/);
  });
});

describe("finished jobs' retention from [vars]", () => {
  it("keeps finished jobs 7 days and caches 1000 parsed, unless told otherwise", () => {
    expect(parseJobsConfig(vars())).toMatchObject({ jobRetentionMs: 7 * 86_400_000, retainJobs: 100 });
    const cases = { "250ms": 250, "45s": 45_000, "30m": 1_800_000, "12h": 43_200_000, "7d": 604_800_000, " 1d ": 86_400_000 };
    for (const [raw, ms] of Object.entries(cases)) expect(parseJobsConfig(vars({ JOB_RETENTION: raw })).jobRetentionMs).toBe(ms);
    expect(parseJobsConfig(vars({ RETAIN_JOBS: "0" })).retainJobs).toBe(0);
  });

  it("names JOB_RETENTION and the form it takes", () => {
    for (const raw of ["7", "0d", "1.5h", "7 days", "-1s", "1w"]) {
      expect(() => parseJobsConfig(vars({ JOB_RETENTION: raw }))).toThrow(/JOB_RETENTION must be a whole number with a unit \(ms, s, m, h or d\)/);
    }
  });
});
