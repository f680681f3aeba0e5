/**
 * Consensus benchmark in local workerd (Miniflare, SQLite-backed Durable Objects on disk).
 *
 * For 3 and 5 acceptors it reports, as ratios to the floor (one Durable Object RPC with one
 * SQLite write, measured the same way in the same run):
 * - commit latency p50/p99, one command per commit, sequential, timed per request from Node
 *   over HTTP (workerd's own clock moves in whole milliseconds, too coarse for percentiles);
 * - mean latency inside the Worker over a long sequential loop (no HTTP);
 * - throughput with 32 concurrent clients and batching on, driven inside the Worker.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";
import { table } from "../cli/table.ts";
import { type Summary, round, summarize } from "./stats.ts";

export interface ConsensusBenchOptions {
  readonly acceptors: readonly number[];
  readonly samples: number;
  readonly warmup: number;
  readonly loop: number;
  readonly clients: number;
  readonly commands: number;
  readonly out: string;
  readonly log: (line: string) => void;
}

interface Row {
  readonly acceptors: number;
  readonly floor: Summary;
  readonly commit: Summary;
  readonly floorLoopMeanMs: number;
  readonly commitLoopMeanMs: number;
  readonly throughput: { readonly perCall: number; readonly commandsPerSecond: number; readonly commandsPerSlot: number }[];
}

async function bundle(dir: string): Promise<string> {
  const outfile = join(dir, "worker.mjs");
  await build({
    entryPoints: [new URL("./worker.ts", import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    outfile,
    external: ["cloudflare:*", "node:*"],
    logLevel: "warning",
  });
  return outfile;
}

function cluster(scriptPath: string, stateDir: string, acceptors: number): Miniflare {
  return new Miniflare({
    // PAXFLOW_BENCH_VERBOSE=1 shows workerd's own log (crashes, uncaught errors).
    log: new Log(process.env.PAXFLOW_BENCH_VERBOSE === "1" ? LogLevel.VERBOSE : LogLevel.WARN),
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: "2026-04-20",
    cf: false,
    host: "127.0.0.1",
    port: 0,
    durableObjectsPersist: stateDir,
    durableObjects: {
      ACCEPTOR: { className: "Acceptor", useSQLite: true },
      COMMANDER: { className: "Commander", useSQLite: true },
      FLOOR: { className: "Floor", useSQLite: true },
    },
    bindings: {
      SHARDS: "1",
      ACCEPTORS_PER_SHARD: String(acceptors),
      COMMANDERS_PER_SHARD: "2",
      PHASE1_QUORUM: "",
      PHASE2_QUORUM: "",
      ALPHA: "32",
      MAX_BATCH: "512",
      PAXFLOW_CHAOS: "0",
      LEASE_MS: "2000",
    },
  });
}

async function timeRequests(base: URL, path: string, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(new URL(path, base), { method: "POST" });
    const body = await response.text();
    samples.push(performance.now() - started);
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${body}`);
  }
  return samples;
}

/**
 * For the phases that time themselves inside the Worker. Goes through dispatchFetch: Node's
 * fetch may reuse a keep-alive socket that workerd closed during a long run.
 */
async function getJson<T>(mf: Miniflare, path: string): Promise<T> {
  const response = await mf.dispatchFetch(new URL(path, "http://bench.local"));
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function measure(scriptPath: string, acceptors: number, o: ConsensusBenchOptions): Promise<Row> {
  const stateDir = mkdtempSync(join(tmpdir(), "paxflow-bench-state-"));
  const mf = cluster(scriptPath, stateDir, acceptors);
  try {
    const base = await mf.ready;
    o.log(`${acceptors} acceptors: warm-up`);
    await timeRequests(base, "/commit", o.warmup);
    await timeRequests(base, "/floor", o.warmup);
    // Interleave floor and commit in rounds so drift on a shared machine hits both alike.
    const floor: number[] = [];
    const commit: number[] = [];
    const rounds = 10;
    for (let r = 0; r < rounds; r++) {
      floor.push(...(await timeRequests(base, "/floor", Math.ceil(o.samples / rounds))));
      commit.push(...(await timeRequests(base, "/commit", Math.ceil(o.samples / rounds))));
      o.log(`${acceptors} acceptors: latency round ${r + 1}/${rounds}`);
    }
    const floorLoop = await getJson<{ n: number; elapsedMs: number }>(mf, `/loop?op=floor&n=${o.loop}`);
    const commitLoop = await getJson<{ n: number; elapsedMs: number }>(mf, `/loop?op=commit&n=${o.loop}`);
    const throughput: Row["throughput"][number][] = [];
    for (const perCall of [1, 16]) {
      o.log(`${acceptors} acceptors: throughput, ${o.clients} clients, ${perCall} command(s) per call`);
      const t = await getJson<{ elapsedMs: number; slots: number; total: number }>(
        mf,
        `/throughput?clients=${o.clients}&total=${o.commands}&perCall=${perCall}`,
      );
      throughput.push({ perCall, commandsPerSecond: Math.round((t.total / t.elapsedMs) * 1000), commandsPerSlot: round(t.total / t.slots, 1) });
    }
    return {
      acceptors,
      floor: summarize(floor),
      commit: summarize(commit),
      floorLoopMeanMs: floorLoop.elapsedMs / floorLoop.n,
      commitLoopMeanMs: commitLoop.elapsedMs / commitLoop.n,
      throughput,
    };
  } finally {
    await mf.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function benchConsensus(o: ConsensusBenchOptions): Promise<{ rows: Row[]; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), "paxflow-bench-"));
  try {
    const scriptPath = await bundle(dir);
    const rows: Row[] = [];
    for (const n of o.acceptors) rows.push(await measure(scriptPath, n, o));
    const ms = (x: number) => round(x, 3);
    const latency = table(
      ["acceptors", "floor p50 ms", "floor p99 ms", "commit p50 ms", "commit p99 ms", "p50 ratio", "p99 ratio", "in-worker floor ms", "in-worker commit ms", "in-worker ratio"],
      rows.map((r) => [
        r.acceptors,
        ms(r.floor.p50),
        ms(r.floor.p99),
        ms(r.commit.p50),
        ms(r.commit.p99),
        round(r.commit.p50 / r.floor.p50, 2),
        round(r.commit.p99 / r.floor.p99, 2),
        ms(r.floorLoopMeanMs),
        ms(r.commitLoopMeanMs),
        round(r.commitLoopMeanMs / r.floorLoopMeanMs, 2),
      ]),
    );
    const throughput = table(
      ["acceptors", "clients", "commands/call", "commands/s", "commands/slot", "floor ops/s (1/in-worker mean)", "ratio to floor"],
      rows.flatMap((r) =>
        r.throughput.map((t) => [
          r.acceptors,
          o.clients,
          t.perCall,
          t.commandsPerSecond,
          t.commandsPerSlot,
          Math.round(1000 / r.floorLoopMeanMs),
          round(t.commandsPerSecond / (1000 / r.floorLoopMeanMs), 2),
        ]),
      ),
    );
    mkdirSync(join(o.out, ".."), { recursive: true });
    writeFileSync(o.out, JSON.stringify({ benchmark: "consensus", at: new Date().toISOString(), options: { ...o, log: undefined }, rows }, null, 2));
    return { rows, text: `Commit latency (sequential, 1 command per commit; ${o.samples} samples each)\n${latency}\n\nThroughput (batching on)\n${throughput}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
