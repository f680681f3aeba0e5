import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { LOCAL_RUNNER_ALLOW } from "./cli/local-cluster.ts";
import { TEST_API_TOKENS, TEST_RUNNER_KEY } from "./test/shared/test-secrets.ts";

// Mesa's EGL (the gpu-runner's software path) must not look for a display. Set here, before any
// worker starts, so every test process inherits it (device.ts sets it too, for the CLI).
process.env.EGL_PLATFORM ??= "surfaceless";
// Tests run stages in the freeze mode (core/sdk/run-stage.ts): runners the tests start inherit it.
process.env.PAXFLOW_FREEZE_INPUTS ??= "1";

/** "paxflow" is this repository's source here, as in tsconfig.json's paths (the published package's exports name dist/). */
const resolve = {
  alias: {
    "paxflow/client": fileURLToPath(new URL("./client/index.ts", import.meta.url)),
    "paxflow/runner": fileURLToPath(new URL("./runners/runner.ts", import.meta.url)),
    "paxflow/testing": fileURLToPath(new URL("./testing/index.ts", import.meta.url)),
    "paxflow/worker": fileURLToPath(new URL("./workers/define-paxflow.ts", import.meta.url)),
    paxflow: fileURLToPath(new URL("./core/index.ts", import.meta.url)),
  },
};

/**
 * A project of tests inside workerd (@cloudflare/vitest-pool-workers) over wrangler.toml, with
 * the bindings every such suite runs under plus its own.
 */
function workerdProject(name: string, options: { include: string[]; exclude?: string[]; bindings?: Record<string, string> }) {
  return {
    resolve,
    plugins: [
      cloudflareTest({
        main: "./test/worker.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // Tests inject faults and want failures noticed quickly; production keeps wrangler.toml's values.
          // The timeouts leave several times what a quiet machine needs, so load does not trip them.
          bindings: {
            PAXFLOW_CHAOS: "1",
            PAXFLOW_FREEZE_INPUTS: "1",
            API_TOKENS: TEST_API_TOKENS,
            RUNNER_KEY: TEST_RUNNER_KEY,
            // Test runners listen on this machine (production refuses loopback runner URLs).
            RUNNER_ALLOW: LOCAL_RUNNER_ALLOW,
            // Small enough for test/workerd/nodes.test.ts to reach.
            MAX_NODES: "64",
            ALPHA: "4",
            MAX_BATCH: "8",
            LEASE_MS: "300",
            RETRY_MS: "20",
            CALL_TIMEOUT_MS: "1500",
            CAMPAIGN_TIMEOUT_MS: "2000",
            COMMIT_TIMEOUT_MS: "3000",
            ...options.bindings,
          },
        },
      }),
    ],
    test: {
      name,
      testTimeout: 30_000,
      // test/workerd/fuzz-http.test.ts: requests (at most 400 there) and the seed; workerd sees no shell environment.
      provide: { fuzzRuns: Number(process.env.FUZZ_RUNS ?? 600), fuzzSeed: Number(process.env.FUZZ_SEED ?? 20261124) },
      include: options.include,
      ...(options.exclude ? { exclude: options.exclude } : {}),
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: "core",
          environment: "node",
          // A deadline, not a measurement: generous so a loaded CI runner does not fail slow-but-correct tests.
          testTimeout: 30_000,
          include: ["test/core/**/*.test.ts"],
        },
      },
      workerdProject("workerd", { include: ["test/workerd/**/*.test.ts"], exclude: ["test/workerd/retention/**"] }),
      // Finished jobs' retention on the log's clock (test/workerd/retention/): a JOB_RETENTION short
      // enough for a test to outlive it (and long enough that the jobs a test reads back outlive the
      // few others it runs meanwhile, on a loaded machine too), frequent snapshots, and a RETAIN_JOBS
      // cache smaller than the jobs it reads back. The other suites keep the defaults.
      workerdProject("workerd-retention", {
        include: ["test/workerd/retention/**/*.test.ts"],
        bindings: { JOB_RETENTION: "10s", COMPACT_EVERY: "16", RETAIN_JOBS: "2" },
      }),
      {
        // The real local cluster: wrangler dev (workerd) and runner processes, over HTTP. One file at a
        // time, each with its own cluster on a free port and a fresh state directory; after the other
        // projects, so they do not compete for the CPU.
        resolve,
        test: {
          name: "e2e",
          environment: "node",
          pool: "forks",
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          // Deadlines, not measurements: a restart of workerd plus a stage timeout fit many times over.
          testTimeout: 240_000,
          hookTimeout: 180_000,
          include: ["test/e2e/**/*.test.ts"],
        },
      },
      {
        // The gpu-runner on a real WebGPU device (Dawn; Mesa's software driver when there is no
        // GPU): no adapter is a failure, not a skip. Child processes (Dawn is native code and
        // must not share a worker thread), one file at a time (one device each), last: software
        // WebGPU keeps both cores busy and would slow the timing-sensitive projects down.
        resolve,
        test: {
          name: "gpu",
          environment: "node",
          pool: "forks",
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          include: ["test/gpu/**/*.test.ts"],
        },
      },
    ],
  },
});
