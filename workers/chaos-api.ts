/**
 * Fault injection for the chaos suite (chaos/, `npm run chaos`): acceptors made unavailable,
 * commanders aborted, and every learner's log read back for the one-value-per-slot check. The
 * routes exist only when PAXFLOW_CHAOS="1" (404 otherwise) and need an admin token.
 *
 *   POST /v1/chaos/acceptors/:shard/:index          {"fault": null | {"mode": "down"|"refuse"} | {"mode": "slow", "delayMs": n}}
 *   POST /v1/chaos/commanders/:shard/:index/abort   the incarnation dies with its memory
 *   GET  /v1/chaos/commanders/:shard/:index/log?from=1&limit=500   the entries it learned (retained ones)
 *   POST /v1/chaos/commanders/:shard/:index/catch-up               learns what is chosen; its applied digest and job counters
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { acceptorName, commanderName, parseShardConfig } from "../durable-objects/shard-config.ts";
import { parseFault } from "../runtime/fault.ts";
import { errorMessage } from "../runtime/errors.ts";
import { client, guard, jsonBody } from "./access.ts";
import { type App, ApiError } from "./http.ts";

export const chaosApi = new Hono<App>();

/** Fault settings are a few bytes of JSON; the command limit is ample. */
const CHAOS_BODY = jsonBody("MAX_COMMAND_BYTES");

chaosApi.use("/v1/chaos/*", async (c, next) => {
  if (c.env.PAXFLOW_CHAOS !== "1") throw new ApiError(404, "not_found", 'fault injection is disabled (set PAXFLOW_CHAOS="1" on a test deployment)');
  await next();
});

/** The (shard, index) in the path, checked against the deployment's shape. */
function target(c: Context<App>, kind: "acceptors" | "commanders"): { shard: number; index: number } {
  const config = parseShardConfig(c.env);
  const shard = Number(c.req.param("shard"));
  const index = Number(c.req.param("index"));
  const per = kind === "acceptors" ? config.acceptorsPerShard : config.commandersPerShard;
  if (!Number.isInteger(shard) || shard < 0 || shard >= config.shards) throw new ApiError(400, "invalid_field", `shard must be an integer from 0 to ${config.shards - 1}`);
  if (!Number.isInteger(index) || index < 0 || index >= per) throw new ApiError(400, "invalid_field", `index must be an integer from 0 to ${per - 1}`);
  return { shard, index };
}

const commander = (c: Context<App>) => {
  const { shard, index } = target(c, "commanders");
  return c.env.COMMANDER.get(c.env.COMMANDER.idFromName(commanderName(shard, index)));
};

chaosApi.post("/v1/chaos/acceptors/:shard/:index", guard(client("admin"), CHAOS_BODY), async (c) => {
  const { shard, index } = target(c, "acceptors");
  let fault;
  try {
    fault = parseFault(((await c.req.json()) as { fault?: unknown }).fault ?? null);
  } catch (error) {
    throw new ApiError(400, "invalid_field", `fault: ${errorMessage(error)}`);
  }
  await c.env.ACCEPTOR.get(c.env.ACCEPTOR.idFromName(acceptorName(shard, index))).setFault(fault);
  return c.json({ acceptor: acceptorName(shard, index), fault });
});

chaosApi.post("/v1/chaos/commanders/:shard/:index/abort", guard(client("admin"), CHAOS_BODY), async (c) => {
  const stub = commander(c);
  // The abort rejects the call that caused it: that is the expected answer.
  await stub.abort("chaos: commander aborted").catch(() => undefined);
  return c.json({ aborted: true }, 202);
});

chaosApi.get("/v1/chaos/commanders/:shard/:index/log", guard(client("admin")), async (c) => {
  const from = Number(c.req.query("from") ?? "1");
  const limit = Number(c.req.query("limit") ?? "500");
  if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(limit) || limit < 1) throw new ApiError(400, "invalid_field", "from (>= 0) and limit (>= 1) must be integers");
  return c.json({ entries: await commander(c).read(from, limit) });
});

chaosApi.post("/v1/chaos/commanders/:shard/:index/catch-up", guard(client("admin"), CHAOS_BODY), async (c) => {
  const stub = commander(c);
  await stub.catchUp();
  const [status, jobs] = await Promise.all([stub.status(), stub.jobStats()]);
  return c.json({ id: status.id, learnedThrough: status.learnedThrough, appliedThrough: status.appliedThrough, digest: status.digest, counters: jobs.counters });
});
