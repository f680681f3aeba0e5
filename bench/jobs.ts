/**
 * Job benchmark in local workerd (Miniflare): the production Worker (test/worker.ts: definePaxflow) with its
 * Durable Objects, the STAGES self service binding and the PAYLOADS R2 bucket, with the bindings
 * and [vars] wrangler reads from wrangler.toml, state on disk. For each shape (test/shared/shapes.ts):
 * - latency: sequential jobs, each POST /v1/jobs with `Prefer: wait=30` so the reply is the
 *   finished job, timed per request from Node over HTTP (workerd's clock moves in whole
 *   milliseconds and only on I/O, too coarse for percentiles), in 10 rounds interleaved with two
 *   floors: a 404 (the HTTP floor) and a job with no stages;
 * - throughput: jobs/s from N concurrent clients;
 * - decisions (log entries) per job, Paxos slots per job (chosenIndex deltas of GET /v1/cluster),
 *   the stages' own compute (their `run` timed in Node on the same inputs) and the per-stage
 *   overhead, (latency - compute) / stages;
 * - CPU per job of workerd and of the Node client (/proc), and the snapshots (compactions) that
 *   fell inside each timed window;
 * - unless --no-phases, a layer-by-layer breakdown from a second cluster running
 *   bench/jobs-worker.ts (the same Worker plus routes that stop at each layer);
 * - with --profile, V8 CPU profiles of workerd's isolates (bench/cpu-profile.ts).
 * Every reply is checked: 200, status "done", output equal to runLocally's. A wrong answer
 * stops the benchmark.
 */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import { Log, LogLevel, Miniflare, kCurrentWorker } from "miniflare";
import { table } from "../cli/table.ts";
import type { Value } from "../core/codec.ts";
import { runLocally } from "../core/sdk/local.ts";
import { registry } from "../test/shared/registry.ts";
import { stats } from "../test/shared/shapes.ts";
import { type Breakdown, type CpuProfile, Inspector, breakdown } from "./cpu-profile.ts";
import { type Summary, round, summarize } from "./stats.ts";

export const SHAPES = ["chain", "fanout"] as const;
export type Shape = (typeof SHAPES)[number];

export interface JobsBenchOptions {
  readonly shapes: readonly Shape[];
  /** Timed sequential jobs per shape. */
  readonly samples: number;
  /** Untimed sequential jobs per shape first. */
  readonly warmup: number;
  /** Untimed jobs per shape from `concurrency` clients at the very start (JIT, caches, SQLite files). */
  readonly warmupLoad: number;
  /** Jobs per throughput run. */
  readonly jobs: number;
  /** Concurrent clients in the throughput run. */
  readonly concurrency: number;
  /** Jobs whose event stream is read to count their decisions. */
  readonly eventSamples: number;
  /** wrangler.toml whose bindings and [vars] the Worker gets. */
  readonly config: string;
  /** Accept gzip-encoded replies (Node's default; workerd then compresses every reply locally). */
  readonly gzip: boolean;
  /** Also measure each layer's share with the phase-breakdown Worker (a second cluster). */
  readonly phases: boolean;
  /** Also profile workerd's CPU over extra sequential and concurrent runs (not the timed ones). */
  readonly profile: boolean;
  readonly out: string;
  readonly log: (line: string) => void;
}

/** What the issue asks of this 2-core machine. */
export const TARGETS: Readonly<Record<Shape, { readonly p50Ms: number; readonly jobsPerSecond: number }>> = {
  chain: { p50Ms: 6, jobsPerSecond: 600 },
  fanout: { p50Ms: 7, jobsPerSecond: 450 },
};

const JOB_NAME: Record<Shape, string> = { chain: "shapes/chain", fanout: "shapes/fanout" };
/** Stage calls per job. */
const STAGES: Record<Shape, number> = { chain: 3, fanout: 8 };

/** The parts of a job reply (schemas.ts JobJson) the benchmark reads. */
interface JobReply {
  readonly id: string;
  readonly status: string;
  readonly shard: number;
  readonly acceptedAt: number;
  readonly finishedAt?: number;
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  readonly calls: readonly {
    readonly status: string;
    readonly node?: string;
    readonly attempts: readonly { readonly node: string; readonly timedOutAt?: number }[];
  }[];
}

export interface ShapeResult {
  readonly shape: Shape;
  readonly job: string;
  readonly stages: number;
  readonly latency: Summary;
  /** Every timed job's latency in ms, in the order run (10 rounds). */
  readonly latencySamplesMs: readonly number[];
  /**
   * Measured in the same rounds as the jobs: a request the Worker answers at once (404, the HTTP
   * floor) and a job with no stages (shapes/recurse {depth: 0}: one slot, two decisions).
   */
  readonly floors: { readonly http: Summary; readonly emptyJob: Summary };
  /** CPU per job from /proc (null where there is no /proc): sequential jobs and the throughput run. */
  readonly cpu: { readonly sequential: CpuPerJob | null; readonly throughput: CpuPerJob | null };
  /** finishedAt - acceptedAt as the commander recorded them (workerd's coarse clock): mean ms. */
  readonly inCommanderMeanMs: number;
  /** Every stage's `run` for one job, timed in Node: mean ms per job. */
  readonly stageComputeMs: number;
  /**
   * (latency - compute) / stages, at p50 and at the mean; and the marginal cost of a stage:
   * (latency - empty job's latency - compute) / stages at p50.
   */
  readonly overheadPerStageMs: { readonly p50: number; readonly mean: number; readonly marginalP50: number };
  /** Log entries per job: from the job's event stream (sampled) and from its calls (every job). */
  readonly decisionsPerJob: { readonly events: number | null; readonly fromCalls: number };
  /** Where the stage calls ran (node -> calls), over the timed jobs. */
  readonly placement: Readonly<Record<string, number>>;
  /** Snapshots taken inside the timed windows (each stalls its shard; see compactionsBetween). */
  readonly compactions: { readonly sequential: number; readonly throughput: number };
  /** Paxos slots per job, sequential (every job alone) and under load. */
  readonly slotsPerJob: { readonly sequential: number; readonly throughput: number };
  readonly throughput: { readonly jobs: number; readonly concurrency: number; readonly elapsedMs: number; readonly jobsPerSecond: number };
  readonly targets: { readonly p50Ms: number; readonly p50Met: boolean; readonly jobsPerSecond: number; readonly throughputMet: boolean };
  /** Requests sent again after the connection failed before an answer (safe: idempotency keys). */
  readonly retries: number;
  readonly profile?: ShapeProfile;
  readonly phases?: ShapePhases;
}

/**
 * Where a job's time goes, from the phase-breakdown Worker (bench/jobs-worker.ts, a separate
 * cluster): p50 over HTTP of requests that stop at each layer, and the same operations in a
 * loop and under load inside the Worker (no HTTP, no Node client).
 */
export interface ShapePhases {
  readonly http: {
    /** GET of an unknown route: Node's HTTP client, Miniflare's entry worker, the API's router. */
    readonly floor: Summary;
    /** A bench route that commits one no-op decision through commander.submit: + one Paxos slot. */
    readonly commit: Summary;
    /** A bench route calling Commander.submitJob for a job with no stages: + job bookkeeping. */
    readonly emptyJob: Summary;
    /** A bench route calling Commander.submitJob for this shape: + its stages. */
    readonly job: Summary;
    /** POST /v1/jobs for this shape: + the API Worker (validation, sealing, routing, the JSON view). */
    readonly api: Summary;
  };
  /** 404s from `concurrency` clients over HTTP: what a request costs workerd before any job work. */
  readonly floorLoad: { readonly perSecond: number; readonly cpuMs: number | null; readonly busiestThreadMs: number | null };
  /** Profile of the in-Worker load of this shape's job (no HTTP): the commander side alone. */
  readonly profile?: PhaseProfile;
  /** Log written per operation, sequential (one slot each): commands and JSON bytes of the entries. */
  readonly log: Readonly<Record<"commit" | "emptyJob" | "job", { readonly slots: number; readonly commands: number; readonly bytes: number }>>;
  /** Mean ms per operation, sequential inside the Worker, with workerd CPU ms per operation and the snapshots taken meanwhile. */
  readonly inWorker: Readonly<Record<"commit" | "emptyJob" | "job", { readonly meanMs: number; readonly cpuMs: number | null; readonly snapshots: number }>>;
  /** Operations/s from `concurrency` callers inside the Worker, with workerd CPU ms per operation. */
  readonly inWorkerLoad: Readonly<
    Record<"commit" | "emptyJob" | "job", { readonly perSecond: number; readonly cpuMs: number | null; readonly busiestThreadMs: number | null; readonly snapshots: number }>
  >;
}

/** CPU of workerd's isolates per job, from the profiled runs. */
export interface ShapeProfile {
  readonly sequential: PhaseProfile;
  readonly concurrent: PhaseProfile;
}

export interface PhaseProfile {
  readonly jobs: number;
  readonly wallMs: number;
  /** /proc CPU over the profiled run (the profiler's own overhead included). */
  readonly cpu: CpuPerJob | null;
  /** The paxflow isolate's sampled time by layer, ms per job (see LAYERS). */
  readonly layers: readonly { readonly layer: string; readonly msPerJob: number; readonly share: number }[];
  /** Per isolate: busy ms per job and the top of the breakdown per job. */
  readonly isolates: Readonly<Record<string, { readonly busyMsPerJob: number; readonly breakdown: Breakdown; readonly file: string }>>;
}

/** The production Worker, and the one with the phase-breakdown routes around it. */
const ENTRY = { production: "../test/worker.ts", phases: "./jobs-worker.ts" } as const;

async function bundle(dir: string, entry: keyof typeof ENTRY = "production"): Promise<string> {
  const outfile = join(dir, entry, "index.mjs");
  await build({
    entryPoints: [new URL(ENTRY[entry], import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    outfile,
    // The SDK imports itself as "paxflow" (examples do); point it at the source.
    alias: { paxflow: new URL("../core/index.ts", import.meta.url).pathname },
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    // For the profiler's breakdown by source file (workerd does not read it).
    sourcemap: "external",
    logLevel: "warning",
  });
  return outfile;
}

/** The benchmark cluster's client token (API_TOKENS, admin scope), sent with every request. */
const BENCH_TOKEN = "paxflow-bench-token-0000000000000000";
const AUTH = { authorization: `Bearer ${BENCH_TOKEN}` };

/** Bindings and [vars] as wrangler reads them from the config, so the benchmark runs what deploys. */
async function workerOptions(config: string) {
  process.env.WRANGLER_SEND_METRICS = "false";
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  const { workerOptions: w } = unstable_getMiniflareWorkerOptions(config);
  // A self binding has no service name in wrangler's view: it is this Worker, whatever it is called.
  const serviceBindings = Object.fromEntries(
    Object.entries(w.serviceBindings ?? {}).map(([binding, target]) => [
      binding,
      typeof target === "object" && target !== null && !("name" in target && target.name) ? { ...target, name: kCurrentWorker } : target,
    ]),
  );
  return {
    compactEvery: Number((w.bindings as Record<string, unknown> | undefined)?.COMPACT_EVERY ?? 1024),
    compatibilityDate: w.compatibilityDate,
    compatibilityFlags: w.compatibilityFlags,
    bindings: { ...w.bindings, API_TOKENS: `bench=${BENCH_TOKEN}=admin` },
    durableObjects: w.durableObjects,
    r2Buckets: w.r2Buckets,
    serviceBindings,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function cluster(scriptPath: string, stateDir: string, config: string, inspectorPort: number | undefined): Promise<Miniflare> {
  const { compactEvery: _, ...w } = await workerOptions(config);
  return new Miniflare({
    // PAXFLOW_BENCH_VERBOSE=1 shows workerd's own log (crashes, uncaught errors).
    log: new Log(process.env.PAXFLOW_BENCH_VERBOSE === "1" ? LogLevel.VERBOSE : LogLevel.WARN),
    ...(inspectorPort === undefined ? {} : { inspectorPort }),
    name: "paxflow",
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    cf: false,
    host: "127.0.0.1",
    port: 0,
    durableObjectsPersist: join(stateDir, "do"),
    r2Persist: join(stateDir, "r2"),
    ...w,
  } as ConstructorParameters<typeof Miniflare>[0]);
}

// ---- checking answers ---------------------------------------------------------------------

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Expected outputs, computed once per seed by the reference semantics. */
class Answers {
  private readonly known = new Map<string, Value>();
  expected(shape: Shape, seed: number): Value {
    const key = `${shape}:${seed}`;
    let output = this.known.get(key);
    if (output === undefined) {
      const local = runLocally(registry, JOB_NAME[shape], { seed });
      if (local.status !== "done") throw new Error(`runLocally(${JOB_NAME[shape]}, {seed: ${seed}}) failed: ${JSON.stringify(local.error)}`);
      // As JSON, the way the API shows values (the shapes return plain numbers and arrays).
      output = JSON.parse(JSON.stringify(local.output)) as Value;
      this.known.set(key, output);
    }
    return output;
  }
}

function check(shape: Shape, seed: number, status: number, body: string, answers: Answers): JobReply {
  let job: JobReply;
  try {
    job = JSON.parse(body) as JobReply;
  } catch {
    throw new Error(`${JOB_NAME[shape]} {seed: ${seed}}: answered ${status} with a body that is not JSON: ${body.slice(0, 300)}`);
  }
  if (status !== 200 || job.status !== "done") {
    throw new Error(`${JOB_NAME[shape]} {seed: ${seed}}: expected 200 and a done job, got ${status} ${body.slice(0, 500)}`);
  }
  const expected = answers.expected(shape, seed);
  if (!deepEqual(job.output, expected)) {
    throw new Error(`${JOB_NAME[shape]} {seed: ${seed}} (job ${job.id}): output ${JSON.stringify(job.output)} differs from runLocally's ${JSON.stringify(expected)}`);
  }
  if (job.calls.length !== STAGES[shape]) throw new Error(`${JOB_NAME[shape]} job ${job.id}: ${job.calls.length} calls, expected ${STAGES[shape]}`);
  return job;
}

/** accepted + per call (dispatches + timeouts + result) + finished: what the state applies per job. */
const decisionsFromCalls = (job: JobReply): number =>
  2 + job.calls.reduce((n, c) => n + c.attempts.length + c.attempts.filter((a) => a.timedOutAt !== undefined).length + (c.status === "done" || c.status === "failed" ? 1 : 0), 0);

// ---- the client ---------------------------------------------------------------------------

class Client {
  retries = 0;
  /**
   * Local workerd gzips a reply when the client accepts it, on the same cores as everything
   * else, and Node then spends as long inflating it. Cloudflare compresses at its edge, outside
   * the Worker's CPU, so by default the benchmark asks for identity (--gzip to include it).
   * Every request also carries the cluster's token.
   */
  private readonly baseHeaders: Record<string, string>;
  constructor(
    private readonly base: URL,
    private readonly runId: string,
    gzip: boolean,
  ) {
    this.baseHeaders = gzip ? { ...AUTH } : { ...AUTH, "accept-encoding": "identity" };
  }

  /** One job, submitted and awaited (`Prefer: wait=30`); resends on a connection failure only. */
  async run(shape: Shape, seed: number): Promise<{ ms: number; status: number; body: string }> {
    const body = JSON.stringify({ job: JOB_NAME[shape], input: { seed }, idempotencyKey: `${this.runId}-${shape}-${seed}` });
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const response = await fetch(new URL("/v1/jobs", this.base), {
          method: "POST",
          headers: { "content-type": "application/json", prefer: "wait=30", ...this.baseHeaders },
          body,
        });
        const text = await response.text();
        return { ms: performance.now() - started, status: response.status, body: text };
      } catch (error) {
        // A keep-alive socket workerd closed under us: the same idempotency key finds the same job.
        if (attempt >= 3) throw error;
        this.retries++;
      }
    }
  }

  /** The HTTP floor: a route the Worker answers at once (404 JSON). */
  async floor(): Promise<number> {
    const started = performance.now();
    const response = await fetch(new URL("/v1/bench-floor", this.base), { headers: this.baseHeaders });
    await response.text();
    const ms = performance.now() - started;
    if (response.status !== 404) throw new Error(`GET /v1/bench-floor answered ${response.status}, expected 404`);
    return ms;
  }

  /**
   * A job with no stage calls (shapes/recurse at depth 0: accepted and finished in one slot):
   * everything a job costs but its stages.
   */
  async emptyJob(n: number): Promise<number> {
    const body = JSON.stringify({ job: "shapes/recurse", input: { depth: 0, loop: false }, idempotencyKey: `${this.runId}-empty-${n}` });
    const started = performance.now();
    const response = await fetch(new URL("/v1/jobs", this.base), { method: "POST", headers: { "content-type": "application/json", prefer: "wait=30", ...this.baseHeaders }, body });
    const text = await response.text();
    const ms = performance.now() - started;
    const job = response.status === 200 ? (JSON.parse(text) as JobReply) : null;
    if (!job || job.status !== "done" || job.output !== 0 || job.calls.length !== 0) {
      throw new Error(`shapes/recurse {depth: 0}: expected 200, done, output 0 and no calls; got ${response.status} ${text.slice(0, 300)}`);
    }
    return ms;
  }

  async json<T>(path: string): Promise<T> {
    const response = await fetch(new URL(path, this.base), { headers: AUTH });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  /** Every shard's chosen index. */
  async chosenByShard(): Promise<number[]> {
    const { shards } = await this.json<{ shards: { chosenIndex: number }[] }>("/v1/cluster");
    return shards.map((s) => s.chosenIndex);
  }

  /** Sum of every shard's chosen index. */
  async chosen(): Promise<number> {
    return (await this.chosenByShard()).reduce((n, x) => n + x, 0);
  }

  /** A finished job's events from its SSE stream; null when the route is missing. */
  async eventCount(id: string): Promise<number | null> {
    const response = await fetch(new URL(`/v1/jobs/${id}/events`, this.base), { headers: { accept: "text/event-stream", ...AUTH }, signal: AbortSignal.timeout(10_000) });
    if (response.status === 404 || response.status === 405) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw new Error(`GET /v1/jobs/${id}/events answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    const text = await response.text();
    let count = 0;
    for (const block of text.split(/\r?\n\r?\n/)) {
      const event = /^event:\s*(.*)$/m.exec(block)?.[1]?.trim();
      if (/^data:/m.test(block) && event !== "end") count++;
    }
    return count;
  }
}

// ---- CPU accounting (Linux /proc; absent elsewhere) ------------------------------------------

/** CPU ms used so far by workerd (this process's child) per thread, and by this Node process. */
interface CpuSnapshot {
  readonly workerd: ReadonlyMap<string, number>;
  readonly nodeMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a /proc stat line, in ms (the name field may hold spaces: parse after ")"). */
function statMs(path: string): number | null {
  try {
    const text = readFileSync(path, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

function workerdPids(): string[] {
  try {
    return readdirSync("/proc").filter((pid) => {
      if (!/^\d+$/.test(pid)) return false;
      try {
        const text = readFileSync(`/proc/${pid}/stat`, "utf8");
        const ppid = Number(text.slice(text.lastIndexOf(")") + 2).split(" ")[1]);
        return ppid === process.pid && text.includes("(workerd)");
      } catch {
        return false;
      }
    });
  } catch {
    return [];
  }
}

function cpuSnapshot(): CpuSnapshot {
  const workerd = new Map<string, number>();
  for (const pid of workerdPids()) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      const ms = statMs(`/proc/${pid}/task/${tid}/stat`);
      if (ms !== null) workerd.set(`${pid}/${tid}`, ms);
    }
  }
  const { user, system } = process.cpuUsage();
  return { workerd, nodeMs: (user + system) / 1000 };
}

export interface CpuPerJob {
  /** All of workerd's threads, ms per job. */
  readonly workerdMs: number;
  /** Its busiest thread (the one that runs the isolates), ms per job, and its share of the wall time. */
  readonly busiestThreadMs: number;
  readonly busiestThreadUtilization: number;
  /** This Node process (the clients, answer checks), ms per job. */
  readonly nodeMs: number;
}

function cpuPerJob(before: CpuSnapshot, after: CpuSnapshot, jobs: number, wallMs: number): CpuPerJob | null {
  if (after.workerd.size === 0) return null;
  let total = 0;
  let busiest = 0;
  for (const [tid, ms] of after.workerd) {
    const used = ms - (before.workerd.get(tid) ?? 0);
    total += used;
    busiest = Math.max(busiest, used);
  }
  return { workerdMs: total / jobs, busiestThreadMs: busiest / jobs, busiestThreadUtilization: busiest / wallMs, nodeMs: (after.nodeMs - before.nodeMs) / jobs };
}

// ---- compactions ---------------------------------------------------------------------------

/**
 * Snapshots the leaders took between two readings of the shards' chosen indexes: a leader
 * compacts once it has applied COMPACT_EVERY slots past its last snapshot, and a snapshot holds
 * every retained job, so it stalls the shard (see the report). Counted so a phase that paid for
 * one says so.
 */
const compactionsBetween = (before: readonly number[], after: readonly number[], every: number): number =>
  after.reduce((n, x, shard) => n + Math.floor(x / every) - Math.floor((before[shard] ?? 0) / every), 0);

// ---- stage compute in Node ----------------------------------------------------------------

/** Mean ms of one job's stage runs, timed in Node over many seeds (the stage's `run`, no codec). */
function stageCompute(shape: Shape, seeds: readonly number[]): number {
  const once = (seed: number) => {
    if (shape === "chain") {
      let s = seed;
      for (let i = 0; i < 3; i++) s = stats.run({ seed: s, n: 1_000 }).seed;
    } else {
      for (let i = 0; i < 8; i++) stats.run({ seed: (seed + i) >>> 0, n: 1_000 });
    }
  };
  for (const seed of seeds) once(seed); // warm the JIT
  const rounds = 5;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) for (const seed of seeds) once(seed);
  return (performance.now() - started) / (rounds * seeds.length);
}

// ---- the runs -----------------------------------------------------------------------------

let emptySeq = 0;

async function measureShape(
  client: Client,
  shape: Shape,
  o: JobsBenchOptions,
  nextSeed: () => number,
  answers: Answers,
  profiler: Profiler | null,
  compactEvery: number,
): Promise<ShapeResult> {
  const label = `${shape} (${JOB_NAME[shape]})`;
  o.log(`${label}: warm-up, ${o.warmup} jobs`);
  for (let i = 0; i < o.warmup; i++) {
    const seed = nextSeed();
    const r = await client.run(shape, seed);
    check(shape, seed, r.status, r.body, answers);
  }

  o.log(`${label}: latency, ${o.samples} sequential jobs, with the HTTP floor and 0-stage jobs in the same rounds`);
  for (let i = 0; i < Math.min(o.warmup, 50); i++) {
    await client.floor();
    await client.emptyJob(emptySeq++);
  }
  const samples: number[] = [];
  const httpFloor: number[] = [];
  const emptyFloor: number[] = [];
  const inCommander: number[] = [];
  const fromCalls: number[] = [];
  const placement: Record<string, number> = {};
  const ids: string[] = [];
  const seeds: number[] = [];
  const rounds = 10;
  let sequentialSlots = 0;
  let sequentialCompactions = 0;
  let sequentialWallMs = 0;
  let sequentialCpu = { workerd: new Map<string, number>(), nodeMs: 0 };
  for (let round = 0; round < rounds; round++) {
    const count = Math.floor(o.samples / rounds) + (round < o.samples % rounds ? 1 : 0);
    for (let i = 0; i < count; i++) httpFloor.push(await client.floor());
    for (let i = 0; i < count; i++) emptyFloor.push(await client.emptyJob(emptySeq++));
    const chosenBefore = await client.chosenByShard();
    const cpuBefore = cpuSnapshot();
    const roundStarted = performance.now();
    for (let i = 0; i < count; i++) {
      const seed = nextSeed();
      seeds.push(seed);
      const r = await client.run(shape, seed);
      const job = check(shape, seed, r.status, r.body, answers);
      samples.push(r.ms);
      if (job.finishedAt !== undefined) inCommander.push(job.finishedAt - job.acceptedAt);
      fromCalls.push(decisionsFromCalls(job));
      for (const c of job.calls) placement[c.node ?? "?"] = (placement[c.node ?? "?"] ?? 0) + 1;
      ids.push(job.id);
    }
    sequentialWallMs += performance.now() - roundStarted;
    const cpuAfter = cpuSnapshot();
    const workerd = new Map(sequentialCpu.workerd);
    for (const [tid, ms] of cpuAfter.workerd) workerd.set(tid, (workerd.get(tid) ?? 0) + ms - (cpuBefore.workerd.get(tid) ?? 0));
    sequentialCpu = { workerd, nodeMs: sequentialCpu.nodeMs + cpuAfter.nodeMs - cpuBefore.nodeMs };
    const chosenAfter = await client.chosenByShard();
    sequentialSlots += chosenAfter.reduce((n, x, k) => n + x - chosenBefore[k]!, 0);
    sequentialCompactions += compactionsBetween(chosenBefore, chosenAfter, compactEvery);
  }

  const counted: number[] = [];
  for (const id of ids.slice(0, o.eventSamples)) {
    const n = await client.eventCount(id);
    if (n === null) break;
    counted.push(n);
  }

  o.log(`${label}: throughput, ${o.jobs} jobs from ${o.concurrency} clients`);
  const work = Array.from({ length: o.jobs }, () => nextSeed());
  for (const seed of work) answers.expected(shape, seed); // off the clock
  const throughputBefore = await client.chosenByShard();
  const cpuBefore = cpuSnapshot();
  const elapsedMs = await concurrently(client, shape, work, o.concurrency, answers);
  const throughputCpu = cpuPerJob(cpuBefore, cpuSnapshot(), work.length, elapsedMs);
  const throughputAfter = await client.chosenByShard();
  const throughputSlots = throughputAfter.reduce((n, x, k) => n + x - throughputBefore[k]!, 0);
  const throughputCompactions = compactionsBetween(throughputBefore, throughputAfter, compactEvery);

  let profile: ShapeProfile | undefined;
  if (profiler) {
    const n = Math.max(50, Math.floor(o.samples / 2));
    o.log(`${label}: profiling ${n} sequential jobs`);
    const sequential = await profiler.run(`${shape}-sequential`, n, async () => {
      for (let i = 0; i < n; i++) {
        const seed = nextSeed();
        const r = await client.run(shape, seed);
        check(shape, seed, r.status, r.body, answers);
      }
    });
    const m = Math.max(100, Math.floor(o.jobs / 2));
    o.log(`${label}: profiling ${m} jobs from ${o.concurrency} clients`);
    const load = Array.from({ length: m }, () => nextSeed());
    for (const seed of load) answers.expected(shape, seed);
    const concurrent = await profiler.run(`${shape}-concurrent`, m, () => concurrently(client, shape, load, o.concurrency, answers));
    profile = { sequential, concurrent };
  }

  const latency = summarize(samples);
  const floors = { http: summarize(httpFloor), emptyJob: summarize(emptyFloor) };
  const stageComputeMs = stageCompute(shape, seeds);
  const stages = STAGES[shape];
  const jobsPerSecond = Math.round((o.jobs / elapsedMs) * 1000);
  const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length);
  return {
    shape,
    job: JOB_NAME[shape],
    stages,
    latency,
    latencySamplesMs: samples.map((x) => round(x, 3)),
    floors,
    cpu: {
      sequential: cpuPerJob({ workerd: new Map(), nodeMs: 0 }, sequentialCpu, o.samples, sequentialWallMs),
      throughput: throughputCpu,
    },
    inCommanderMeanMs: mean(inCommander),
    stageComputeMs,
    overheadPerStageMs: {
      p50: (latency.p50 - stageComputeMs) / stages,
      mean: (latency.mean - stageComputeMs) / stages,
      marginalP50: (latency.p50 - floors.emptyJob.p50 - stageComputeMs) / stages,
    },
    decisionsPerJob: { events: counted.length === 0 ? null : mean(counted), fromCalls: mean(fromCalls) },
    placement,
    slotsPerJob: { sequential: sequentialSlots / o.samples, throughput: throughputSlots / o.jobs },
    compactions: { sequential: sequentialCompactions, throughput: throughputCompactions },
    throughput: { jobs: o.jobs, concurrency: o.concurrency, elapsedMs, jobsPerSecond },
    targets: {
      p50Ms: TARGETS[shape].p50Ms,
      p50Met: latency.p50 < TARGETS[shape].p50Ms,
      jobsPerSecond: TARGETS[shape].jobsPerSecond,
      throughputMet: jobsPerSecond > TARGETS[shape].jobsPerSecond,
    },
    retries: client.retries,
    ...(profile ? { profile } : {}),
  };
}

/** Runs `work` from `concurrency` clients, checking every answer; returns the elapsed ms. */
async function concurrently(client: Client, shape: Shape, work: readonly number[], concurrency: number, answers: Answers): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < work.length) {
        const seed = work[next++]!;
        const r = await client.run(shape, seed);
        check(shape, seed, r.status, r.body, answers);
      }
    }),
  );
  return performance.now() - started;
}

/** Functions whose inclusive CPU the profile reports (synchronous parts; async ones per resumption). */
const INCLUSIVE = [
  "submitJob",
  "advance",
  "replay",
  "propose",
  "seal",
  "submit",
  "applied",
  "apply",
  "viewAfter",
  "jobJson",
  "openJson",
  "sealJson",
  "encode",
  "decode",
  "dispatch",
  "validate",
  "fetch",
];

/** Workers whose isolates are profiled: paxflow's, and Miniflare's entry worker that every request crosses. */
const ISOLATES = ["core:user:paxflow", "core:entry"];

/** Which part of paxflow a source file belongs to, for the profile's summary. */
const LAYERS: readonly [RegExp, string][] = [
  [/^node_modules\/(hono|@hono|zod)\//, "HTTP API: hono, zod validation"],
  [/^workers\//, "HTTP API: paxflow routes, job views, JSON values"],
  [/^core\/hash\.ts$/, "applied-log digest (fnv1aHex over each command's JSON)"],
  [/^(runtime\/applied-log\.ts|runtime\/commander-driver\.ts|core\/paxos\/)/, "Paxos: proposer, commander driver, applied log"],
  [/^durable-objects\/acceptor/, "Paxos: acceptor objects and transport (RPC, SQLite writes)"],
  [/^(runtime\/jobs\/|durable-objects\/commander\.ts|core\/jobs\/|core\/sdk\/)/, "jobs: driver, advance/replay, state, placement"],
  [/^(node_modules\/cbor-x\/|core\/codec\.ts)/, "codec: CBOR"],
  [/^(examples\/|test\/shared\/shapes\.ts$)/, "stage code (test/shared/shapes.ts)"],
  [/^\(garbage collector\)$/, "garbage collector"],
  [/^\((program|native)\)$/, "native: workerd outside JS (RPC, SQLite, I/O) and V8 internals"],
];
const layerOf = (file: string): string => LAYERS.find(([re]) => re.test(file))?.[1] ?? "other";

class Profiler {
  constructor(
    private readonly port: number,
    private readonly bundlePath: string,
    private readonly outPrefix: string,
  ) {}

  async run(name: string, jobs: number, work: () => Promise<unknown>): Promise<PhaseProfile> {
    const inspectors = await Promise.all(ISOLATES.map((id) => Inspector.connect(this.port, id)));
    try {
      await Promise.all(inspectors.map((i) => i.start(100)));
      const cpuBefore = cpuSnapshot();
      const started = performance.now();
      await work();
      const wallMs = performance.now() - started;
      const cpu = cpuPerJob(cpuBefore, cpuSnapshot(), jobs, wallMs);
      const profiles: CpuProfile[] = await Promise.all(inspectors.map((i) => i.stop()));
      const isolates: Record<string, PhaseProfile["isolates"][string]> = {};
      const root = resolve(new URL("..", import.meta.url).pathname);
      for (const [k, id] of ISOLATES.entries()) {
        const file = `${this.outPrefix}-${name}-${id.replace(/[^a-z0-9]+/gi, "_")}.cpuprofile`;
        writeFileSync(file, JSON.stringify(profiles[k]));
        const b = breakdown(profiles[k]!, this.bundlePath, root, INCLUSIVE);
        isolates[id] = { busyMsPerJob: b.busyMs / jobs, breakdown: b, file };
      }
      const user = isolates["core:user:paxflow"]!.breakdown;
      const byLayer = new Map<string, number>();
      for (const { file, ms } of user.byFile) byLayer.set(layerOf(file), (byLayer.get(layerOf(file)) ?? 0) + ms);
      const layers = [...byLayer]
        .sort((a, b) => b[1] - a[1])
        .map(([layer, ms]) => ({ layer, msPerJob: ms / jobs, share: ms / user.busyMs }));
      return { jobs, wallMs, cpu, layers, isolates };
    } finally {
      for (const i of inspectors) i.close();
    }
  }
}

// ---- the phase breakdown ------------------------------------------------------------------

async function measurePhases(
  base: URL,
  client: Client,
  shape: Shape,
  o: JobsBenchOptions,
  nextSeed: () => number,
  answers: Answers,
  profiler: Profiler | null,
  compactEvery: number,
): Promise<ShapePhases> {
  const label = `${shape} (${JOB_NAME[shape]})`;
  const get = async (path: string): Promise<{ ms: number; body: string }> => {
    const started = performance.now();
    const response = await fetch(new URL(path, base), { headers: { "accept-encoding": "identity", ...AUTH } });
    const body = await response.text();
    const ms = performance.now() - started;
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${body.slice(0, 300)}`);
    return { ms, body };
  };
  const direct = async (kind: "commit" | "empty" | Shape): Promise<number> => {
    const seed = nextSeed();
    const r = await get(`/bench/op?op=${kind}&seed=${seed}`);
    if (kind === "chain" || kind === "fanout") {
      const { output } = JSON.parse(r.body) as { output: unknown };
      const expected = answers.expected(kind, seed);
      if (!deepEqual(JSON.parse(JSON.stringify(output)), expected)) throw new Error(`/bench/op ${kind} {seed: ${seed}}: output ${JSON.stringify(output)} differs from runLocally's`);
    }
    return r.ms;
  };
  const ops = { commit: "commit", emptyJob: "empty", job: shape } as const;

  o.log(`${label}: phases, warm-up`);
  for (const kind of Object.values(ops)) await get(`/bench/load?op=${kind}&n=${o.warmupLoad}&clients=${o.concurrency}&seed=${nextSeed() * 1_000}`);
  for (let i = 0; i < 50; i++) {
    await client.floor();
    for (const kind of Object.values(ops)) await direct(kind);
    const seed = nextSeed();
    const r = await client.run(shape, seed);
    check(shape, seed, r.status, r.body, answers);
  }

  o.log(`${label}: phases, ${o.samples} requests per layer over HTTP`);
  const samples = { floor: [] as number[], commit: [] as number[], emptyJob: [] as number[], job: [] as number[], api: [] as number[] };
  const rounds = 10;
  for (let round = 0; round < rounds; round++) {
    const count = Math.floor(o.samples / rounds) + (round < o.samples % rounds ? 1 : 0);
    for (let i = 0; i < count; i++) samples.floor.push(await client.floor());
    for (let i = 0; i < count; i++) samples.commit.push(await direct("commit"));
    for (let i = 0; i < count; i++) samples.emptyJob.push(await direct("empty"));
    for (let i = 0; i < count; i++) samples.job.push(await direct(shape));
    for (let i = 0; i < count; i++) {
      const seed = nextSeed();
      const r = await client.run(shape, seed);
      check(shape, seed, r.status, r.body, answers);
      samples.api.push(r.ms);
    }
  }

  const log = {} as Record<keyof typeof ops, { slots: number; commands: number; bytes: number }>;
  for (const [name, kind] of Object.entries(ops) as [keyof typeof ops, string][]) {
    const r = JSON.parse((await get(`/bench/log?op=${kind}&n=20&seed=${nextSeed() * 1_000}`)).body) as { n: number; slots: number; commands: number; bytes: number };
    log[name] = { slots: r.slots / r.n, commands: r.commands / r.n, bytes: r.bytes / r.n };
  }

  o.log(`${label}: phases, HTTP floor under load (${o.jobs} requests from ${o.concurrency} clients)`);
  const floorBefore = cpuSnapshot();
  let remaining = o.jobs;
  const floorStarted = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (remaining-- > 0) await client.floor();
    }),
  );
  const floorWall = performance.now() - floorStarted;
  const floorCpu = cpuPerJob(floorBefore, cpuSnapshot(), o.jobs, floorWall);
  const floorLoad = { perSecond: Math.round((o.jobs / floorWall) * 1000), cpuMs: floorCpu?.workerdMs ?? null, busiestThreadMs: floorCpu?.busiestThreadMs ?? null };

  o.log(`${label}: phases, inside the Worker (loop of ${o.samples}, load of ${o.jobs} from ${o.concurrency})`);
  let profile: PhaseProfile | undefined;
  const inWorker = {} as Record<keyof typeof ops, { meanMs: number; cpuMs: number | null; snapshots: number }>;
  const inWorkerLoad = {} as Record<keyof typeof ops, { perSecond: number; cpuMs: number | null; busiestThreadMs: number | null; snapshots: number }>;
  for (const [name, kind] of Object.entries(ops) as [keyof typeof ops, string][]) {
    let chosen = await client.chosenByShard();
    let before = cpuSnapshot();
    const loop = JSON.parse((await get(`/bench/loop?op=${kind}&n=${o.samples}&seed=${nextSeed() * 1_000}`)).body) as { n: number; elapsedMs: number };
    const loopCpu = cpuPerJob(before, cpuSnapshot(), loop.n, loop.elapsedMs);
    let chosenAfter = await client.chosenByShard();
    inWorker[name] = { meanMs: loop.elapsedMs / loop.n, cpuMs: loopCpu?.workerdMs ?? null, snapshots: compactionsBetween(chosen, chosenAfter, compactEvery) };
    chosen = chosenAfter;
    before = cpuSnapshot();
    const load = JSON.parse((await get(`/bench/load?op=${kind}&n=${o.jobs}&clients=${o.concurrency}&seed=${nextSeed() * 1_000}`)).body) as { n: number; elapsedMs: number };
    const loadCpu = cpuPerJob(before, cpuSnapshot(), load.n, load.elapsedMs);
    chosenAfter = await client.chosenByShard();
    const loadSnapshots = compactionsBetween(chosen, chosenAfter, compactEvery);
    if (profiler && name === "job") {
      o.log(`${label}: phases, profiling the in-Worker load`);
      profile = await profiler.run(`${shape}-in-worker`, o.jobs, () => get(`/bench/load?op=${kind}&n=${o.jobs}&clients=${o.concurrency}&seed=${nextSeed() * 1_000}`));
    }
    inWorkerLoad[name] = {
      perSecond: Math.round((load.n / load.elapsedMs) * 1000),
      cpuMs: loadCpu?.workerdMs ?? null,
      busiestThreadMs: loadCpu?.busiestThreadMs ?? null,
      snapshots: loadSnapshots,
    };
  }
  return {
    http: {
      floor: summarize(samples.floor),
      commit: summarize(samples.commit),
      emptyJob: summarize(samples.emptyJob),
      job: summarize(samples.job),
      api: summarize(samples.api),
    },
    log,
    floorLoad,
    inWorker,
    inWorkerLoad,
    ...(profile ? { profile } : {}),
  };
}

/** Layer by layer, p50 over HTTP: each row is the difference to the one before. */
function phasesTable(results: readonly ShapeResult[]): string {
  const rows: (string | number)[][] = [];
  for (const r of results) {
    const p = r.phases;
    if (!p) continue;
    const h = p.http;
    const ms = (x: number) => round(x, 3);
    const cpu = (x: number | null) => (x === null ? "n/a" : round(x, 3));
    // A window that included a snapshot (compaction) is marked: it carries a stall of its shard.
    const mark = (x: number | string, snapshots: number) => (snapshots > 0 ? `${x} (${snapshots} snapshot${snapshots > 1 ? "s" : ""})` : x);
    rows.push(
      [r.shape, "HTTP floor: Node client, Miniflare entry worker, API router (404)", ms(h.floor.p50), ms(h.floor.p50), "", "", p.floorLoad.perSecond, cpu(p.floorLoad.busiestThreadMs), "", ""],
      [r.shape, "+ one Paxos slot: commander.submit of a no-op decision", ms(h.commit.p50), ms(h.commit.p50 - h.floor.p50), mark(ms(p.inWorker.commit.meanMs), p.inWorker.commit.snapshots), cpu(p.inWorker.commit.cpuMs), mark(p.inWorkerLoad.commit.perSecond, p.inWorkerLoad.commit.snapshots), cpu(p.inWorkerLoad.commit.busiestThreadMs), round(p.log.commit.commands, 1), round(p.log.commit.bytes / 1024, 2)],
      [r.shape, "+ a job's bookkeeping: submitJob, 0 stages", ms(h.emptyJob.p50), ms(h.emptyJob.p50 - h.commit.p50), mark(ms(p.inWorker.emptyJob.meanMs), p.inWorker.emptyJob.snapshots), cpu(p.inWorker.emptyJob.cpuMs), mark(p.inWorkerLoad.emptyJob.perSecond, p.inWorkerLoad.emptyJob.snapshots), cpu(p.inWorkerLoad.emptyJob.busiestThreadMs), round(p.log.emptyJob.commands, 1), round(p.log.emptyJob.bytes / 1024, 2)],
      [r.shape, `+ ${r.stages} inline stages: submitJob of ${r.job}`, ms(h.job.p50), ms(h.job.p50 - h.emptyJob.p50), mark(ms(p.inWorker.job.meanMs), p.inWorker.job.snapshots), cpu(p.inWorker.job.cpuMs), mark(p.inWorkerLoad.job.perSecond, p.inWorkerLoad.job.snapshots), cpu(p.inWorkerLoad.job.busiestThreadMs), round(p.log.job.commands, 1), round(p.log.job.bytes / 1024, 2)],
      [r.shape, "+ the API Worker: POST /v1/jobs (validate, seal, route, render)", ms(h.api.p50), ms(h.api.p50 - h.job.p50), "", "", "", "", "", ""],
    );
  }
  return table(
    ["shape", "layer", "p50 ms (HTTP)", "added ms", "in-Worker mean ms", "workerd CPU ms/op", "in-Worker ops/s (load)", "busiest thread ms/op (load)", "log commands/op", "log KB/op"],
    rows,
  );
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");

export const defaultOut = () => `bench/results/jobs-${stamp()}.json`;

export async function benchJobs(o: JobsBenchOptions): Promise<{ results: ShapeResult[]; text: string; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "paxflow-bench-jobs-"));
  const scriptPath = await bundle(dir);
  const inspectorPort = o.profile ? await freePort() : undefined;
  const mf = await cluster(scriptPath, dir, resolve(o.config), inspectorPort);
  const { compactEvery } = await workerOptions(resolve(o.config));
  const results: ShapeResult[] = [];
  const loadBefore = loadavg();
  try {
    const base = await mf.ready;
    const client = new Client(base, `bench-${Date.now().toString(36)}`, o.gzip);
    const answers = new Answers();
    const profiler = inspectorPort === undefined ? null : new Profiler(inspectorPort, scriptPath, o.out.replace(/\.json$/, ""));
    mkdirSync(dirname(o.out), { recursive: true });
    let seed = 1;
    // Without this the first shape measured pays for the warm-up of everything (both isolates'
    // JIT, Node's HTTP client, SQLite files): its floors too come out ~1.5-2x slower.
    if (o.warmupLoad > 0) {
      o.log(`warm-up: ${o.warmupLoad} jobs per shape from ${o.concurrency} clients, ${o.warmupLoad} HTTP floor requests`);
      for (let i = 0; i < o.warmupLoad; i++) await client.floor();
      for (const shape of o.shapes) {
        const work = Array.from({ length: o.warmupLoad }, () => seed++);
        await concurrently(client, shape, work, o.concurrency, answers);
      }
    }
    for (const shape of o.shapes) {
      client.retries = 0;
      results.push(await measureShape(client, shape, o, () => seed++, answers, profiler, compactEvery));
    }
  } finally {
    await mf.dispose();
  }
  try {
    if (o.phases) {
      const phasesPath = await bundle(dir, "phases");
      const phasesPort = o.profile ? await freePort() : undefined;
      const phasesMf = await cluster(phasesPath, join(dir, "phases-state"), resolve(o.config), phasesPort);
      try {
        const base = await phasesMf.ready;
        const client = new Client(base, `bench-phases-${Date.now().toString(36)}`, o.gzip);
        const answers = new Answers();
        const profiler = phasesPort === undefined ? null : new Profiler(phasesPort, phasesPath, o.out.replace(/\.json$/, ""));
        let seed = 1_000_000;
        for (const [k, r] of results.entries()) {
          results[k] = { ...r, phases: await measurePhases(base, client, r.shape, o, () => seed++, answers, profiler, compactEvery) };
        }
      } finally {
        await phasesMf.dispose();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const loadAfter = loadavg();
  const ms = (x: number) => round(x, 3);
  const verdict = (met: boolean) => (met ? "met" : "MISSED");
  const latency = table(
    ["shape", "stages", "p50 ms", "p99 ms", "mean ms", "target p50", "", "HTTP floor p50", "0-stage job p50", "stage compute ms", "overhead/stage p50", "overhead/stage mean", "marginal/stage p50"],
    results.map((r) => [
      r.shape,
      r.stages,
      ms(r.latency.p50),
      ms(r.latency.p99),
      ms(r.latency.mean),
      `< ${r.targets.p50Ms} ms`,
      verdict(r.targets.p50Met),
      ms(r.floors.http.p50),
      ms(r.floors.emptyJob.p50),
      ms(r.stageComputeMs),
      ms(r.overheadPerStageMs.p50),
      ms(r.overheadPerStageMs.mean),
      ms(r.overheadPerStageMs.marginalP50),
    ]),
  );
  const throughput = table(
    ["shape", "jobs", "clients", "jobs/s", "target", "", "slots/job", "decisions/slot", "snapshots in run", "workerd CPU ms/job", "busiest thread ms/job", "busiest thread busy", "jobs/s at 100% of it", "Node client CPU ms/job"],
    results.map((r) => [
      r.shape,
      r.throughput.jobs,
      r.throughput.concurrency,
      r.throughput.jobsPerSecond,
      `> ${r.targets.jobsPerSecond} jobs/s`,
      verdict(r.targets.throughputMet),
      round(r.slotsPerJob.throughput, 3),
      round(r.decisionsPerJob.fromCalls / r.slotsPerJob.throughput, 1),
      r.compactions.throughput,
      r.cpu.throughput ? round(r.cpu.throughput.workerdMs, 3) : "n/a",
      r.cpu.throughput ? round(r.cpu.throughput.busiestThreadMs, 3) : "n/a",
      r.cpu.throughput ? `${Math.round(r.cpu.throughput.busiestThreadUtilization * 100)}%` : "n/a",
      r.cpu.throughput ? Math.round(1000 / r.cpu.throughput.busiestThreadMs) : "n/a",
      r.cpu.throughput ? round(r.cpu.throughput.nodeMs, 3) : "n/a",
    ]),
  );
  const log = table(
    ["shape", "decisions/job (events)", "decisions/job (calls)", "slots/job (sequential)", "snapshots in latency run", "workerd CPU ms/job (sequential)", "calls placed"],
    results.map((r) => [
      r.shape,
      r.decisionsPerJob.events === null ? "n/a" : round(r.decisionsPerJob.events, 2),
      round(r.decisionsPerJob.fromCalls, 2),
      round(r.slotsPerJob.sequential, 3),
      r.compactions.sequential,
      r.cpu.sequential ? round(r.cpu.sequential.workerdMs, 3) : "n/a",
      Object.entries(r.placement)
        .map(([node, n]) => `${node} ${n}`)
        .join(", "),
    ]),
  );
  const out = o.out;
  mkdirSync(dirname(out), { recursive: true });
  const machine = { cpus: availableParallelism(), loadavgBefore: loadBefore, loadavgAfter: loadAfter };
  writeFileSync(out, JSON.stringify({ benchmark: "jobs", at: new Date().toISOString(), machine, options: { ...o, log: undefined }, results }, null, 2));
  const retries = results.reduce((n, r) => n + r.retries, 0);
  const sections = [
    `Job latency (sequential, Prefer: wait=30, timed from Node over HTTP; ${o.samples} jobs per shape after ${o.warmup} warm-up, in 10 rounds with the floors)`,
    latency,
    "",
    `Throughput (${o.concurrency} concurrent clients)`,
    throughput,
    "",
    "Log entries",
    log,
  ];
  if (results.some((r) => r.phases)) {
    sections.push("", "Where the time goes (phase-breakdown Worker, a second cluster; p50 over HTTP, each layer added to the one above)", phasesTable(results));
  }
  if (results.some((r) => r.profile || r.phases?.profile)) sections.push("", "CPU per job in workerd (profiled runs, not the timed ones)", profileTable(results));
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  sections.push("", `load average before ${load(loadBefore)}, after ${load(loadAfter)} on ${machine.cpus} CPUs${loadBefore[0]! > 0.5 ? " (the machine was busy: figures are pessimistic)" : ""}`);
  const starved = results.filter((r) => r.cpu.throughput && r.cpu.throughput.busiestThreadUtilization < 0.8).map((r) => r.shape);
  if (starved.length > 0) {
    sections.push(
      `throughput of ${starved.join(", ")}: workerd's busiest thread was under 80% busy with ${o.concurrency} clients waiting, so other processes had the CPU; jobs/s understates (see "jobs/s at 100% of it")`,
    );
  }
  if (retries > 0) sections.push(`${retries} request(s) resent after a connection failure (same idempotency key)`);
  const text = sections.join("\n");
  return { results, text, out };
}

/** Busy CPU per job by isolate, then the top files and functions of the paxflow isolate. */
function profileTable(results: readonly ShapeResult[]): string {
  const rows: (string | number)[][] = [];
  const lines: string[] = [];
  for (const r of results) {
    const phases: [string, PhaseProfile][] = [
      ...(r.profile ? (Object.entries(r.profile) as [string, PhaseProfile][]) : []),
      ...(r.phases?.profile ? ([["in-Worker load, no HTTP", r.phases.profile]] as [string, PhaseProfile][]) : []),
    ];
    for (const [phase, p] of phases) {
      const user = p.isolates["core:user:paxflow"]!;
      const entry = p.isolates["core:entry"];
      rows.push([
        r.shape,
        phase,
        p.jobs,
        round(p.wallMs / p.jobs, 3),
        Math.round((p.jobs / p.wallMs) * 1000),
        p.cpu ? round(p.cpu.busiestThreadMs, 3) : "n/a",
        p.cpu ? round(p.cpu.nodeMs, 3) : "n/a",
        round(user.busyMsPerJob, 3),
        entry ? round(entry.busyMsPerJob, 3) : "n/a",
      ]);
      const per = (x: number) => round(x / p.jobs, 3);
      lines.push(`${r.shape} ${phase}, paxflow isolate, sampled ms per job by layer:`);
      for (const l of p.layers) lines.push(`  ${round(l.msPerJob, 3).toFixed(3).padStart(7)}  ${Math.round(l.share * 100).toString().padStart(3)}%  ${l.layer}`);
      lines.push(`  top functions (self ms/job): ${user.breakdown.byFunction.slice(0, 15).map((f) => `${f.fn} ${per(f.ms)}`).join(", ")}`);
      lines.push(`  inclusive (ms/job): ${user.breakdown.inclusive.filter((f) => f.ms > 0).map((f) => `${f.fn} ${per(f.ms)}`).join(", ")}`);
      lines.push(`  profiles: ${Object.values(p.isolates).map((i) => i.file).join(", ")}`);
    }
  }
  const head = table(
    ["shape", "phase", "jobs", "wall ms/job", "jobs/s", "workerd busiest thread CPU ms/job", "Node CPU ms/job", "paxflow isolate sampled ms/job", "entry isolate sampled ms/job"],
    rows,
  );
  return [head, ...lines].join("\n");
}
