/**
 * One side of `npm run bench:payload`, in a process of its own:
 *
 *   node --import tsx bench/payload-case.ts <MB,MB,...>     prints one JSON line (PayloadCase)
 *
 * Starts the local cluster of this tree (workerd through wrangler dev, as `paxflow dev` and the
 * e2e tests do) with one CPU runner, runs `payloads/roundtrip` once per size (a stage that takes
 * the size's value and returns one as large, between two that make it and sum it, all on the
 * runner), and times each from POST /v1/jobs to the finished job, while GET /v1/cluster is
 * asked every 50 ms. bench/payload.ts runs it here and in a checkout of the revision it compares
 * with, so it uses only what older revisions have too (cli/local-cluster.ts; the job's module is
 * copied there).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster, freePort } from "../cli/local-cluster.ts";
import { pollClusterEvery } from "./cluster-polls.ts";
import { TEST_APP } from "../test/shared/local-app.ts";

const MB = 1_000_000;
/** How often GET /v1/cluster is asked (one request at a time). */
const POLL_MS = 50;
/** A poll that takes longer counts as failed: the API did not answer. */
const POLL_TIMEOUT_MS = 5_000;
const JOB_TIMEOUT_S = 120;

/**
 * The cluster's settings (both revisions have them). What is measured is a value going from
 * runner to R2 to runner, so every call must run on the runner:
 * - no verification (it would run calls a second time, on the stage Worker);
 * - the stage Worker declared far away: placement learns the runner's speed from round trips
 *   that include its uploads, and would soon send these calls to the stage Worker, which in
 *   local workerd runs on the API's thread;
 * - room for results sent inside the report, as a revision before uploads does (base64: 4/3).
 */
const BENCH_VARS = {
  VERIFY_FRACTION: "0",
  VERIFY_NEW_NODE_CALLS: "0",
  WORKER_LATENCY_MS: "60000",
  MAX_RESULT_BYTES: String(512 * 1024 * 1024),
};

export interface SizeResult {
  readonly mb: number;
  /** POST /v1/jobs to the finished job, or why it did not finish. */
  readonly ms: number | null;
  readonly failed?: string;
  /** GET /v1/cluster latencies (ms; one without an answer in time counts as POLL_TIMEOUT_MS), how many got none, leader changes. */
  readonly pollsMs: readonly number[];
  readonly pollFailures: number;
  readonly leaderChanges: number;
}

export interface PayloadCase {
  readonly sizes: readonly SizeResult[];
}

/** What payloads/roundtrip returns for `bytes`: the sum of (i % 1000) + 1 over its elements. */
function expectedSum(bytes: number): number {
  let sum = 0;
  for (let i = 0; i < Math.floor(bytes / 8); i++) sum += (i % 1_000) + 1;
  return sum;
}

async function roundtrip(cluster: LocalCluster, bytes: number): Promise<void> {
  const answer = await cluster.api("/v1/jobs", {
    method: "POST",
    body: { job: "payloads/roundtrip", input: { bytes } },
    headers: { prefer: `wait=${JOB_TIMEOUT_S}` },
    timeoutMs: (JOB_TIMEOUT_S + 30) * 1_000,
  });
  const job = answer.json as { status?: string; output?: unknown; error?: unknown } | undefined;
  if (answer.status !== 200 || job?.status !== "done") throw new Error(`job not done: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
  if (job.output !== expectedSum(bytes)) throw new Error(`wrong output ${JSON.stringify(job.output)}, expected ${expectedSum(bytes)}`);
}

async function main(sizesMb: readonly number[]): Promise<PayloadCase> {
  const dir = mkdtempSync(join(tmpdir(), "paxflow-bench-payload-"));
  const cluster = new LocalCluster({
    app: TEST_APP,
    port: await freePort(),
    inspectorPort: await freePort(),
    persistTo: join(dir, "state"),
    vars: BENCH_VARS,
    progress: (line) => process.stderr.write(`[cluster] ${line}\n`),
  });
  try {
    await cluster.startWorkerd();
    await cluster.startRunners([{ id: "bench-1", kind: "cpu", slots: 2 }]);
    // Untimed: leader election, JIT, the R2 bucket's first objects.
    await roundtrip(cluster, 1 * MB);
    const sizes: SizeResult[] = [];
    for (const mb of sizesMb) {
      const poller = pollClusterEvery(cluster, POLL_MS, POLL_TIMEOUT_MS);
      const started = performance.now();
      const job = await roundtrip(cluster, mb * MB).then(
        () => ({ ms: performance.now() - started }),
        (error: unknown) => ({ ms: null, failed: error instanceof Error ? error.message : String(error) }),
      );
      await poller.stop();
      const { latencies, failed, leaderChanges } = poller.polls;
      sizes.push({ mb, ...job, pollsMs: latencies, pollFailures: failed, leaderChanges });
    }
    return { sizes };
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sizes = (process.argv[2] ?? "").split(",").map(Number);
if (sizes.length === 0 || !sizes.every((s) => Number.isFinite(s) && s > 0)) throw new Error("usage: payload-case.ts <MB,MB,...>");
process.stdout.write(`${JSON.stringify(await main(sizes))}\n`);
process.exit(0);
