/**
 * One side of `npm run bench:load`: the local cluster as `paxflow dev` starts it (workerd through
 * wrangler dev, two CPU runners), measured from outside as its users see it. A process of its own
 * (bench/side-by-side.ts runs it in this tree and in an earlier revision's checkout, so it imports
 * only what older revisions have too):
 *
 *   node --import tsx bench/load-case.ts big <dag|fanout> <n>    one big job, /v1/cluster polled meanwhile
 *   node --import tsx bench/load-case.ts soak <jobs> <clients>  many small jobs, then every result read back
 *
 * and either with `--vars='{"WORKER_SLOTS":"1"}'` (Worker variables for the cluster), `--samples=<n>`
 * (per fan-out call) or `--stage-worker=apart`.
 *
 * It prints its figures (JSON) as the last line of stdout; progress goes to stderr.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster, devRunners, freePort } from "../cli/local-cluster.ts";
import { Inspector } from "./cpu-profile.ts";
import { summarize } from "./stats.ts";
import { type Polls, pollClusterEvery } from "./cluster-polls.ts";
import { TEST_APP } from "../test/shared/local-app.ts";

const POLL_EVERY_MS = 100;
/** A /v1/cluster poll slower than this counts as failed (and its latency as this). */
const POLL_TIMEOUT_MS = 2_000;
const pollCluster = (cluster: LocalCluster) => pollClusterEvery(cluster, POLL_EVERY_MS, POLL_TIMEOUT_MS);
const SAMPLE_MEMORY_EVERY_MS = 1_000;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `--name=value` options anywhere on the command line (the rest is positional): the same on both sides of a comparison. */
const options = new Map(
  process.argv
    .slice(2)
    .filter((arg) => arg.startsWith("--") && arg.includes("="))
    .map((arg) => [arg.slice(2, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] as const),
);
/** `--vars=<JSON>`: Worker variables for the cluster (`bench load --var`). */
const benchVars = (): Record<string, string> => JSON.parse(options.get("vars") ?? "{}") as Record<string, string>;
/** `--samples=<n>`: samples per call of the fan-out (default 100,000, about 2 ms of computing). */
const SAMPLES_PER_RUN = Number(options.get("samples") ?? 100_000);
/** `--stage-worker=apart`: the stage Worker in a workerd of its own (cli/local-cluster.ts StageWorkerPlacement). */
const STAGE_WORKER = options.get("stage-worker") === "apart" ? "apart" : "shared";

// ---- what the cluster does meanwhile --------------------------------------------------------


/** The workerd processes this process started (through wrangler): their resident memory, MiB. */
function workerdRssMiB(): number {
  const parents = new Map<number, number>();
  const workerd: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
      if (stat.includes("(workerd)")) workerd.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const ours = (pid: number): boolean => {
    for (let at = parents.get(pid); at !== undefined && at > 1; at = parents.get(at)) if (at === process.pid) return true;
    return false;
  };
  let kib = 0;
  for (const pid of workerd.filter(ours)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib / 1024;
}

function sampleMemory(): { samples: { at: number; mib: number }[]; stop: () => void } {
  const samples: { at: number; mib: number }[] = [];
  const take = () => samples.push({ at: performance.now(), mib: workerdRssMiB() });
  take();
  const timer = setInterval(take, SAMPLE_MEMORY_EVERY_MS);
  return { samples, stop: () => clearInterval(timer) };
}

const pollFigures = (p: Polls) => {
  const summary = p.latencies.length > 0 ? summarize(p.latencies) : { p50: 0, p99: 0 };
  return {
    polls: p.latencies.length,
    pollP50Ms: summary.p50,
    pollP99Ms: summary.p99,
    pollMaxMs: Math.max(0, ...p.latencies),
    pollsFailed: p.failed,
    leaderChanges: p.leaderChanges,
  };
};

// ---- the jobs ---------------------------------------------------------------------------------

interface JobReply {
  readonly id: string;
  readonly status: string;
}

async function post(cluster: LocalCluster, body: unknown, waitS: number | null): Promise<{ status: number; job: JobReply | null; text: string }> {
  const headers: Record<string, string> = { ...cluster.auth, "content-type": "application/json", ...(waitS === null ? {} : { prefer: `wait=${waitS}` }) };
  const response = await fetch(`${cluster.url}/v1/jobs`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, job: response.ok ? (JSON.parse(text) as JobReply) : null, text };
}

/** Waits for job `id` to finish (long polls of 30 s). */
async function finished(cluster: LocalCluster, id: string): Promise<JobReply> {
  for (;;) {
    let response: Response;
    try {
      response = await fetch(`${cluster.url}/v1/jobs/${encodeURIComponent(id)}`, { headers: { ...cluster.auth, prefer: "wait=30" } });
    } catch (error) {
      // A kept-alive connection workerd closed as this request went out (ECONNRESET, seen about
      // once in ten 10,000-call fan-outs): a GET, so asking again is safe.
      log(`  GET /v1/jobs/${id} failed (${error instanceof Error ? String(error.cause ?? error.message) : String(error)}); asking again`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    if (response.status >= 500 || response.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const job = (await response.json()) as JobReply;
    if (!response.ok) throw new Error(`GET /v1/jobs/${id} answered ${response.status}: ${JSON.stringify(job)}`);
    if (job.status !== "running") return job;
  }
}

const BIG = {
  /** The dag example as a chain of n tasks: a constant, then n - 1 negations. */
  dag: (n: number) => ({
    job: "dag",
    input: { tasks: Array.from({ length: n }, (_, i) => (i === 0 ? { id: "t0", op: "const", value: 1, inputs: [] } : { id: `t${i}`, op: "neg", inputs: [`t${i - 1}`] })) },
  }),
  /** monte-carlo/pi with n sample calls, each worth sending to a runner. */
  fanout: (n: number) => ({ job: "monte-carlo/pi", input: { seed0: 1, runs: n, samplesPerRun: SAMPLES_PER_RUN } }),
};

async function big(cluster: LocalCluster, kind: keyof typeof BIG, n: number) {
  // Warm up: JIT, leader election, SQLite files, runner speeds.
  await finished(cluster, (await post(cluster, BIG[kind](10), null)).job!.id);
  const poller = pollCluster(cluster);
  const memory = sampleMemory();
  const started = performance.now();
  const submitted = await post(cluster, BIG[kind](n), null);
  if (!submitted.job) throw new Error(`submitting ${kind} with n = ${n} answered ${submitted.status}: ${submitted.text}`);
  const job = await finished(cluster, submitted.job.id);
  const jobMs = performance.now() - started;
  // Whether the cluster serves the next job at once, or was left without a leader.
  const next = await post(cluster, BIG[kind](10), 30);
  await poller.stop();
  memory.stop();
  return {
    kind,
    n,
    status: job.status,
    jobMs,
    nextJobStatus: next.status,
    ...pollFigures(poller.polls),
    rssStartMiB: memory.samples[0]!.mib,
    rssMaxMiB: Math.max(...memory.samples.map((s) => s.mib)),
  };
}

/**
 * What workerd's isolate (the API Worker and every Durable Object: local workerd runs them in
 * one) holds on its heap after a full garbage collection, MiB, through the V8 inspector: unlike
 * the process's resident memory, this does not grow with what V8 merely has not collected yet.
 */
async function isolateHeapMiB(inspectorPort: number): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { id: string }[];
  let bytes = 0;
  for (const { id } of targets) {
    const inspector = await Inspector.connect(inspectorPort, id);
    try {
      await inspector.send("Runtime.enable");
      await inspector.send("HeapProfiler.collectGarbage");
      bytes += (await inspector.send<{ usedSize: number }>("Runtime.getHeapUsage")).usedSize;
    } finally {
      inspector.close();
    }
  }
  return bytes / 1024 / 1024;
}

async function soak(cluster: LocalCluster, inspectorPort: number, jobs: number, clients: number) {
  const poller = pollCluster(cluster);
  const memory = sampleMemory();
  const ids: string[] = new Array(jobs);
  const doneAt: number[] = [];
  let next = 0;
  let refused = 0;
  const started = performance.now();
  const warmup = Math.floor(jobs / 10);
  const client = async (until: number) => {
    for (let i = next++; i < until; i = next++) {
      for (;;) {
        const reply = await post(cluster, { job: "shapes/chain", input: { seed: i }, idempotencyKey: `soak-${i}` }, 30);
        if (reply.job?.status === "done") {
          ids[i] = reply.job.id;
          doneAt.push(performance.now() - started);
          break;
        }
        // Overloaded or rate-limited: the same key again finds the same job.
        refused++;
        if (reply.status < 429) throw new Error(`job ${i} answered ${reply.status}: ${reply.text.slice(0, 300)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (doneAt.length % Math.max(1, Math.floor(jobs / 20)) === 0) log(`  ${doneAt.length.toLocaleString("en")} / ${jobs.toLocaleString("en")} jobs done`);
    }
  };
  // The first tenth warms up (JIT, SQLite files, caches); the isolate's heap is measured after it and at the end.
  await Promise.all(Array.from({ length: clients }, () => client(warmup)));
  next = warmup;
  const heapWarmMiB = await isolateHeapMiB(inspectorPort);
  await Promise.all(Array.from({ length: clients }, () => client(jobs)));
  const wallMs = performance.now() - started;
  const heapEndMiB = await isolateHeapMiB(inspectorPort);
  await poller.stop();
  memory.stop();
  // Tenths of the run by jobs finished: the first is the warm-up.
  doneAt.sort((a, b) => a - b);
  const windows = Array.from({ length: 10 }, (_, w) => {
    const from = Math.floor((w * jobs) / 10);
    const to = Math.floor(((w + 1) * jobs) / 10) - 1;
    const startMs = from === 0 ? 0 : doneAt[from - 1]!;
    return { jobs: to - from + 1, jobsPerSecond: ((to - from + 1) * 1_000) / Math.max(1, doneAt[to]! - startMs), endMs: doneAt[to]! };
  });
  let longestGapMs = 0;
  for (let i = Math.floor(jobs / 10) + 1; i < doneAt.length; i++) longestGapMs = Math.max(longestGapMs, doneAt[i]! - doneAt[i - 1]!);
  const afterWarmup = memory.samples.filter((s) => s.at - started >= windows[0]!.endMs);
  const warmMiB = afterWarmup[0]?.mib ?? memory.samples.at(-1)!.mib;
  // Every result readable at the end, and every key still naming its job.
  log("  reading every result back");
  let readable = 0;
  let keysKept = 0;
  let at = 0;
  const reader = async () => {
    for (let i = at++; i < jobs; i = at++) {
      const response = await fetch(`${cluster.url}/v1/jobs/${encodeURIComponent(ids[i]!)}`, { headers: cluster.auth });
      if (response.ok && ((await response.json()) as JobReply).status === "done") readable++;
      else await response.body?.cancel();
      if (i % 100 === 0) {
        const again = await post(cluster, { job: "shapes/chain", input: { seed: i }, idempotencyKey: `soak-${i}` }, null);
        if (again.job?.id === ids[i]) keysKept++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, reader));
  return {
    jobs,
    clients,
    wallMs,
    refused,
    jobsPerSecond: (jobs * 1_000) / wallMs,
    windows: windows.map((w) => w.jobsPerSecond),
    lastOverFirstAfterWarmup: windows[9]!.jobsPerSecond / windows[1]!.jobsPerSecond,
    longestGapMs,
    heapWarmMiB,
    heapEndMiB,
    rssWarmMiB: warmMiB,
    rssEndMiB: memory.samples.at(-1)!.mib,
    rssMaxMiB: Math.max(...memory.samples.map((s) => s.mib)),
    readable,
    keysChecked: Math.ceil(jobs / 100),
    keysKept,
    ...pollFigures(poller.polls),
  };
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
  const dir = mkdtempSync(join(tmpdir(), "paxflow-load-"));
  const inspectorPort = await freePort();
  const vars = benchVars();
  if (Object.keys(vars).length > 0) log(`cluster variables: ${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  const cluster = await LocalCluster.start({ app: TEST_APP, port: await freePort(), inspectorPort, persistTo: join(dir, "state"), progress: log, vars, stageWorker: STAGE_WORKER });
  try {
    await cluster.startRunners(devRunners(2));
    let figures: unknown;
    if (mode === "big" && (a === "dag" || a === "fanout")) figures = await big(cluster, a, Number(b));
    else if (mode === "soak") figures = await soak(cluster, inspectorPort, Number(a), Number(b ?? 32));
    else throw new Error(`usage: load-case.ts big <dag|fanout> <n> | soak <jobs> <clients>; got ${process.argv.slice(2).join(" ")}`);
    console.log(JSON.stringify(figures));
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
