/**
 * The runner side of the API (core/jobs/protocol.ts): runners register, heartbeat and report
 * results here. A node is registered in every shard, since any shard may place calls on it;
 * a result goes to the shard of the job it answers.
 */
import type { NodeId as NodeIdType } from "../core/jobs/decisions.ts";
import { checkRunnerUrl } from "../core/net/runner-url.ts";
import { parseJobsConfig } from "../durable-objects/jobs-config.ts";
import { parseShardConfig } from "../durable-objects/shard-config.ts";
import type { ResultReport as ResultReportType } from "../core/jobs/protocol.ts";
import type { NodeView as NodeViewType, ResultOffer, ResultOfferReply as ResultOfferReplyType } from "../runtime/jobs/contract.ts";
import type { Env } from "../durable-objects/env.ts";
import { NO_BODY, client, jsonBody, runner } from "./access.ts";
import { ApiError } from "./http.ts";
import { shardOfJob } from "./job-ids.ts";
import { payloadStore, sealBase64, storedPayload } from "./json-values.ts";
import { errors, json, newApi, securedRoute } from "./openapi.ts";
import {
  HeartbeatReply,
  NodeIdParams,
  NodeList,
  NodeLoad,
  NodeView,
  RegisterRequest,
  ResultBatch,
  ResultBatchReply,
  ResultOfferReply,
  ResultReport,
  RunnerIdParams,
} from "./schemas.ts";
import { askEveryShard, askShard } from "./shard-calls.ts";


/** How often runners should heartbeat; the commanders call a node unresponsive after a few missed. */
const HEARTBEAT_MS = 1_000;

export const nodesApi = newApi();

const lastHeard = (node: NodeViewType): number => Math.max(node.since, node.lastHeartbeat?.at ?? 0);

/** Each shard's view of its nodes, one per id: a shard that quarantined it, else the one that heard from it last. */
function freshest(views: readonly NodeViewType[]): NodeViewType[] {
  const byId = new Map<NodeIdType, NodeViewType>();
  const rank = (v: NodeViewType) => (v.status === "quarantined" ? 1 : 0);
  for (const view of views) {
    const known = byId.get(view.spec.id);
    if (!known || rank(view) > rank(known) || (rank(view) === rank(known) && lastHeard(view) > lastHeard(known))) byId.set(view.spec.id, view);
  }
  return [...byId.values()].sort((a, b) => (a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0));
}

const listRoute = securedRoute(client("read"), NO_BODY, {
  method: "get",
  path: "/v1/nodes",
  tags: ["runners"],
  summary: "Every node (built-in backends and registered runners) with its status and last heartbeat",
  responses: { 200: json(NodeList, "nodes by id"), ...errors(500, 503) },
});

nodesApi.openapi(listRoute, async (c) => {
  const perShard = await askEveryShard(c.env, (commander) => commander.listNodes());
  return c.json({ nodes: freshest(perShard.flat()) }, 200);
});

const registerRoute = securedRoute(runner("body"), jsonBody("MAX_COMMAND_BYTES"), {
  method: "post",
  path: "/v1/nodes",
  tags: ["runners"],
  summary: "Register a runner (again: replaces its spec, if signed later than the registration it replaces) in every shard",
  request: { body: { required: true, content: { "application/json": { schema: RegisterRequest } } } },
  responses: { 201: json(NodeView, "registered"), ...errors(400, 409, 413, 415, 429, 500, 503) },
});

nodesApi.openapi(registerRoute, async (c) => {
  const { url, ...rest } = c.req.valid("json");
  const signedAt = c.get("signedAt");
  // Runner authentication sets it on every registration (workers/auth.ts).
  if (signedAt === undefined) throw new ApiError(401, "unauthorized", "a registration must be signed by its runner (docs/runner-protocol.md)");
  const checked = checkRunnerUrl(url, parseJobsConfig(c.env).runnerAllow);
  if (!checked.ok) throw new ApiError(400, checked.refused === "shape" ? "invalid_field" : "runner_url_refused", `url: ${checked.message}`);
  const spec = { ...rest, url: checked.origin, kind: "runner" as const };
  const views = await askEveryShard(c.env, (commander) => commander.registerNode(spec, signedAt));
  return c.json(freshest(views)[0]!, 201);
});

const removeRoute = securedRoute(client("admin"), NO_BODY, {
  method: "delete",
  path: "/v1/nodes/{id}",
  tags: ["runners"],
  summary: "Remove a registered runner from every shard (admin); its calls in flight go to other nodes. A runner still running registers again on its next heartbeat",
  request: { params: RunnerIdParams },
  responses: { 200: json(NodeView, "removed: the node as it was"), ...errors(400, 404, 500, 503) },
});

nodesApi.openapi(removeRoute, async (c) => {
  const { id } = c.req.valid("param");
  const reason = `deleted by token "${c.get("principal")?.name ?? "unknown"}"`;
  const removed = await askEveryShard(c.env, (commander) => commander.removeNode(id, reason));
  const known = removed.filter((view) => view !== null);
  if (known.length === 0) throw new ApiError(404, "not_found", `no node "${id}" is registered`);
  return c.json(freshest(known)[0]!, 200);
});

const heartbeatRoute = securedRoute(runner("path"), jsonBody("MAX_COMMAND_BYTES"), {
  method: "post",
  path: "/v1/nodes/{id}/heartbeat",
  tags: ["runners"],
  summary: "A runner's load; the answer says how the plane sees it and when to send the next",
  request: { params: NodeIdParams, body: { required: true, content: { "application/json": { schema: NodeLoad } } } },
  responses: { 200: json(HeartbeatReply, "heard"), ...errors(400, 404, 413, 415, 500, 503) },
});

nodesApi.openapi(heartbeatRoute, async (c) => {
  const { id } = c.req.valid("param");
  const load = c.req.valid("json");
  const shards = parseShardConfig(c.env).shards;
  // Heartbeats are soft state: shards that answer are enough, as long as one does.
  const settled = await Promise.allSettled(
    Array.from({ length: shards }, (_, shard) => askShard(c.env, shard, (commander) => commander.heartbeat(id, load))),
  );
  const heard = settled.flatMap((s) => (s.status === "fulfilled" && s.value ? [s.value] : []));
  if (heard.length === 0) {
    const failure = settled.find((s) => s.status === "rejected");
    if (failure) throw failure.reason;
    throw new ApiError(404, "not_found", `no node "${id}" is registered (POST /v1/nodes first)`);
  }
  const quarantined = heard.find((h) => h.status === "quarantined");
  if (quarantined) {
    // One shard caught it answering wrongly: the others stop trusting it too (each shard's log records it).
    const reason = quarantined.reason ?? "quarantined by another shard";
    // A shard that cannot be reached now hears it on a later heartbeat.
    await Promise.allSettled(Array.from({ length: shards }, (_, shard) => askShard(c.env, shard, (commander) => commander.quarantineNode(id, reason))));
    return c.json({ status: "quarantined" as const, reason, heartbeatMs: HEARTBEAT_MS }, 200);
  }
  const status = heard.some((h) => h.status === "unresponsive") ? ("unresponsive" as const) : ("up" as const);
  return c.json({ status, heartbeatMs: HEARTBEAT_MS }, 200);
});

const resultRoute = securedRoute(runner("path"), jsonBody("MAX_RESULT_BYTES"), {
  method: "post",
  path: "/v1/nodes/{id}/results",
  tags: ["runners"],
  summary: "A call's result from the runner it was dispatched to (the first result of a call wins)",
  request: { params: NodeIdParams, body: { required: true, content: { "application/json": { schema: ResultReport } } } },
  responses: {
    202: json(ResultOfferReply, "offered to the job's shard; accepted says whether it became the call's result"),
    ...errors(400, 409, 413, 415, 500, 503),
  },
});

/** A report as its job's shard takes it: a base64 value sealed (stored in R2 when large), a reference checked. */
async function offerOf(env: Env, node: NodeIdType, report: ResultReportType, field: string): Promise<ResultOffer> {
  const outcome = report.outcome.ok
    ? { ok: true as const, value: typeof report.outcome.value === "string" ? await sealBase64(payloadStore(env), field, report.outcome.value) : await storedPayload(env, report.outcome.value) }
    : report.outcome;
  return { node, job: report.job, seq: report.seq, attempt: report.attempt, outcome, startedAt: report.startedAt, finishedAt: report.finishedAt };
}

nodesApi.openapi(resultRoute, async (c) => {
  const { id: node } = c.req.valid("param");
  const report = c.req.valid("json");
  const offer = await offerOf(c.env, node, report, "outcome.value");
  const reply = await askShard(c.env, shardOfJob(report.job, parseShardConfig(c.env).shards), (commander) => commander.offerResult(offer));
  return c.json(reply, 202);
});

const resultBatchRoute = securedRoute(runner("path"), jsonBody("MAX_RESULT_BYTES"), {
  method: "post",
  path: "/v1/nodes/{id}/results/batch",
  tags: ["runners"],
  summary: "Results of several calls from the runner they were dispatched to, each answered as POST /v1/nodes/{id}/results would",
  request: { params: NodeIdParams, body: { required: true, content: { "application/json": { schema: ResultBatch } } } },
  responses: {
    202: json(ResultBatchReply, "offered to their jobs' shards, each shard's in one proposal; a reply per result, in order"),
    ...errors(400, 409, 413, 415, 500, 503),
  },
});

nodesApi.openapi(resultBatchRoute, async (c) => {
  const { id: node } = c.req.valid("param");
  const { results } = c.req.valid("json");
  const offers = await Promise.all(results.map((report, i) => offerOf(c.env, node, report, `results[${i}].outcome.value`)));
  const shards = parseShardConfig(c.env).shards;
  const byShard = new Map<number, number[]>();
  for (const [i, offer] of offers.entries()) {
    const shard = shardOfJob(offer.job, shards);
    const indices = byShard.get(shard);
    if (indices) indices.push(i);
    else byShard.set(shard, [i]);
  }
  const replies: ResultOfferReplyType[] = new Array(offers.length);
  await Promise.all(
    [...byShard].map(async ([shard, indices]) => {
      const answers = await askShard(c.env, shard, (commander) => commander.offerResults(indices.map((i) => offers[i]!)));
      for (const [k, i] of indices.entries()) replies[i] = answers[k]!;
    }),
  );
  return c.json({ results: replies }, 202);
});
