/**
 * The benchmark Worker: the production Durable Objects plus a Floor object (one RPC, one
 * SQLite write: the cheapest durable operation a client can ask for) and routes that drive
 * them. Kept out of workers/ so no benchmark code ships with the API.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../durable-objects/env.ts";
import { commanderName } from "../durable-objects/shard-config.ts";

import { createRegistry } from "../core/sdk/registry.ts";
import { Commander as CommanderBase } from "../durable-objects/commander.ts";

export { Acceptor } from "../durable-objects/acceptor.ts";

/** Consensus only: no job runs here, so the commanders need no stages (and the bundle no API). */
const NO_STAGES = createRegistry();
export class Commander extends CommanderBase {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, NO_STAGES);
  }
}

export class Floor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  }

  write(key: number, value: string): number {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", key, value);
    return key;
  }
}

interface BenchEnv extends Env {
  readonly FLOOR: DurableObjectNamespace<Floor>;
}

let sequence = 0;
const floor = (env: BenchEnv) => env.FLOOR.get(env.FLOOR.idFromName("floor"));
const commander = (env: BenchEnv) => env.COMMANDER.get(env.COMMANDER.idFromName(commanderName(0, 0)));

async function op(env: BenchEnv, kind: string, commands = 1): Promise<void> {
  if (kind === "floor") {
    await floor(env).write(sequence++ % 1024, "x".repeat(64));
    return;
  }
  const batch = Array.from({ length: commands }, () => ({ id: `b${sequence++}`, data: "x".repeat(64) }));
  await commander(env).submit(batch);
}

const int = (url: URL, name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/floor":
      case "/commit":
        await op(env, url.pathname.slice(1));
        return new Response("ok");
      case "/loop": {
        // Mean latency measured inside workerd: its clock only moves on I/O and in whole
        // milliseconds, so only totals over many operations are meaningful here.
        const n = int(url, "n", 1000);
        const kind = url.searchParams.get("op") ?? "floor";
        const started = Date.now();
        for (let i = 0; i < n; i++) await op(env, kind);
        return Response.json({ n, elapsedMs: Date.now() - started });
      }
      case "/throughput": {
        const clients = int(url, "clients", 32);
        const total = int(url, "total", 20_000);
        const perCall = int(url, "perCall", 1);
        const before = (await commander(env).status()).learnedThrough;
        let remaining = total;
        const started = Date.now();
        await Promise.all(
          Array.from({ length: clients }, async () => {
            while (remaining > 0) {
              const n = Math.min(perCall, remaining);
              remaining -= n;
              await op(env, "commit", n);
            }
          }),
        );
        const elapsedMs = Date.now() - started;
        const slots = (await commander(env).status()).learnedThrough - before;
        return Response.json({ clients, total, perCall, elapsedMs, slots });
      }
      default:
        return Response.json({ error: { code: "not_found", message: `no bench route ${url.pathname}` } }, { status: 404 });
    }
  },
};
