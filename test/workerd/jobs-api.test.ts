import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectError } from "../shared/api-errors.ts";
import { bearer, signedIfRunnerRoute } from "../shared/tokens.ts";
import { z } from "zod";
import { encode } from "../../core/codec.ts";
import { inlinePayload, payloadKey, toBase64 } from "../../core/jobs/payload.ts";
import { MAX_RESULTS_PER_BATCH } from "../../core/jobs/protocol.ts";
import { runLocally } from "../../core/sdk/local.ts";
import { registry } from "../shared/registry.ts";
import { sha256Hex } from "../../runtime/jobs/payload-store.ts";
import { app } from "../shared/app.ts";
import { checkInput } from "../../workers/jobs-api.ts";
import { ApiError } from "../../workers/http.ts";
import { keyedJobId, randomJobId } from "../../workers/job-ids.ts";
import { payloadStore, toJson } from "../../workers/json-values.ts";
import { jobJson } from "../../workers/job-views.ts";
import { JobsState } from "../../core/jobs/state.ts";

/** A request as the admin test client sends it (its headers may replace the token, or remove it with authorization: ""). */
const call = (path: string, init?: RequestInit) => {
  const headers = new Headers(init?.headers);
  if (!headers.has("authorization")) headers.set("authorization", bearer().authorization);
  else if (headers.get("authorization") === "") headers.delete("authorization");
  return signedIfRunnerRoute(new Request(`http://paxflow.test${path}`, { ...init, headers })).then((r) => exports.default.fetch(r));
};
const send = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, { method, headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
const post = (path: string, body: unknown, headers?: Record<string, string>) => send("POST", path, body, headers);


const UNKNOWN_JOB = "j-000000000000000000000000";
/** Unknown too, and in the other shard of two (workers/job-ids.ts shardOfJob). */
const OTHER_SHARD_UNKNOWN_JOB = "j-000000000000000000000001";
const wordCountInput = { text: "the quick brown fox jumps over the lazy dog and the dog sleeps", chunkChars: 16 };
const runner = {
  id: "test-runner-1",
  url: "http://127.0.0.1:9",
  // No cpu: the examples' stages never get placed on this runner, which does not exist.
  caps: ["gpu", "f16"],
  speed: { cpu: 1, simd: 4 },
  slots: 2,
  latencyMs: 5,
  bandwidthMBps: 100,
};

describe("jobs API: bad input", () => {
  it("POST /v1/jobs names the field at fault", async () => {
    await expectError(await post("/v1/jobs", { input: 1 }), 400, "missing_field", "job");
    await expectError(await post("/v1/jobs", { job: "word-count" }), 400, "missing_field", "input");
    await expectError(await post("/v1/jobs", { job: 7, input: 1 }), 400, "invalid_field", "job");
    await expectError(await post("/v1/jobs", { job: "word-count", input: 1, idempotencyKey: 5 }), 400, "invalid_field", "idempotencyKey");
    await expectError(await post("/v1/jobs", { job: "word-count", input: 1, idempotencyKey: "" }), 400, "invalid_field", "idempotencyKey");
    await expectError(
      await post("/v1/jobs", { job: "word-count", input: 1, idempotencyKey: "k".repeat(201) }),
      400,
      "invalid_field",
      "idempotencyKey",
    );
    await expectError(await post("/v1/jobs", { job: "word-count", input: 1, idempotency_key: "k" }), 400, "invalid_field", "idempotency_key");
    await expectError(await post("/v1/jobs", "{not json"), 400, "invalid_json", "JSON");
    await expectError(await post("/v1/jobs", [1]), 400, "invalid_body", "request body");
    await expectError(await post("/v1/jobs", { job: "no-such-job", input: 1 }), 404, "unknown_job", '"no-such-job"', "word-count");
    // JSON can say what the codec refuses: never a 500.
    await expectError(await post("/v1/jobs", '{"job": "word-count", "input": {"__proto__": {"x": 1}}}'), 400, "invalid_field", "input", "__proto__");
  });

  it("POST /v1/jobs refuses bodies that are not JSON, or too large", async () => {
    const form = await call("/v1/jobs", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "job=word-count" });
    await expectError(form, 415, "unsupported_media_type", "application/json");
    const limit = 1 << 20; // the default: the test bindings do not set MAX_JOB_INPUT_BYTES
    await expectError(
      await post("/v1/jobs", { job: "word-count", input: "x".repeat(limit) }),
      413,
      "payload_too_large",
      `${limit} bytes`,
      "MAX_JOB_INPUT_BYTES",
    );
    const small = await app.fetch(
      new Request("http://paxflow.test/v1/jobs", {
        method: "POST",
        headers: { "content-type": "application/json", ...bearer() },
        body: JSON.stringify({ job: "x", input: "y".repeat(200) }),
      }),
      { ...env, MAX_JOB_INPUT_BYTES: "100" },
    );
    await expectError(small, 413, "payload_too_large", "100 bytes", "MAX_JOB_INPUT_BYTES");
  });

  it("checks a job's Standard Schema input, naming the paths", async () => {
    // Job definitions are frozen callables; what checkInput reads of one is its `input` schema.
    const job = { input: z.object({ text: z.string(), chunkChars: z.number().int().positive() }) };
    await expect(checkInput("schema-probe", job, { text: "a", chunkChars: 2 })).resolves.toBeUndefined();
    const refused = await checkInput("schema-probe", job, { text: 3, chunkChars: -1 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 400, code: "invalid_input" });
    expect((refused as Error).message).toContain("input.text");
    expect((refused as Error).message).toContain("input.chunkChars");
    // A job without a schema takes any input.
    await expect(checkInput("word-count", registry.jobs.get("word-count@1")!, 42)).resolves.toBeUndefined();
    // A deployed job's schema, through the API: refused before anything reaches the log.
    const response = await post("/v1/jobs", { job: "shapes/chain", input: { seed: -1, extra: true } });
    await expectError(response, 400, "invalid_input", "input.seed");
  });

  it("validates job ids, list parameters and event stream headers", async () => {
    await expectError(await call("/v1/jobs/not-a-job"), 400, "invalid_field", "path parameter id");
    await expectError(await call("/v1/jobs/j-ABC"), 400, "invalid_field", "id");
    await expectError(await call("/v1/jobs/not-a-job", { method: "DELETE" }), 400, "invalid_field", "id");
    await expectError(await call("/v1/jobs/not-a-job/events"), 400, "invalid_field", "id");
    await expectError(await call(`/v1/jobs/${UNKNOWN_JOB}/events`, { headers: { "last-event-id": "abc" } }), 400, "invalid_field", "last-event-id");
    await expectError(await call("/v1/jobs?status=sleeping"), 400, "invalid_field", "query parameter status");
    await expectError(await call("/v1/jobs?limit=0"), 400, "invalid_field", "limit");
    await expectError(await call("/v1/jobs?limit=501"), 400, "invalid_field", "limit");
    await expectError(await call("/v1/jobs?limit=ten"), 400, "invalid_field", "limit");
    await expectError(await call("/v1/jobs?cursor=garbage"), 400, "invalid_field", "cursor");
    await expectError(await call(`/v1/jobs?cursor=${btoa(JSON.stringify({ acceptedAt: "x", id: UNKNOWN_JOB }))}`), 400, "invalid_field", "cursor");
  });

  it("POST /v1/nodes checks every field of a registration", async () => {
    await expectError(await post("/v1/nodes", { ...runner, caps: ["tpu"] }), 400, "invalid_field", "caps[0]", "cpu");
    await expectError(await post("/v1/nodes", { ...runner, caps: [] }), 400, "invalid_field", "caps");
    await expectError(await post("/v1/nodes", { ...runner, url: "ftp://example.test/" }), 400, "invalid_field", "url");
    await expectError(await post("/v1/nodes", { ...runner, url: "not a url" }), 400, "invalid_field", "url");
    await expectError(await post("/v1/nodes", { ...runner, url: "http://127.0.0.1:9/runner" }), 400, "invalid_field", "url", 'a path "/runner"');
    await expectError(await post("/v1/nodes", { ...runner, url: "http://10.1.1.1:9" }), 400, "runner_url_refused", "url: 10.1.1.1 is a private address", "RUNNER_ALLOW");
    await expectError(await post("/v1/nodes", { ...runner, speed: { cpu: 0 } }), 400, "invalid_field", "speed.cpu");
    await expectError(await post("/v1/nodes", { ...runner, speed: { cpu: 1, stages: { "a@1": -2 } } }), 400, "invalid_field", "speed.stages.a@1");
    await expectError(await post("/v1/nodes", { ...runner, slots: 1.5 }), 400, "invalid_field", "slots");
    await expectError(await post("/v1/nodes", { ...runner, slots: 0 }), 400, "invalid_field", "slots");
    await expectError(await post("/v1/nodes", { ...runner, id: "inline" }), 400, "invalid_field", "id", "built-in");
    await expectError(await post("/v1/nodes", { ...runner, id: "bad id!" }), 400, "invalid_field", "id");
    const { url: _url, ...withoutUrl } = runner;
    await expectError(await post("/v1/nodes", withoutUrl), 400, "missing_field", "url");
  });

  it("heartbeats and results name what is wrong", async () => {
    await expectError(await post("/v1/nodes/bad id/heartbeat", { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }), 400, "invalid_field", "id");
    await expectError(await post("/v1/nodes/r1/heartbeat", { queue: -1, inFlight: 0, bytesIn: 0, bytesOut: 0 }), 400, "invalid_field", "queue");
    await expectError(await post("/v1/nodes/r1/heartbeat", { queue: 0, inFlight: 0, bytesIn: 0 }), 400, "missing_field", "bytesOut");
    const report = { job: UNKNOWN_JOB, seq: 0, attempt: 1, outcome: { ok: true, value: toBase64(encode([1, 2, 3])) }, startedAt: 1, finishedAt: 2 };
    await expectError(
      await post("/v1/nodes/r1/results", { ...report, outcome: { ok: true, value: "not base64!" } }),
      400,
      "invalid_field",
      "outcome.value",
    );
    // Valid base64, but the bytes are not CBOR of a value (a truncated array).
    await expectError(
      await post("/v1/nodes/r1/results", { ...report, outcome: { ok: true, value: toBase64(new Uint8Array([0x83, 0x01])) } }),
      400,
      "invalid_field",
      "outcome.value",
    );
    // CBOR, but a Date (tag 1) is not a paxflow value.
    await expectError(
      await post("/v1/nodes/r1/results", { ...report, outcome: { ok: true, value: toBase64(new Uint8Array([0xc1, 0x1a, 0, 0, 0, 1])) } }),
      400,
      "invalid_field",
      "outcome.value",
    );
    await expectError(await post("/v1/nodes/r1/results", { ...report, job: "j-1" }), 400, "invalid_field", "job");
    await expectError(await post("/v1/nodes/r1/results", { ...report, attempt: 0 }), 400, "invalid_field", "attempt");
    await expectError(await post("/v1/nodes/r1/results", { ...report, outcome: { ok: false } }), 400, "missing_field", "outcome.error");
    // A batch names the result at fault by its place.
    await expectError(await post("/v1/nodes/r1/results/batch", { results: [] }), 400, "invalid_field", "results");
    await expectError(await post("/v1/nodes/r1/results/batch", [report]), 400, "invalid_body");
    await expectError(await post("/v1/nodes/r1/results/batch", { results: [report, { ...report, attempt: 0 }] }), 400, "invalid_field", "results[1].attempt");
    await expectError(
      await post("/v1/nodes/r1/results/batch", { results: [report, { ...report, outcome: { ok: true, value: "not base64!" } }] }),
      400,
      "invalid_field",
      "results[1].outcome.value",
    );
    await expectError(await post("/v1/nodes/r1/results/batch", { results: Array.from({ length: MAX_RESULTS_PER_BATCH + 1 }, () => report) }), 400, "invalid_field", "results");
    const big = await app.fetch(
      await signedIfRunnerRoute(
        new Request("http://paxflow.test/v1/nodes/r1/results", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(report),
        }),
      ),
      { ...env, MAX_RESULT_BYTES: "64" },
    );
    await expectError(big, 413, "payload_too_large", "64 bytes", "MAX_RESULT_BYTES");
  });

  it("GET /v1/payloads/:sha256 serves stored bytes and refuses bad or unknown hashes", async () => {
    await expectError(await call("/v1/payloads/xyz"), 400, "invalid_field", "sha256");
    await expectError(await call(`/v1/payloads/${"A".repeat(64)}`), 400, "invalid_field", "sha256");
    await expectError(await call(`/v1/payloads/${"0".repeat(64)}`), 404, "not_found", "0".repeat(64));
    const bytes = encode({ stored: "directly", n: [1, 2, 3] });
    const hash = await sha256Hex(bytes);
    await env.PAYLOADS.put(payloadKey(hash), bytes);
    const response = await call(`/v1/payloads/${hash}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/cbor");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array(bytes));
  });

  it("answers 404 as JSON for unknown routes and methods", async () => {
    await expectError(await send("PUT", "/v1/jobs", {}), 404, "not_found", "PUT /v1/jobs");
    await expectError(await send("PATCH", "/v1/nodes", {}), 404, "not_found", "PATCH /v1/nodes");
    await expectError(await call("/v1/jobs/j-000000000000000000000000/calls"), 404, "not_found");
    await expectError(await call("/v1/payloads"), 404, "not_found");
  });
});

describe("jobs API: documents and helpers", () => {
  it("GET /v1/openapi.json describes every route, the command plane's too", async () => {
    const response = await call("/v1/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/v1/cluster",
        "/v1/commands",
        "/v1/jobs",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/events",
        "/v1/jobs/{id}/explain",
        "/v1/nodes",
        "/v1/nodes/{id}",
        "/v1/nodes/{id}/heartbeat",
        "/v1/nodes/{id}/results",
        "/v1/nodes/{id}/results/batch",
        "/v1/payloads/{sha256}",
      ].sort(),
    );
    expect(Object.keys(doc.paths["/v1/jobs"]!).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/v1/jobs/{id}"]!).sort()).toEqual(["delete", "get"]);
    expect(Object.keys(doc.paths["/v1/nodes/{id}"]!)).toEqual(["delete"]);
    for (const schema of ["Error", "SubmitJob", "Job", "Call", "JobSummary", "RegisterNode", "Node", "ResultReport", "Command", "Cluster"]) {
      expect(doc.components.schemas, schema).toHaveProperty(schema);
    }
  });

  it("gives the same id for the same submitter and idempotency key, and random ids otherwise", async () => {
    const a = await keyedJobId("alice", "order-17");
    expect(a).toMatch(/^j-[0-9a-f]{24}$/);
    expect(await keyedJobId("alice", "order-17")).toBe(a);
    expect(await keyedJobId("alice", "order-18")).not.toBe(a);
    expect(await keyedJobId("bob", "order-17")).not.toBe(a);
    // The pair is hashed unambiguously: moving characters between name and key gives another id.
    expect(await keyedJobId("alice-", "order-17")).not.toBe(await keyedJobId("alice", "-order-17"));
    expect(a).toBe(`j-${(await sha256Hex(new TextEncoder().encode('["alice","order-17"]'))).slice(0, 24)}`);
    expect(randomJobId()).toMatch(/^j-[0-9a-f]{24}$/);
    expect(randomJobId()).not.toBe(randomJobId());
  });

  it("shows typed arrays as plain arrays, 64-bit ones as strings", () => {
    expect(
      toJson({
        f: new Float32Array([0.5, 1.5]),
        u: new Uint8Array([1, 255]),
        big: new BigInt64Array([2n ** 62n, -1n]),
        nested: [{ x: new Int16Array([-3]) }],
        odd: [Number.NaN, Number.POSITIVE_INFINITY, -0],
      }),
    ).toEqual({ f: [0.5, 1.5], u: [1, 255], big: ["4611686018427387904", "-1"], nested: [{ x: [-3] }], odd: [null, null, -0] });
  });
});

// ---- through the commanders -----------------------------------------------------------------

interface JobBody {
  id: string;
  status: string;
  output?: unknown;
  input: unknown;
  inputBytes: number;
  shard: number;
  durationMs?: number;
  calls: { seq: number; kind: string; status: string; attemptCount: number; attempts: { node: string; reason: string }[]; inputBytes: number }[];
}

async function pollUntilFinished(id: string): Promise<JobBody> {
  for (let i = 0; i < 200; i++) {
    const job = (await (await call(`/v1/jobs/${id}`)).json()) as JobBody;
    if (job.status !== "running") return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} still running`);
}

const localOutput = (input: typeof wordCountInput) => {
  const local = runLocally(registry, "word-count", input);
  if (local.status !== "done") throw new Error(`runLocally failed: ${JSON.stringify(local)}`);
  return local.output;
};

describe("jobs API: through the commanders", () => {
  it("runs word-count to runLocally's answer, and shows its calls", async () => {
    const submitted = await post("/v1/jobs", { job: "word-count", input: wordCountInput });
    expect(submitted.status, await submitted.clone().text()).toBe(202);
    const { id, status, created } = (await submitted.json()) as { id: string; status: string; created: boolean };
    expect(id).toMatch(/^j-[0-9a-f]{24}$/);
    expect(submitted.headers.get("location")).toBe(`/v1/jobs/${id}`);
    expect(created).toBe(true);
    expect(["running", "done"]).toContain(status);
    const job = await pollUntilFinished(id);
    expect(job.status).toBe("done");
    expect(job.output).toEqual(localOutput(wordCountInput));
    expect(job.input).toEqual(wordCountInput);
    expect(job.durationMs).toBeGreaterThanOrEqual(0);
    expect(job.calls.length).toBeGreaterThan(1);
    for (const c of job.calls) {
      expect(c).toMatchObject({ kind: "stage", status: "done" });
      expect(c.attemptCount).toBe(c.attempts.length);
      expect(c.attemptCount).toBeGreaterThanOrEqual(1);
      expect(c.inputBytes).toBeGreaterThan(0);
    }
  });

  it("explains every placement: candidates with predicted finishes, the winner and the logged reason", async () => {
    const response = await post("/v1/jobs", { job: "shapes/fanout", input: { seed: 3 } }, { prefer: "wait=10" });
    const { id } = (await response.json()) as { id: string };
    const explained = await call(`/v1/jobs/${id}/explain`);
    expect(explained.status).toBe(200);
    const body = (await explained.json()) as {
      id: string;
      calls: { target: string; attempts: { node: string; reason: string; candidates: { node: string; chosen: boolean; predictedFinishMs: number }[] }[] }[];
    };
    expect(body.id).toBe(id);
    expect(body.calls).toHaveLength(8);
    for (const c of body.calls) {
      const [attempt] = c.attempts;
      const chosen = attempt!.candidates.filter((k) => k.chosen);
      expect(chosen.map((k) => k.node)).toEqual([attempt!.node]);
      expect(chosen[0]!.predictedFinishMs).toBe(Math.min(...attempt!.candidates.map((k) => k.predictedFinishMs)));
      expect(attempt!.reason.length).toBeGreaterThan(0);
    }
    const job = (await (await call(`/v1/jobs/${id}`)).json()) as JobBody;
    // The same reason as the log entry's.
    expect(body.calls.map((c) => c.attempts[0]!.reason)).toEqual(job.calls.map((c) => c.attempts[0]!.reason));
    await expectError(await call("/v1/jobs/j-000000000000000000000000/explain"), 404, "not_found");
  });

  it("answers 200 with the finished job under Prefer: wait", async () => {
    const response = await post("/v1/jobs", { job: "word-count", input: { text: "a b a", chunkChars: 2 } }, { prefer: "wait=10" });
    expect(response.status, await response.clone().text()).toBe(200);
    const job = (await response.json()) as JobBody;
    expect(job.status).toBe("done");
    expect(job.output).toEqual({ a: 2, b: 1 });
  });

  it("starts a job by name (its latest version) or by name@version, and names the version it runs", async () => {
    const byRef = await post("/v1/jobs", { job: "word-count@1", input: { text: "a b a", chunkChars: 2 } }, { prefer: "wait=10" });
    expect(byRef.status, await byRef.clone().text()).toBe(200);
    expect(await byRef.json()).toMatchObject({ name: "word-count", version: 1, status: "done", output: { a: 2, b: 1 } });
    await expectError(await post("/v1/jobs", { job: "word-count@9", input: 1 }), 404, "unknown_job", '"word-count@9"', "word-count@1");
  });

  it("keeps one job per idempotency key, and refuses the key for other input", async () => {
    const body = { job: "word-count", input: { text: "same key", chunkChars: 4 }, idempotencyKey: "jobs-api-test-key" };
    const first = (await (await post("/v1/jobs", body)).json()) as { id: string; created: boolean };
    expect(first.id).toBe(await keyedJobId("admin", "jobs-api-test-key"));
    const again = (await (await post("/v1/jobs", body)).json()) as { id: string; created: boolean };
    expect(again).toMatchObject({ id: first.id, created: false });
    await expectError(await post("/v1/jobs", { ...body, input: { text: "other", chunkChars: 4 } }), 409, "idempotency_conflict", first.id);
  });

  it("keeps client command ids apart from decision ids: a command named like a job's acceptance does not swallow it", async () => {
    const key = "jobs-api-poison-key";
    const id = await keyedJobId("admin", key);
    // Same shard as the job (commands route by key), and the id of the job's acceptance decision.
    const poison = await post("/v1/commands", { key: id, id: `${id}/accepted`, data: { type: "job.finished", job: id } });
    expect(poison.status, await poison.clone().text()).toBe(200);
    expect(((await poison.json()) as { id: string }).id).toBe(`${id}/accepted`);
    const response = await post("/v1/jobs", { job: "word-count", input: { text: "b a b", chunkChars: 2 }, idempotencyKey: key }, { prefer: "wait=10" });
    expect(response.status, await response.clone().text()).toBe(200);
    expect((await response.json()) as JobBody).toMatchObject({ id, status: "done", output: { a: 1, b: 2 } });
  });

  it("answers 404 naming unknown jobs", async () => {
    await expectError(await call(`/v1/jobs/${UNKNOWN_JOB}`), 404, "not_found", UNKNOWN_JOB);
    await expectError(await call(`/v1/jobs/${UNKNOWN_JOB}`, { method: "DELETE" }), 404, "not_found", UNKNOWN_JOB);
    await expectError(await call(`/v1/jobs/${UNKNOWN_JOB}/events`), 404, "not_found", UNKNOWN_JOB);
  });

  it("streams a job's events and ends with its status", async () => {
    const { id } = (await (await post("/v1/jobs", { job: "word-count", input: wordCountInput })).json()) as { id: string };
    const response = await call(`/v1/jobs/${id}/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    const events = text
      .split("\n\n")
      .filter((block) => block.includes("data:"))
      .map((block) => Object.fromEntries(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)])));
    expect(events[0]).toMatchObject({ event: "job.accepted", id: "1" });
    expect(events.at(-2)).toMatchObject({ event: "job.finished" });
    expect(events.at(-1)).toMatchObject({ event: "end", data: JSON.stringify({ status: "done" }) });
    const ids = events.slice(0, -1).map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    // Resuming after the last event sends only the end.
    const resumed = await (await call(`/v1/jobs/${id}/events`, { headers: { "last-event-id": String(ids.at(-1)) } })).text();
    expect(resumed).not.toContain("job.accepted");
    expect(resumed).toContain("event: end");
  });

  it("cancels a job, and leaves a finished one unchanged", async () => {
    const { id } = (await (await post("/v1/jobs", { job: "word-count", input: { text: "x y", chunkChars: 1 } }, { prefer: "wait=10" })).json()) as {
      id: string;
    };
    const response = await call(`/v1/jobs/${id}`, { method: "DELETE" });
    expect(response.status).toBe(200);
    expect(((await response.json()) as JobBody).status).toBe("done");
  });

  it("lists jobs newest first, a page at a time, across shards", async () => {
    for (let i = 0; i < 3; i++) await post("/v1/jobs", { job: "word-count", input: { text: `list ${i}`, chunkChars: 8 } }, { prefer: "wait=10" });
    const all = (await (await call("/v1/jobs?limit=500")).json()) as { jobs: { id: string; acceptedAt: number; shard: number }[] };
    expect(all.jobs.length).toBeGreaterThanOrEqual(3);
    const times = all.jobs.map((j) => j.acceptedAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await (await call(`/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`)).json()) as { jobs: { id: string }[]; next?: string };
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(all.jobs.map((j) => j.id));
    const done = (await (await call("/v1/jobs?status=done")).json()) as { jobs: { status: string }[] };
    expect(done.jobs.every((j) => j.status === "done")).toBe(true);
  });

  it("keeps large inputs in R2 and serves them by hash", async () => {
    const input = { text: "lorem ipsum dolor sit amet ".repeat(1_000), chunkChars: 4_000 };
    const { id } = (await (await post("/v1/jobs", { job: "word-count", input })).json()) as { id: string };
    const job = await pollUntilFinished(id);
    expect(job.input).toEqual(input);
    expect(job.output).toEqual(localOutput(input));
    const bytes = encode(input);
    expect(job.inputBytes).toBe(bytes.length);
    const stored = await call(`/v1/payloads/${await sha256Hex(bytes)}`);
    expect(stored.status).toBe(200);
    expect(new Uint8Array(await stored.arrayBuffer())).toEqual(new Uint8Array(bytes));
  });

  it("registers a runner in every shard, hears its heartbeats and refuses results it was not asked for", async () => {
    const registered = await post("/v1/nodes", runner);
    expect(registered.status, await registered.clone().text()).toBe(201);
    expect(await registered.json()).toMatchObject({ spec: { ...runner, kind: "runner" }, status: "up" });
    const { nodes } = (await (await call("/v1/nodes")).json()) as { nodes: { spec: { id: string } }[] };
    expect(nodes.map((n) => n.spec.id)).toContain(runner.id);
    expect(new Set(nodes.map((n) => n.spec.id)).size).toBe(nodes.length);

    const load = { queue: 0, inFlight: 0, bytesIn: 10, bytesOut: 20 };
    const beat = await post(`/v1/nodes/${runner.id}/heartbeat`, load);
    expect(beat.status).toBe(200);
    expect(await beat.json()).toEqual({ status: "up", heartbeatMs: 1_000 });
    await expectError(await post("/v1/nodes/nobody/heartbeat", load), 404, "not_found", "nobody");

    const result = await post(`/v1/nodes/${runner.id}/results`, {
      job: UNKNOWN_JOB,
      seq: 0,
      attempt: 1,
      outcome: { ok: true, value: toBase64(encode({ n: 1 })) },
      startedAt: 1,
      finishedAt: 2,
    });
    expect(result.status).toBe(202);
    expect(await result.json()).toMatchObject({ accepted: false, reason: expect.any(String) });

    // A batch is answered result by result, in order, whichever shards its jobs live in.
    const reports = [UNKNOWN_JOB, OTHER_SHARD_UNKNOWN_JOB].map((job) => ({ job, seq: 0, attempt: 1, outcome: { ok: false, error: { name: "E", message: "m" } }, startedAt: 1, finishedAt: 2 }));
    const batch = await post(`/v1/nodes/${runner.id}/results/batch`, { results: reports });
    expect(batch.status, await batch.clone().text()).toBe(202);
    expect(await batch.json()).toEqual({
      results: [
        { accepted: false, reason: `unknown job ${UNKNOWN_JOB}` },
        { accepted: false, reason: `unknown job ${OTHER_SHARD_UNKNOWN_JOB}` },
      ],
    });
  });
});

describe("jobs API: tenants", () => {
  /** A request as `who` (test/shared/test-secrets.ts: alice and bob have submit and read, reader only read). */
  const as =
    (who: "alice" | "bob" | "reader" | "admin") =>
    (path: string, init: RequestInit = {}) =>
      call(path, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), ...bearer(who) } });
  const submitAs = (who: "alice" | "bob", body: unknown) =>
    as(who)("/v1/jobs", { method: "POST", headers: { "content-type": "application/json", prefer: "wait=10" }, body: JSON.stringify(body) });
  const errorOf = async (response: Response) => ({ status: response.status, body: (await response.json()) as { error: { code: string; message: string } } });

  it("names two jobs for one idempotency key from two tenants: no 409, and neither learns of the other", async () => {
    const key = "tenants-shared-key";
    const alice = await submitAs("alice", { job: "word-count", input: { text: "a a b", chunkChars: 2 }, idempotencyKey: key });
    expect(alice.status, await alice.clone().text()).toBe(200);
    const aliceJob = (await alice.json()) as JobBody & { submittedBy: string };
    expect(aliceJob).toMatchObject({ id: await keyedJobId("alice", key), submittedBy: "alice", output: { a: 2, b: 1 } });
    // The same key, another input: for bob a new job, not a conflict with alice's.
    const bob = await submitAs("bob", { job: "word-count", input: { text: "c", chunkChars: 2 }, idempotencyKey: key });
    expect(bob.status, await bob.clone().text()).toBe(200);
    const bobJob = (await bob.json()) as JobBody & { submittedBy: string };
    expect(bobJob).toMatchObject({ id: await keyedJobId("bob", key), submittedBy: "bob", output: { c: 1 } });
    expect(bobJob.id).not.toBe(aliceJob.id);
    // Each tenant's retry finds its own job; a tenant's own key with other input is still a conflict.
    const again = await as("bob")("/v1/jobs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ job: "word-count", input: { text: "c", chunkChars: 2 }, idempotencyKey: key }) });
    expect(await again.json()).toMatchObject({ id: bobJob.id, created: false });
    await expectError(await submitAs("alice", { job: "word-count", input: { text: "c", chunkChars: 2 }, idempotencyKey: key }), 409, "idempotency_conflict", aliceJob.id);
  });

  it("answers another tenant's job, and its sub-jobs, exactly as a job that does not exist", async () => {
    const submitted = await submitAs("alice", { job: "shapes/nested", input: { seed: 9 } });
    const job = (await submitted.json()) as JobBody & { calls: { child?: string }[] };
    expect(job.status).toBe("done");
    const child = job.calls[0]!.child!;
    for (const id of [job.id, child]) {
      const unknown = id.replace(/^j-[0-9a-f]{24}/, UNKNOWN_JOB);
      for (const [path, method] of [[`/v1/jobs/${id}`, "GET"], [`/v1/jobs/${id}/explain`, "GET"], [`/v1/jobs/${id}/events`, "GET"], [`/v1/jobs/${id}`, "DELETE"]] as const) {
        // What bob gets for alice's job is what he gets for an id nobody submitted, but for the id.
        const theirs = await errorOf(await as("bob")(path, { method }));
        const nobodys = await errorOf(await as("bob")(path.replace(id, unknown), { method }));
        expect(theirs.status, `${method} ${path}`).toBe(404);
        expect({ ...theirs, body: JSON.parse(JSON.stringify(theirs.body).replaceAll(id, unknown)) }).toEqual(nobodys);
      }
      // A token with read but not the job's: the same.
      await expectError(await as("reader")(`/v1/jobs/${id}`), 404, "not_found", id);
      const own = await as("alice")(`/v1/jobs/${id}`);
      expect(own.status).toBe(200);
      expect(((await own.json()) as { submittedBy: string }).submittedBy).toBe("alice");
      expect((await as("admin")(`/v1/jobs/${id}`)).status).toBe(200);
    }
    // bob's DELETE changed nothing.
    expect(((await (await as("alice")(`/v1/jobs/${job.id}`)).json()) as { status: string; cancelledBy?: unknown }).cancelledBy).toBeUndefined();
  });

  it("lists each tenant only its own jobs; admins see every tenant's", async () => {
    const alice = (await (await submitAs("alice", { job: "shapes/chain", input: { seed: 21 } })).json()) as JobBody;
    const bob = (await (await submitAs("bob", { job: "shapes/chain", input: { seed: 22 } })).json()) as JobBody;
    const listed = async (who: "alice" | "bob" | "reader" | "admin") => ((await (await as(who)("/v1/jobs?limit=500")).json()) as { jobs: { id: string }[] }).jobs.map((j) => j.id);
    expect(await listed("alice")).toContain(alice.id);
    expect(await listed("alice")).not.toContain(bob.id);
    expect(await listed("bob")).toContain(bob.id);
    expect(await listed("bob")).not.toContain(alice.id);
    expect(await listed("reader")).toEqual([]);
    expect(await listed("admin")).toEqual(expect.arrayContaining([alice.id, bob.id]));
    // Every job alice is shown is one she can read.
    for (const id of await listed("alice")) expect((await as("alice")(`/v1/jobs/${id}`)).status).toBe(200);
  });
});

describe("jobs API: sub-job depth", () => {
  it("runs sub-jobs MAX_JOB_DEPTH (64) deep, and fails a tree that goes deeper, naming the chain", async () => {
    const deepest = await post("/v1/jobs", { job: "shapes/recurse", input: { depth: 64, loop: false } }, { prefer: "wait=60" });
    expect(deepest.status, await deepest.clone().text()).toBe(200);
    expect(await deepest.json()).toMatchObject({ status: "done", output: 64 });
    const tooDeep = await post("/v1/jobs", { job: "shapes/recurse", input: { depth: 65, loop: false } }, { prefer: "wait=60" });
    expect(tooDeep.status, await tooDeep.clone().text()).toBe(200);
    const job = (await tooDeep.json()) as JobBody & { error: { kind: string; name: string; message: string } };
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ kind: "too-deep", name: "JobTooDeep" });
    expect(job.error.message).toBe(
      "sub-job depth 65 exceeds MAX_JOB_DEPTH 64: shapes/recurse@1 -> shapes/recurse@1 -> shapes/recurse@1 -> ... 60 more ... -> shapes/recurse@1 -> shapes/recurse@1 -> shapes/recurse@1",
    );
  });
});

describe("jobs API: verification", () => {
  it("GET /v1/cluster states the verification policy, and warns when it is off", async () => {
    const on = (await (await call("/v1/cluster")).json()) as { verification: { newNodeCalls: number; fraction: number; warning?: string } };
    expect(on.verification).toEqual({ newNodeCalls: 10, fraction: 0 });
    const off = await app.fetch(new Request("http://paxflow.test/v1/cluster", { headers: bearer() }), { ...env, VERIFY_NEW_NODE_CALLS: "0" });
    const view = (await off.json()) as typeof on;
    expect(view.verification).toMatchObject({ newNodeCalls: 0, fraction: 0, warning: expect.stringContaining("verification is off") });
  });

  it("says of every call whether two nodes agreed on its result", async () => {
    const job = (await (await post("/v1/jobs", { job: "shapes/chain", input: { seed: 5 } }, { prefer: "wait=10" })).json()) as JobBody & { calls: { verified: unknown }[] };
    // Inline calls are the plane's own: nothing to verify.
    for (const c of job.calls) expect(c.verified).toBe(false);
    // A call two runners agreed on (and a third contradicted), as the log leaves it: the view names them.
    const state = new JobsState();
    const payload = inlinePayload(encode(1));
    const runnerSpec = (id: string) => ({ ...runner, id, kind: "runner" as const, caps: ["cpu" as const] });
    for (const id of ["a", "b", "c"]) state.apply({ type: "node.registered", node: runnerSpec(id), at: 0 });
    state.apply({ type: "job.accepted", job: "j-v", name: "shapes/spin", input: payload, at: 1, submittedBy: "admin" });
    for (const [attempt, node, value] of [[1, "a", 1], [2, "b", 2], [3, "c", 1]] as const) {
      const predicted = { node, finishAt: 2, waitMs: 0, transferMs: 0, runMs: 1 };
      state.apply({ type: "call.dispatched", job: "j-v", seq: 0, attempt, stage: "shapes/spin@1", input: payload, node, at: 2, predicted, alternatives: [], reason: "test", by: "c", ...(attempt === 1 ? { verify: "sampled" } : {}) });
      state.apply({ type: "call.result", job: "j-v", seq: 0, attempt, node, outcome: { ok: true, value: inlinePayload(encode(value)) }, startedAt: 3, finishedAt: 4, at: 5 });
    }
    const { events: _events, ...record } = state.job("j-v")!;
    const view = await jobJson({ ...record, shard: 0 }, payloadStore(env));
    expect(view.calls[0]).toMatchObject({ verify: "sampled", verified: { by: ["a", "c"], dissenters: ["b"] } });
    expect(view.calls[0]).not.toHaveProperty("verifiedBy");
  });
});
