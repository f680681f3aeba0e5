/**
 * The phase-breakdown Worker of `paxflow bench jobs`: the production Worker (its API, Durable
 * Objects and stage Worker, unchanged) plus /bench/ routes that drive the commanders directly,
 * so each layer's cost can be told apart:
 *
 *   commit   one no-op decision through CommanderDriver.submit: one Paxos slot, nothing else
 *   empty    Commander.submitJob of a job with no stage calls (accepted + finished, one slot)
 *   chain    Commander.submitJob of shapes/chain, waiting for the end (what POST /v1/jobs asks)
 *   fanout   the same for shapes/fanout
 *
 * /bench/op does one (over HTTP from Node: the API Worker's share is the difference to
 * POST /v1/jobs); /bench/loop does n in a row inside the Worker and /bench/load n from c
 * concurrent callers (no HTTP at all). Kept out of workers/ so no benchmark code ships.
 */
import { decode, encode } from "../core/codec.ts";
import type { Decision } from "../core/jobs/decisions.ts";
import type { Committed } from "../core/paxos/index.ts";
import { type Payload, fromBase64, inlinePayload } from "../core/jobs/payload.ts";
import type { Env } from "../durable-objects/env.ts";
import { commanderName, parseShardConfig } from "../durable-objects/shard-config.ts";
import { registry } from "../test/shared/registry.ts";
import { definePaxflow } from "../workers/define-paxflow.ts";
import { randomJobId, shardOfJob } from "../workers/job-ids.ts";

const paxflow = definePaxflow({ registry });
const { app } = paxflow;
export const { Acceptor, Commander, RateLimiter, StageWorker } = paxflow;

const OPS = ["commit", "empty", "chain", "fanout"] as const;
type Op = (typeof OPS)[number];

const JOBS: Record<Exclude<Op, "commit">, string> = { empty: "shapes/recurse", chain: "shapes/chain", fanout: "shapes/fanout" };

let sequence = 0;

const commander = (env: Env, shard: number) => env.COMMANDER.get(env.COMMANDER.idFromName(commanderName(shard, 0)));

/** A job id whose tree lives in `shard`. */
async function jobIdOn(shard: number, shards: number): Promise<string> {
  for (;;) {
    const id = randomJobId();
    if (shardOfJob(id, shards) === shard) return id;
  }
}

/** One operation; for jobs, the decoded output (the caller checks it). */
async function op(env: Env, kind: Op, seed: number, onShard?: number): Promise<unknown> {
  const shards = parseShardConfig(env).shards;
  if (kind === "commit") {
    const n = sequence++;
    // A decision the job state ignores (it names no job): a slot of the log and nothing more.
    const noop: Decision = { type: "job.cancelled", job: `bench-noop-${n}`, at: 0, reason: "bench: a commit and nothing else", by: { kind: "plane" } };
    await commander(env, onShard ?? n % shards).submit([{ id: `bench-commit-${crypto.randomUUID()}`, data: noop }]);
    return null;
  }
  const id = onShard === undefined ? randomJobId() : await jobIdOn(onShard, shards);
  const input = kind === "empty" ? { depth: 0, loop: false } : { seed };
  const { job } = await commander(env, shardOfJob(id, shards)).submitJob({ id, name: JOBS[kind], input: inlinePayload(encode(input)), waitMs: 30_000, submittedBy: "bench" });
  if (job.status !== "done" || !job.output) throw new Error(`bench: ${JOBS[kind]} ${id} ended ${job.status}: ${JSON.stringify(job.error)}`);
  const output = job.output as Payload;
  if (!("inline" in output)) throw new Error(`bench: ${JOBS[kind]} output is in R2, not inline`);
  return decode(fromBase64(output.inline));
}

const int = (url: URL, name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);

function opOf(url: URL): Op {
  const kind = url.searchParams.get("op") ?? "";
  if (!(OPS as readonly string[]).includes(kind)) throw new Error(`bench: op must be one of ${OPS.join(", ")}`);
  return kind as Op;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/bench/")) return app.fetch(request, env, ctx);
    const kind = opOf(url);
    const seed = int(url, "seed", 1);
    switch (url.pathname) {
      case "/bench/op":
        return Response.json({ output: await op(env, kind, seed) });
      case "/bench/loop": {
        // workerd's clock moves only on I/O and in whole ms: only totals over many ops mean anything.
        const n = int(url, "n", 500);
        const started = Date.now();
        for (let i = 0; i < n; i++) await op(env, kind, seed + i);
        return Response.json({ n, elapsedMs: Date.now() - started });
      }
      case "/bench/load": {
        const n = int(url, "n", 2_000);
        const clients = int(url, "clients", 32);
        let next = 0;
        const started = Date.now();
        await Promise.all(
          Array.from({ length: clients }, async () => {
            while (next < n) await op(env, kind, seed + next++);
          }),
        );
        return Response.json({ n, clients, elapsedMs: Date.now() - started });
      }
      case "/bench/log": {
        // n operations one after another on shard 0, then the log entries they made: slots,
        // commands and JSON bytes per operation (what every acceptor stores and the digest hashes).
        const n = int(url, "n", 20);
        const leader = commander(env, 0);
        const before = (await leader.status()).learnedThrough;
        for (let i = 0; i < n; i++) await op(env, kind, seed + i, 0);
        const after = (await leader.status()).learnedThrough;
        let commands = 0;
        let bytes = 0;
        for (let from = before + 1; from <= after; ) {
          const entries = (await leader.read(from, 1_000)) as unknown as Committed[];
          if (entries.length === 0) break;
          for (const c of entries) {
            commands += c.entry.commands.length;
            bytes += new TextEncoder().encode(JSON.stringify(c.entry)).length;
          }
          from = entries.at(-1)!.slot + 1;
        }
        return Response.json({ n, slots: after - before, commands, bytes });
      }
      default:
        return Response.json({ error: { code: "not_found", message: `no bench route ${url.pathname}` } }, { status: 404 });
    }
  },
} satisfies ExportedHandler<Env>;
