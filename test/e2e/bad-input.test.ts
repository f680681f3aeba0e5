/**
 * Bad input on every endpoint, over HTTP against the real local cluster: always a 4xx with the
 * API's JSON error ({"error": {"code", "message"}}), never a 5xx. The workerd-level API tests
 * (test/workerd) cover each case in detail; this table checks the deployed shape end to end.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { isRunnerRoute, nodeIdOf } from "../shared/tokens.ts";
import { eventually, finished, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

const local = useLocalCluster();

const JSON_TYPE = { "content-type": "application/json" };
const UNKNOWN_JOB = "j-000000000000000000000000";
const SHA = "0".repeat(64);
const LOAD = { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
const NODE = { id: "bad-input-node", url: "http://127.0.0.1:9", caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 };

interface Case {
  readonly method: string;
  readonly path: string;
  /** A string is sent as is (with the headers given); anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: string;
}

/** Filled in once a job exists (its id is needed for idempotency and results cases). */
let jobId = "";

const cases = (): [string, Case][] => [
  // routing
  ["unknown route", { method: "GET", path: "/v1/nope", status: 404, code: "not_found" }],
  ["unknown method on a route", { method: "PUT", path: "/v1/jobs", body: {}, status: 404, code: "not_found" }],
  // authentication (api() sends the cluster's admin token unless these headers replace it)
  ["auth: empty Authorization header", { method: "GET", path: "/v1/jobs", headers: { authorization: "" }, status: 401, code: "unauthorized" }],
  ["auth: unknown token", { method: "POST", path: "/v1/jobs", body: { job: "shapes/chain", input: { seed: 1 } }, headers: { authorization: "Bearer not-a-token-of-this-cluster-xxxx" }, status: 401, code: "unauthorized" }],
  // POST /v1/commands
  ["commands: not JSON", { method: "POST", path: "/v1/commands", body: "{nope", headers: JSON_TYPE, status: 400, code: "invalid_json" }],
  ["commands: an array", { method: "POST", path: "/v1/commands", body: [1], status: 400, code: "invalid_body" }],
  ["commands: no key", { method: "POST", path: "/v1/commands", body: { data: 1 }, status: 400, code: "missing_field" }],
  ["commands: empty key", { method: "POST", path: "/v1/commands", body: { key: "" }, status: 400, code: "invalid_field" }],
  ["commands: too large", { method: "POST", path: "/v1/commands", body: { key: "k", data: "x".repeat(70_000) }, status: 413, code: "payload_too_large" }],
  // POST /v1/jobs
  ["jobs: not JSON", { method: "POST", path: "/v1/jobs", body: "{nope", headers: JSON_TYPE, status: 400, code: "invalid_json" }],
  ["jobs: not sent as JSON", { method: "POST", path: "/v1/jobs", body: '{"job":"shapes/chain","input":{}}', headers: { "content-type": "text/plain" }, status: 415, code: "unsupported_media_type" }],
  ["jobs: an array", { method: "POST", path: "/v1/jobs", body: [], status: 400, code: "invalid_body" }],
  ["jobs: no job", { method: "POST", path: "/v1/jobs", body: { input: {} }, status: 400, code: "missing_field" }],
  ["jobs: no input", { method: "POST", path: "/v1/jobs", body: { job: "shapes/chain" }, status: 400, code: "missing_field" }],
  ["jobs: unknown field", { method: "POST", path: "/v1/jobs", body: { job: "shapes/chain", input: {}, extra: 1 }, status: 400, code: "invalid_field" }],
  ["jobs: unknown job", { method: "POST", path: "/v1/jobs", body: { job: "no/such-job", input: {} }, status: 404, code: "unknown_job" }],
  ["jobs: too large", { method: "POST", path: "/v1/jobs", body: { job: "word-count", input: { text: "x".repeat(1_100_000), chunkChars: 10 } }, status: 413, code: "payload_too_large" }],
  [
    "jobs: idempotency key reused with another input",
    { method: "POST", path: "/v1/jobs", body: { job: "shapes/chain", input: { seed: 2 }, idempotencyKey: "bad-input-key" }, status: 409, code: "idempotency_conflict" },
  ],
  // GET /v1/jobs
  ["list: limit 0", { method: "GET", path: "/v1/jobs?limit=0", status: 400, code: "invalid_field" }],
  ["list: limit not a number", { method: "GET", path: "/v1/jobs?limit=many", status: 400, code: "invalid_field" }],
  ["list: unknown status", { method: "GET", path: "/v1/jobs?status=sleeping", status: 400, code: "invalid_field" }],
  ["list: cursor not from the API", { method: "GET", path: "/v1/jobs?cursor=bogus", status: 400, code: "invalid_field" }],
  // GET, DELETE /v1/jobs/:id and events
  ["job: malformed id", { method: "GET", path: "/v1/jobs/not-a-job-id", status: 400, code: "invalid_field" }],
  ["job: unknown id", { method: "GET", path: `/v1/jobs/${UNKNOWN_JOB}`, status: 404, code: "not_found" }],
  ["cancel: malformed id", { method: "DELETE", path: "/v1/jobs/j-XYZ", status: 400, code: "invalid_field" }],
  ["cancel: unknown id", { method: "DELETE", path: `/v1/jobs/${UNKNOWN_JOB}`, status: 404, code: "not_found" }],
  ["events: malformed id", { method: "GET", path: "/v1/jobs/nope/events", status: 400, code: "invalid_field" }],
  ["events: unknown id", { method: "GET", path: `/v1/jobs/${UNKNOWN_JOB}/events`, status: 404, code: "not_found" }],
  ["events: bad Last-Event-ID", { method: "GET", path: `/v1/jobs/${jobId}/events`, headers: { "last-event-id": "yesterday" }, status: 400, code: "invalid_field" }],
  // GET /v1/payloads/:sha256
  ["payload: not a SHA-256", { method: "GET", path: "/v1/payloads/abc", status: 400, code: "invalid_field" }],
  ["payload: unknown", { method: "GET", path: `/v1/payloads/${SHA}`, status: 404, code: "not_found" }],
  // POST /v1/nodes
  ["register: not JSON", { method: "POST", path: "/v1/nodes", body: "{nope", headers: JSON_TYPE, status: 400, code: "invalid_json" }],
  ["register: empty object", { method: "POST", path: "/v1/nodes", body: {}, status: 400, code: "missing_field" }],
  ["register: reserved id", { method: "POST", path: "/v1/nodes", body: { ...NODE, id: "inline" }, status: 400, code: "invalid_field" }],
  ["register: malformed id", { method: "POST", path: "/v1/nodes", body: { ...NODE, id: "-bad id" }, status: 400, code: "invalid_field" }],
  ["register: not an http URL", { method: "POST", path: "/v1/nodes", body: { ...NODE, url: "ftp://x" }, status: 400, code: "invalid_field" }],
  ["register: unknown capability", { method: "POST", path: "/v1/nodes", body: { ...NODE, caps: ["tpu"] }, status: 400, code: "invalid_field" }],
  ["register: zero slots", { method: "POST", path: "/v1/nodes", body: { ...NODE, slots: 0 }, status: 400, code: "invalid_field" }],
  ["register: negative speed", { method: "POST", path: "/v1/nodes", body: { ...NODE, speed: { cpu: -1 } }, status: 400, code: "invalid_field" }],
  // POST /v1/nodes/:id/heartbeat
  ["heartbeat: a runner signature that does not verify", { method: "POST", path: "/v1/nodes/no-such-node/heartbeat", body: LOAD, headers: { "x-paxflow-signature": "00".repeat(32) }, status: 401, code: "unauthorized" }],
  ["heartbeat: unknown node", { method: "POST", path: "/v1/nodes/no-such-node/heartbeat", body: LOAD, status: 404, code: "not_found" }],
  ["heartbeat: malformed node id", { method: "POST", path: "/v1/nodes/bad%20id/heartbeat", body: LOAD, status: 400, code: "invalid_field" }],
  ["heartbeat: a node id no runner can sign for", { method: "POST", path: "/v1/nodes/%20bad/heartbeat", body: LOAD, status: 401, code: "unauthorized" }],
  ["heartbeat: negative load", { method: "POST", path: "/v1/nodes/no-such-node/heartbeat", body: { ...LOAD, queue: -1 }, status: 400, code: "invalid_field" }],
  ["heartbeat: a probe that took no time", { method: "POST", path: "/v1/nodes/no-such-node/heartbeat", body: { ...LOAD, probeMs: 0 }, status: 400, code: "invalid_field" }],
  ["heartbeat: no body", { method: "POST", path: "/v1/nodes/no-such-node/heartbeat", body: "", headers: JSON_TYPE, status: 400, code: "invalid_json" }],
  // POST /v1/nodes/:id/results
  ["result: empty object", { method: "POST", path: "/v1/nodes/no-such-node/results", body: {}, status: 400, code: "missing_field" }],
  [
    "result: malformed job id",
    { method: "POST", path: "/v1/nodes/no-such-node/results", body: { job: "x", seq: 0, attempt: 1, outcome: { ok: true, value: "9g==" }, startedAt: 1, finishedAt: 2 }, status: 400, code: "invalid_field" },
  ],
  [
    "result: value not base64",
    { method: "POST", path: "/v1/nodes/no-such-node/results", body: { job: jobId, seq: 0, attempt: 1, outcome: { ok: true, value: "not base64!" }, startedAt: 1, finishedAt: 2 }, status: 400, code: "invalid_field" },
  ],
  [
    "result: value not CBOR a paxflow value can be",
    // 0xc1: a CBOR epoch date (tag 1) around 0: a Date, which is not a paxflow value.
    { method: "POST", path: "/v1/nodes/no-such-node/results", body: { job: jobId, seq: 0, attempt: 1, outcome: { ok: true, value: "wQA=" }, startedAt: 1, finishedAt: 2 }, status: 400, code: "invalid_field" },
  ],
  [
    "result: attempt 0",
    { method: "POST", path: "/v1/nodes/no-such-node/results", body: { job: jobId, seq: 0, attempt: 0, outcome: { ok: false, error: { name: "E", message: "m" } }, startedAt: 1, finishedAt: 2 }, status: 400, code: "invalid_field" },
  ],
];

beforeAll(async () => {
  // A finished job to point results and events at, submitted under the key the 409 case reuses.
  const answer = await local.cluster.api("/v1/jobs", { method: "POST", body: { job: "shapes/chain", input: { seed: 1 }, idempotencyKey: "bad-input-key" } });
  expect(answer.status).toBe(202);
  jobId = (answer.json as { id: string }).id;
  await finished(local.cluster, jobId);
  // Shards that have not elected a leader yet answer 503 for a moment; start once both answer.
  await eventually("both shards to answer GET /v1/nodes", async () => ((await local.cluster.api("/v1/nodes")).status === 200 ? true : undefined));
});

describe("bad input gets a 4xx JSON error, never a 5xx", () => {
  it("every case in the table", async () => {
    showLogOnFailure(local);
    const seen: string[] = [];
    for (const [name, c] of cases()) {
      const options = { method: c.method, ...(c.body === undefined ? {} : { body: c.body }), ...(c.headers ? { headers: c.headers } : {}) };
      // Runner routes get a runner's signature (for the node the request names), client routes the cluster's token.
      const answer = (await isRunnerRoute(new Request(`http://paxflow.test${c.path}`, { method: c.method })))
        ? await local.cluster.asRunner(nodeIdOf(c.path, c.body), c.path, options)
        : await local.cluster.api(c.path, options);
      const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      seen.push(`${name}: ${answer.status} ${String(error?.code)}`);
      expect(answer.status, `${name}: ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(answer.status, `${name}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
      expect(answer.headers["content-type"], name).toMatch(/^application\/json/);
      expect(typeof error?.message === "string" && error.message.length > 0, `${name}: a message says what is wrong`).toBe(true);
      expect([answer.status, error?.code], `${name}: ${answer.text.slice(0, 300)}`).toEqual([c.status, c.code]);
    }
    expect(seen.length).toBe(cases().length);
  });

  it("a result for an unknown job or from the wrong node is refused (accepted: false), not an error", async () => {
    showLogOnFailure(local);
    const report = { job: jobId, seq: 0, attempt: 1, outcome: { ok: false, error: { name: "E", message: "m" } }, startedAt: 1, finishedAt: 2 };
    const wrongNode = await local.cluster.asRunner("no-such-node", "/v1/nodes/no-such-node/results", { method: "POST", body: report });
    expect(wrongNode.status).toBe(202);
    expect(wrongNode.json).toMatchObject({ accepted: false, reason: expect.any(String) });
    const unknownJob = await local.cluster.asRunner("no-such-node", "/v1/nodes/no-such-node/results", { method: "POST", body: { ...report, job: UNKNOWN_JOB } });
    expect(unknownJob.status).toBe(202);
    expect(unknownJob.json).toMatchObject({ accepted: false, reason: expect.stringContaining(UNKNOWN_JOB) });
  });

  it("the same idempotency key with the same job and input finds the job instead of failing", async () => {
    showLogOnFailure(local);
    const id = await submit(local.cluster, "shapes/chain", { seed: 1 }).catch(() => "");
    expect(id).not.toBe(jobId); // without the key: a new job
    const again = await local.cluster.api("/v1/jobs", { method: "POST", body: { job: "shapes/chain", input: { seed: 1 }, idempotencyKey: "bad-input-key" } });
    expect(again.status).toBe(202);
    expect(again.json).toMatchObject({ id: jobId, created: false, status: "done" });
  });
});
