import { Hono } from "hono";
import type { Registry } from "../core/sdk/registry.ts";
import { describePolicy } from "../core/jobs/verification.ts";
import { formatBallot } from "../core/paxos/index.ts";
import type { AcceptorStatus } from "../durable-objects/acceptor.ts";
import type { Env } from "../durable-objects/env.ts";
import { parseJobsConfig } from "../durable-objects/jobs-config.ts";
import { type ShardConfig, commanderName, parseShardConfig } from "../durable-objects/shard-config.ts";
import type { CommanderStatus } from "../runtime/commander-driver.ts";
import { errorCode, errorMessage } from "../runtime/errors.ts";
import { canonicalOnly, client, declaredOnly, guard, jsonBody } from "./access.ts";
import { chaosApi } from "./chaos-api.ts";
import { type ShardMetrics, renderMetrics } from "./prometheus.ts";
import { askShard } from "./shard-calls.ts";
import { type App, fail, onError, traced } from "./http.ts";
import { securityHeaders } from "./security-headers.ts";
import { jobsApi } from "./jobs-api.ts";
import { documentedSecurity, errors, json } from "./openapi.ts";
import { ClusterView, CommandBody, CommandReply } from "./schemas.ts";
import { LeaderHints, electedView, shardOf, tryCommanders } from "./routing.ts";

export { shardOf };

const MAX_KEY_LENGTH = 1_024;
const MAX_ID_LENGTH = 200;

/** Per isolate: which commander led each shard last time. */
const leaderHints = new LeaderHints();

/** Every route of the API Worker, whatever the registry (createApp mounts them). */
const routes = new Hono<App>();

routes.use("*", traced);
routes.use("*", securityHeaders);
// One spelling per resource, then: every route declares who may call it (its guard, workers/access.ts).
routes.use("*", canonicalOnly);
routes.use("*", declaredOnly);

/** Prometheus: each shard's leader's job metrics, each commander's commit latencies and elections (workers/prometheus.ts). */
routes.get("/metrics", guard(client("read")), async (c) => {
  const config = parseShardConfig(c.env);
  const shards = await Promise.all(
    Array.from({ length: config.shards }, async (_, shard): Promise<ShardMetrics> => {
      const jobs = await askShard(c.env, shard, (commander) => commander.metrics()).catch(() => null);
      const commanders = await Promise.all(
        Array.from({ length: config.commandersPerShard }, async (_, i) => {
          const name = commanderName(shard, i);
          const status = (await c.env.COMMANDER.get(c.env.COMMANDER.idFromName(name)).status().catch(() => null)) as CommanderStatus | null;
          return status ? [{ name, leader: status.role === "leader", commitLatencyMs: status.commitLatencyMs, elections: status.elections }] : [];
        }),
      );
      return { shard, jobs, commanders: commanders.flat() };
    }),
  );
  return c.text(renderMetrics(shards), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
});

const CLUSTER_ACCESS = client("read");
jobsApi.openAPIRegistry.registerPath({
  method: "get",
  path: "/v1/cluster",
  tags: ["cluster"],
  summary: "Every shard's leader, commanders and acceptors with their health",
  security: documentedSecurity(CLUSTER_ACCESS),
  responses: { 200: json(ClusterView, "the cluster"), ...errors(401, 403, 500) },
});

routes.get("/v1/cluster", guard(CLUSTER_ACCESS), async (c) => {
  const config = parseShardConfig(c.env);
  const shards = await Promise.all(Array.from({ length: config.shards }, (_, shard) => shardView(c.env, config, shard)));
  // Every commander parses the same [vars]: the policy they dispatch with, and a warning when it checks nothing.
  return c.json({ verification: describePolicy(parseJobsConfig(c.env).verify), shards });
});

/** Seconds a client should wait after "overloaded". */
const OVERLOADED_RETRY_AFTER_S = 1;

/** Errors that no other commander of the shard would answer differently. */
const FINAL_FOR_SHARD = new Set(["overloaded", "cluster-mismatch", "command-too-large", "invalid-argument"]);

// Raw log commands: admin only; storage cannot hold an arbitrarily large command.
const COMMANDS_ACCESS = client("admin");
jobsApi.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/commands",
  tags: ["cluster"],
  summary: "Commit a command to its key's shard log",
  security: documentedSecurity(COMMANDS_ACCESS),
  request: { body: { required: true, content: { "application/json": { schema: CommandBody } } } },
  responses: { 200: json(CommandReply, "chosen; the same id again answers the same slot"), ...errors(400, 401, 403, 413, 500, 503) },
});

routes.post("/v1/commands", guard(COMMANDS_ACCESS, jsonBody("MAX_COMMAND_BYTES")), async (c) => {
  const config = parseShardConfig(c.env);
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    return fail(c, 400, "invalid_json", "request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return fail(c, 400, "invalid_body", "request body must be a JSON object like {\"key\": \"...\", \"data\": ...}");
  }
  const { key, data, id } = body as { key?: unknown; data?: unknown; id?: unknown };
  if (key === undefined) return fail(c, 400, "missing_field", "key is required (a non-empty string)");
  if (typeof key !== "string" || key === "" || key.length > MAX_KEY_LENGTH) {
    return fail(c, 400, "invalid_field", `key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
  }
  if (id !== undefined && (typeof id !== "string" || id === "" || id.length > MAX_ID_LENGTH)) {
    return fail(c, 400, "invalid_field", `id, when given, must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  const commandId = (id as string | undefined) ?? crypto.randomUUID();
  const shard = shardOf(key, config.shards);
  // Client ids live in their own namespace: one chosen to equal a decision's id (say "<job>/accepted",
  // whose job id a client can compute from an idempotency key) would otherwise make the log's dedupe
  // drop that decision.
  const command = { id: `client/${commandId}`, data: { key, data: data ?? null } };
  const result = await tryCommanders(
    leaderHints.firstChoice(shard),
    config.commandersPerShard,
    async (i) => {
      const [done] = await c.env.COMMANDER.get(c.env.COMMANDER.idFromName(commanderName(shard, i))).submit([command]);
      return done!;
    },
    (error) => FINAL_FOR_SHARD.has(errorCode(error) ?? ""),
  );
  if (result.ok) {
    leaderHints.committed(shard, result.commander);
    return c.json({ shard, slot: result.value.slot, id: commandId });
  }
  const byCode = (code: string) => result.errors.find((e) => errorCode(e.error) === code)?.error;
  const mismatch = byCode("cluster-mismatch");
  if (mismatch) return fail(c, 500, "misconfigured", errorMessage(mismatch));
  const tooLarge = byCode("command-too-large");
  if (tooLarge) return fail(c, 413, "payload_too_large", errorMessage(tooLarge));
  const overloaded = byCode("overloaded");
  if (overloaded) {
    c.header("Retry-After", String(OVERLOADED_RETRY_AFTER_S));
    return fail(c, 503, "overloaded", `shard ${shard} is overloaded: ${errorMessage(overloaded)}`);
  }
  const reasons = result.errors.map(({ commander, error }) => `${commanderName(shard, commander)}: ${errorMessage(error)}`);
  return fail(c, 503, "unavailable", `no commander of shard ${shard} could commit the command: ${reasons.join("; ")}`);
});

routes.route("/", chaosApi);
routes.route("/", jobsApi);

/**
 * The API Worker over `registry`, the stages and jobs this deployment bundles (nothing else can
 * run: no code upload at run time). Every request sees it as `c.get("registry")`.
 */
export function createApp(registry: Registry): Hono<App> {
  const app = new Hono<App>();
  app.use("*", async (c, next) => {
    c.set("registry", registry);
    await next();
  });
  app.route("/", routes);
  app.notFound(async (c) => {
    const path = new URL(c.req.url).pathname;
    // Outside the API: the dashboard's pages (GET and HEAD only; what is not a page is a JSON 404).
    if ((c.req.method === "GET" || c.req.method === "HEAD") && !path.startsWith("/v1/") && c.env.ASSETS) {
      const page = await c.env.ASSETS.fetch(c.req.raw);
      if (page.status < 400) return page;
    }
    return fail(c, 404, "not_found", `no route for ${c.req.method} ${path}`);
  });

  app.onError(onError);
  return app;
}

type CommanderView =
  | ({ name: string; reachable: true } & CommanderStatus)
  | { name: string; reachable: false; error: string };

export async function shardView(env: Env, config: ShardConfig, shard: number) {
  const commanders: CommanderView[] = await Promise.all(
    Array.from({ length: config.commandersPerShard }, async (_, i): Promise<CommanderView> => {
      const name = commanderName(shard, i);
      try {
        const status = (await env.COMMANDER.get(env.COMMANDER.idFromName(name)).status()) as CommanderStatus;
        return { name, reachable: true, ...status };
      } catch (error) {
        return { name, reachable: false, error: errorMessage(error) };
      }
    }),
  );
  const reachable = commanders.filter((v) => v.reachable);
  const elected = electedView(commanders.map((v) => (v.reachable ? v : null)));
  const leaderView = elected.leader === null ? undefined : commanders[elected.leader];
  const leader = leaderView?.reachable ? leaderView : undefined;
  // The leader's view of its acceptors is the freshest; without one, the most advanced commander's.
  const viewer = leader ?? [...reachable].sort((a, b) => b.learnedThrough - a.learnedThrough)[0];
  const acceptors = await Promise.all(
    (viewer?.acceptors ?? []).map(async (seen) => {
      let stored: AcceptorStatus | null = null;
      try {
        stored = (await env.ACCEPTOR.get(env.ACCEPTOR.idFromName(seen.acceptor)).status()) as AcceptorStatus;
      } catch {
        // Shown as unknown: the health column already says how calls to it are going.
      }
      return {
        name: seen.acceptor,
        health: seen.health,
        lastContactAt: seen.lastOkAt,
        latencyMs: seen.latencyMs,
        lastError: seen.lastError,
        chosenThrough: stored?.chosenThrough ?? null,
        promised: stored ? formatBallot(stored.promised) : null,
        fault: stored?.fault ?? null,
      };
    }),
  );
  // What the leader's scheduler learned (forecast, node health); absent without a reachable leader.
  const scheduling = leader
    ? await env.COMMANDER.get(env.COMMANDER.idFromName(leader.name))
        .scheduling()
        .catch(() => null)
    : null;
  return {
    shard,
    leader: leader ? { commander: leader.name, ballot: formatBallot(leader.ballot), thrifty: leader.thrifty, autoReplace: leader.autoReplace } : null,
    ...(scheduling ? { loadForecast: scheduling.forecast, nodeHealth: scheduling.nodes } : {}),
    chosenIndex: Math.max(0, ...reachable.map((v) => v.learnedThrough)),
    appliedIndex: leader?.appliedThrough ?? viewer?.appliedThrough ?? 0,
    commanders: commanders.map((v, i) =>
      v.reachable
        ? {
            name: v.name,
            role: elected.roles[i]!,
            ballot: formatBallot(v.ballot),
            learnedThrough: v.learnedThrough,
            appliedThrough: v.appliedThrough,
            pending: v.pending,
            ...(v.misconfigured ? { misconfigured: v.misconfigured } : {}),
          }
        : { name: v.name, role: "unreachable", error: v.error },
    ),
    acceptors,
  };
}
