/**
 * The jobs API: submit, read, follow, cancel and list jobs; large values by hash. The nodes API
 * (nodes-api.ts) and the OpenAPI document are mounted here too, so one document covers them.
 */
import { z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { payloadKey } from "../core/jobs/payload.ts";
import type { JobId as JobIdType } from "../core/jobs/decisions.ts";
import type { Viewer } from "../core/jobs/tenancy.ts";
import type { InputSchema } from "../core/sdk/job.ts";
import { findJob } from "../core/sdk/registry.ts";
import type { Env } from "../durable-objects/env.ts";
import { r2Blobs } from "../durable-objects/r2-blobs.ts";
import { parseShardConfig } from "../durable-objects/shard-config.ts";
import { errorCode, errorReason } from "../runtime/errors.ts";
import type { JobPlane } from "../runtime/jobs/contract.ts";
import { NO_BODY, client, jsonBody, runnerOrClient, streamedBody } from "./access.ts";
import { ApiError, formatPath, preferredWaitMs, requestLog } from "./http.ts";
import { keyedJobId, randomJobId, shardOfJob } from "./job-ids.ts";
import { limitSubmissions } from "./rate-limit.ts";
import type { Principal } from "./auth.ts";
import { decodeCursor, listJobs } from "./job-list.ts";
import { explainJob } from "./explain.ts";
import { jobJson } from "./job-views.ts";
import { payloadStore, sealJson } from "./json-values.ts";
import { nodesApi } from "./nodes-api.ts";
import { errors, json, newApi, securedRoute, serveDocument } from "./openapi.ts";
import {
  EventsHeaders,
  HashParams,
  JobAccepted,
  JobEvent,
  JobIdParams,
  ExplainJson,
  JobJson,
  JobList,
  ListJobsQuery,
  PayloadRef,
  PreferHeader,
  SubmitJobBody,
} from "./schemas.ts";
import { askShard } from "./shard-calls.ts";

/** How long one events poll holds the commander; the stream polls again until the job ends. */
const EVENTS_POLL_MS = 20_000;

export const jobsApi = newApi();

/** Also the answer for another tenant's job (tenancy.ts): the same words, so existence does not leak. */
const unknownJob = (id: JobIdType) => new ApiError(404, "not_found", `no job ${id} (never submitted, or removed once its JOB_RETENTION ended)`);

/**
 * The client calling, as the job plane checks it. Every jobs route authenticates a client token
 * (auth.ts); one that did not would see no job and submit none (fails closed).
 */
function viewerOf(principal: Principal | undefined): Viewer {
  if (!principal) throw new ApiError(401, "unauthorized", "this route needs a client token: send Authorization: Bearer <token>");
  return { kind: principal.scopes.has("admin") ? "admin" : "tenant", name: principal.name };
}

/** Asks the shard that holds the job's tree. */
const askJobShard = <T>(env: Env, id: JobIdType, call: (commander: JobPlane) => Promise<T>): Promise<T> =>
  askShard(env, shardOfJob(id, parseShardConfig(env).shards), call);

// ---- submit ---------------------------------------------------------------------------------

/** A job may declare its input's schema; checking it here refuses bad input before it reaches the log. */
export async function checkInput(name: string, definition: { readonly input?: InputSchema<unknown> }, input: unknown): Promise<void> {
  const schema = definition.input;
  if (!schema) return;
  const { issues } = await schema["~standard"].validate(input);
  if (!issues?.length) return;
  const where = issues.map((issue) => `${formatPath("input", issue.path ?? [])}: ${issue.message}`);
  throw new ApiError(400, "invalid_input", `input does not match job "${name}"'s input schema: ${where.join("; ")}`);
}

const submitRoute = securedRoute(client("submit"), jsonBody("MAX_JOB_INPUT_BYTES"), {
  method: "post",
  path: "/v1/jobs",
  tags: ["jobs"],
  summary: "Submit a job",
  description: "With `Prefer: wait=N`, answers 200 with the whole job if it finishes within N seconds.",
  request: { headers: PreferHeader, body: { required: true, content: { "application/json": { schema: SubmitJobBody } } } },
  responses: {
    200: json(JobJson, "the job finished within the Prefer: wait time"),
    202: json(JobAccepted, "accepted (created: false when the idempotency key already named this job); Location names it"),
    ...errors(400, 404, 409, 413, 415, 429, 500, 503),
  },
}, limitSubmissions);

jobsApi.openapi(submitRoute, async (c) => {
  const body = c.req.valid("json");
  const registry = c.get("registry");
  // A name starts its latest version, "name@version" that one (docs/versions.md); the commander resolves it the same way.
  const definition = findJob(registry, body.job);
  if (!definition) {
    throw new ApiError(404, "unknown_job", `no job named "${body.job}" is deployed (deployed: ${[...registry.jobs.keys()].join(", ")})`);
  }
  await checkInput(body.job, definition, body.input);
  const payloads = payloadStore(c.env);
  const input = await sealJson(payloads, "input", body.input);
  const submittedBy = viewerOf(c.get("principal")).name;
  const id = body.idempotencyKey === undefined ? randomJobId() : await keyedJobId(submittedBy, body.idempotencyKey);
  const waitMs = preferredWaitMs(c.req.valid("header").prefer);
  const reply = await askJobShard(c.env, id, (commander) => commander.submitJob({ id, name: body.job, input, idempotencyKey: body.idempotencyKey, waitMs, submittedBy }));
  c.header("Location", `/v1/jobs/${id}`);
  if (waitMs !== undefined && reply.job.status !== "running") return c.json(await jobJson(reply.job, payloads), 200);
  return c.json({ id, status: reply.job.status, created: reply.created }, 202);
});

// ---- read, cancel ---------------------------------------------------------------------------

const getRoute = securedRoute(client("read"), NO_BODY, {
  method: "get",
  path: "/v1/jobs/{id}",
  tags: ["jobs"],
  summary: "A job: status, input and output, and every call with its placement history",
  description: "With `Prefer: wait=N`, answers once the job finishes or N seconds pass.",
  request: { params: JobIdParams, headers: PreferHeader },
  responses: { 200: json(JobJson, "the job"), ...errors(400, 404, 500, 503) },
});

jobsApi.openapi(getRoute, async (c) => {
  const { id } = c.req.valid("param");
  const viewer = viewerOf(c.get("principal"));
  const view = await askJobShard(c.env, id, (commander) => commander.getJob(id, viewer, preferredWaitMs(c.req.valid("header").prefer)));
  if (!view) throw unknownJob(id);
  return c.json(await jobJson(view, payloadStore(c.env)), 200);
});

const cancelRoute = securedRoute(client("submit"), NO_BODY, {
  method: "delete",
  path: "/v1/jobs/{id}",
  tags: ["jobs"],
  summary: "Cancel a job (and its running sub-jobs); a finished job is answered unchanged",
  request: { params: JobIdParams },
  responses: { 200: json(JobJson, "the job after cancelling"), ...errors(400, 404, 500, 503) },
});

jobsApi.openapi(cancelRoute, async (c) => {
  const { id } = c.req.valid("param");
  const viewer = viewerOf(c.get("principal"));
  const view = await askJobShard(c.env, id, (commander) => commander.cancelJob(id, viewer, "cancelled through DELETE /v1/jobs/{id}"));
  if (!view) throw unknownJob(id);
  return c.json(await jobJson(view, payloadStore(c.env)), 200);
});

const explainRoute = securedRoute(client("read"), NO_BODY, {
  method: "get",
  path: "/v1/jobs/{id}/explain",
  tags: ["jobs"],
  summary: "Why each call ran where it did: per attempt, every candidate node's predicted finish and the reason the winner won",
  request: { params: JobIdParams },
  responses: { 200: json(ExplainJson, "the placement decisions, from the log"), ...errors(400, 404, 500, 503) },
});

jobsApi.openapi(explainRoute, async (c) => {
  const { id } = c.req.valid("param");
  const viewer = viewerOf(c.get("principal"));
  const view = await askJobShard(c.env, id, (commander) => commander.getJob(id, viewer));
  if (!view) throw unknownJob(id);
  return c.json(explainJob(view), 200);
});

// ---- events ---------------------------------------------------------------------------------

const eventsRoute = securedRoute(client("read"), NO_BODY, {
  method: "get",
  path: "/v1/jobs/{id}/events",
  tags: ["jobs"],
  summary: "Follow a job's history as server-sent events",
  description:
    "One event per decision about the job (`event:` its type, `id:` its number, `data:` a JobEvent), then `event: end` with `{status}` " +
    "once the job is finished. Close the EventSource on `end`: it would otherwise reconnect and get `end` again.",
  request: { params: JobIdParams, headers: EventsHeaders },
  responses: {
    200: { description: "the event stream", content: { "text/event-stream": { schema: JobEvent } } },
    ...errors(400, 404, 500, 503),
  },
});

jobsApi.openapi(eventsRoute, async (c) => {
  const { id } = c.req.valid("param");
  let after = Number(c.req.valid("header")["last-event-id"] ?? 0);
  const viewer = viewerOf(c.get("principal"));
  const poll = (waitMs: number) => askJobShard(c.env, id, (commander) => commander.jobEvents(id, viewer, after, waitMs));
  // Unknown jobs get a JSON 404, which needs an answer before the stream starts.
  let reply = await poll(0);
  if (!reply) throw unknownJob(id);
  return streamSSE(
    c,
    async (stream) => {
      while (reply && !stream.aborted) {
        for (const event of reply.events) {
          await stream.writeSSE({ event: event.type, id: String(event.n), data: JSON.stringify(event) });
          after = event.n;
        }
        // A reply's events and status are read together: a finished job has no events after these.
        if (reply.status !== "running") {
          await stream.writeSSE({ event: "end", data: JSON.stringify({ status: reply.status }) });
          return;
        }
        // A comment line keeps proxies from closing a stream that is quiet for a while.
        if (reply.events.length === 0) await stream.write(": waiting\n\n");
        reply = await poll(EVENTS_POLL_MS);
      }
    },
    async (error, stream) => {
      const { code, message } = error instanceof ApiError ? error : { code: "internal", message: "internal error" };
      if (!(error instanceof ApiError)) requestLog(c).error("events stream failed", { job: id, error });
      await stream.writeSSE({ event: "error", data: JSON.stringify({ error: { code, message } }) });
    },
  );
});

// ---- list -----------------------------------------------------------------------------------

const listRoute = securedRoute(client("read"), NO_BODY, {
  method: "get",
  path: "/v1/jobs",
  tags: ["jobs"],
  summary: "Submitted jobs, newest first, across all shards (sub-jobs are listed in their job)",
  request: { query: ListJobsQuery },
  responses: { 200: json(JobList, "one page"), ...errors(400, 500, 503) },
});

jobsApi.openapi(listRoute, async (c) => {
  const { status, limit, cursor } = c.req.valid("query");
  const page = await listJobs(c.env, { viewer: viewerOf(c.get("principal")), status, limit, before: cursor === undefined ? undefined : decodeCursor(cursor) });
  return c.json(page, 200);
});

// ---- payloads -------------------------------------------------------------------------------

const payloadRoute = securedRoute(runnerOrClient("read"), NO_BODY, {
  method: "get",
  path: "/v1/payloads/{sha256}",
  tags: ["runners"],
  summary: "A large value's CBOR bytes, by the SHA-256 that a Payload's `r2` names",
  request: { params: HashParams },
  responses: {
    200: {
      description: "the bytes (immutable: the name is their hash)",
      content: { "application/cbor": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errors(400, 404),
  },
});

jobsApi.openapi(payloadRoute, async (c) => {
  const { sha256 } = c.req.valid("param");
  // Streamed from R2 as it is read: the Worker never holds the value.
  const object = await r2Blobs(c.env.PAYLOADS).getStream(payloadKey(sha256));
  if (!object) throw new ApiError(404, "not_found", `no payload with SHA-256 ${sha256}`);
  return new Response(object.body, {
    headers: {
      "content-type": "application/cbor",
      "content-length": String(object.size),
      // The name is the bytes' hash: a strong validator of its own.
      etag: `"${sha256}"`,
      "cache-control": "public, max-age=31536000, immutable",
    },
  });
});

const uploadRoute = securedRoute(runnerOrClient("submit"), streamedBody("MAX_PAYLOAD_BYTES", "sha256"), {
  method: "put",
  path: "/v1/payloads/{sha256}",
  tags: ["runners"],
  summary: "Store a large value's CBOR bytes under their SHA-256, streamed to R2 as they arrive",
  description:
    "The body is passed to R2 without being read, decoded or copied here; R2 stores it only if its bytes hash to the path's SHA-256 " +
    "(else 400 `digest_mismatch`, nothing stored). Content-Length is required, and checked against MAX_PAYLOAD_BYTES before a byte is read. " +
    "A runner signs the request with that SHA-256 as the body's hash. Then name it as `{ r2, bytes }` in a result (`outcome.value`).",
  request: { params: HashParams, body: { required: true, content: { "application/cbor": { schema: z.string().openapi({ format: "binary" }) } } } },
  responses: {
    200: json(PayloadRef, "already stored (the name is the hash of the bytes: the same bytes)"),
    201: json(PayloadRef, "stored"),
    ...errors(400, 411, 413),
  },
});

/** Reads a stream to its end, keeping nothing. */
async function drain(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  while (!(await reader.read()).done);
  reader.releaseLock();
}

jobsApi.openapi(uploadRoute, async (c) => {
  const { sha256 } = c.req.valid("param");
  const length = Number(c.req.header("content-length"));
  // streamedBody checked the Content-Length; a body of 0 bytes comes as none.
  const body = c.req.raw.body ?? new Blob([]).stream();
  const store = r2Blobs(c.env.PAYLOADS);
  const key = payloadKey(sha256);
  // Already stored: read the body to its end before answering. An answer sent while the client is
  // still sending can reach it as a reset connection (through wrangler dev's proxy, as a 503); the
  // bytes are not kept (putStream below finds the blob and checks only its size). One HEAD more per
  // upload, measured cheaper than passing the body through a JS stream that drains on cancel
  // (20 MB: 1,286 against 950 ms locally, bench:payload).
  if (await store.has(key)) await drain(body);
  try {
    const created = await store.putStream(key, body, length, sha256);
    return c.json({ r2: sha256, bytes: length }, created ? 201 : 200);
  } catch (error) {
    if (errorCode(error) === "digest-mismatch") throw new ApiError(400, "digest_mismatch", errorReason(error));
    throw error;
  }
});

jobsApi.route("/", nodesApi);
serveDocument(jobsApi);
