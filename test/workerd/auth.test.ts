/**
 * Client authentication (workers/auth.ts) on the real Worker in workerd: bearer tokens with
 * scopes from API_TOKENS (the test cluster's are in test/shared/tokens.ts).
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectError as expectApiError } from "../shared/api-errors.ts";
import { commanderName, parseShardConfig } from "../../durable-objects/shard-config.ts";
import { app } from "../shared/app.ts";
import { parseTokens } from "../../workers/auth.ts";
import { ruleFor } from "../../workers/access.ts";
import { shardOfJob } from "../../workers/job-ids.ts";
import { TEST_TOKENS, bearer, runnerRequest, signedIfRunnerRoute } from "../shared/tokens.ts";

const request = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
  new Request(`http://paxflow.test${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const send = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) => exports.default.fetch(request(method, path, headers, body));

/** An API error (shared/api-errors.ts) that names no token. */
async function expectError(response: Response, status: number, code: string, mention: string) {
  const text = await response.clone().text();
  for (const token of Object.values(TEST_TOKENS)) expect(text).not.toContain(token);
  return expectApiError(response, status, code, mention);
}

const JOB = { job: "shapes/chain", input: { seed: 3 } };
const LOAD = { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };

describe("runner signatures", () => {
  const registration = (id: string) => ({ id, url: "http://127.0.0.1:9/", caps: ["cpu"], speed: { cpu: 1 }, slots: 1, latencyMs: 1, bandwidthMBps: 100 });

  it("registers and heartbeats a runner that signs as itself", async () => {
    const registered = await exports.default.fetch(await runnerRequest("POST", "/v1/nodes", "signed-1", registration("signed-1")));
    expect(registered.status, await registered.clone().text()).toBe(201);
    const beat = await exports.default.fetch(await runnerRequest("POST", "/v1/nodes/signed-1/heartbeat", "signed-1", LOAD));
    expect(beat.status, await beat.clone().text()).toBe(200);
  });

  it("refuses unsigned, wrongly signed, stale and replayed requests (401), and a runner acting for another node (403)", async () => {
    await expectError(await send("POST", "/v1/nodes/signed-1/heartbeat", {}, LOAD), 401, "unauthorized", "unsigned runner request");
    await expectError(await exports.default.fetch(await runnerRequest("POST", "/v1/nodes/signed-1/heartbeat", "signed-1", LOAD, { secret: "a-guess" })), 401, "unauthorized", 'bad signature for runner "signed-1"');
    await expectError(await exports.default.fetch(await runnerRequest("POST", "/v1/nodes/signed-1/heartbeat", "signed-1", LOAD, { now: Date.now() - 120_000 })), 401, "unauthorized", "stale runner request");
    const once = await runnerRequest("POST", "/v1/nodes/signed-1/heartbeat", "signed-1", LOAD);
    const replay = once.clone();
    expect((await exports.default.fetch(once)).status).not.toBe(401);
    await expectError(await exports.default.fetch(replay), 401, "unauthorized", "replayed runner request");
    // A body changed after signing does not verify.
    const tampered = await runnerRequest("POST", "/v1/nodes/signed-1/heartbeat", "signed-1", LOAD);
    await expectError(await exports.default.fetch(new Request(tampered, { body: JSON.stringify({ ...LOAD, queue: 99 }) })), 401, "unauthorized", "bad signature");
    await expectError(await exports.default.fetch(await runnerRequest("POST", "/v1/nodes/other-node/heartbeat", "signed-1", LOAD)), 403, "forbidden", 'runner "signed-1" cannot act for node "other-node"');
    await expectError(await exports.default.fetch(await runnerRequest("POST", "/v1/nodes", "signed-1", registration("someone-else"))), 403, "forbidden", 'cannot act for node "someone-else"');
  });

  it("serves payloads to a signed runner or a reader, and to nobody else", async () => {
    const hash = "0".repeat(64);
    await expectError(await send("GET", `/v1/payloads/${hash}`), 401, "unauthorized", "missing bearer token");
    await expectError(await send("GET", `/v1/payloads/${hash}`, bearer("reader")), 404, "not_found", hash);
    await expectError(await exports.default.fetch(await runnerRequest("GET", `/v1/payloads/${hash}`, "signed-1")), 404, "not_found", hash);
  });

  it("refuses every runner request when the deployment has no RUNNER_KEY", async () => {
    const response = await app.fetch(await runnerRequest("POST", "/v1/nodes/signed-1/heartbeat", "signed-1", LOAD), { ...env, RUNNER_KEY: "" });
    await expectError(response, 401, "unauthorized", "wrangler secret put RUNNER_KEY");
  });
});

describe("client authentication", () => {
  it("answers 401 with a Bearer challenge for a missing, malformed or unknown token", async () => {
    const missing = await expectError(await send("GET", "/v1/jobs"), 401, "unauthorized", "missing bearer token");
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="paxflow"');
    await expectError(await send("GET", "/v1/jobs", { authorization: `Basic ${btoa("a:b")}` }), 401, "unauthorized", "Bearer <token>");
    await expectError(await send("GET", "/v1/jobs", { authorization: "Bearer " }), 401, "unauthorized", "Bearer <token>");
    await expectError(await send("GET", "/v1/jobs", { authorization: `Bearer ${TEST_TOKENS.admin}x` }), 401, "unauthorized", "unknown bearer token");
    await expectError(await send("POST", "/v1/jobs", {}, JOB), 401, "unauthorized", "missing bearer token");
    await expectError(await send("POST", "/v1/commands", {}, { key: "k" }), 401, "unauthorized", "missing bearer token");
  });

  it("answers 403 naming the scope a token lacks", async () => {
    await expectError(await send("POST", "/v1/jobs", bearer("reader"), JOB), 403, "forbidden", 'token "reader" lacks the submit scope');
    await expectError(await send("GET", "/v1/jobs", bearer("submitter")), 403, "forbidden", 'token "submitter" lacks the read scope');
    await expectError(await send("POST", "/v1/commands", bearer("submitter"), { key: "k" }), 403, "forbidden", "lacks the admin scope");
    await expectError(await send("DELETE", "/v1/jobs/j-000000000000000000000000", bearer("reader")), 403, "forbidden", "submit scope");
  });

  it("lets each scope do its part: submit submits, read reads (its own jobs), admin does both for every tenant and raw commands", async () => {
    const submitted = await send("POST", "/v1/jobs", { ...bearer("submitter"), prefer: "wait=10" }, JOB);
    expect(submitted.status, await submitted.clone().text()).toBe(200);
    const { id, submittedBy } = (await submitted.json()) as { id: string; submittedBy?: string };
    // The log records which token submitted it, by name.
    expect(submittedBy).toBe("submitter");
    // A job is its submitter's: another token, even with read, does not see it (jobs-api.test.ts, "tenants").
    await expectError(await send("GET", `/v1/jobs/${id}`, bearer("reader")), 404, "not_found", id);
    const read = await send("GET", `/v1/jobs/${id}`, bearer("admin"));
    expect(read.status).toBe(200);
    expect(((await read.json()) as { submittedBy?: string }).submittedBy).toBe("submitter");
    expect((await send("GET", `/v1/jobs/${id}/explain`, bearer("admin"))).status).toBe(200);
    expect((await send("GET", "/v1/cluster", bearer("reader"))).status).toBe(200);
    expect((await send("GET", "/v1/nodes", bearer("reader"))).status).toBe(200);
    expect((await send("GET", `/v1/jobs/${id}`, bearer("admin"))).status).toBe(200);
    expect((await send("POST", "/v1/commands", bearer("admin"), { key: "auth-test" })).status).toBe(200);
    // The bearer scheme is case-insensitive (RFC 6750 follows RFC 7235).
    expect((await send("GET", "/v1/jobs", { authorization: `bearer ${TEST_TOKENS.reader}` })).status).toBe(200);
  });

  it("needs no token for the OpenAPI document, and runner signatures rather than tokens on the runner routes", async () => {
    expect((await send("GET", "/v1/openapi.json")).status).toBe(200);
    const access = (method: string, path: string) => ruleFor(app, request(method, path))?.access;
    expect(access("POST", "/v1/nodes")).toEqual({ who: "runner", node: "body" });
    expect(access("POST", "/v1/nodes/r/results")).toEqual({ who: "runner", node: "path" });
    expect(access("POST", "/v1/nodes/r/results/batch")).toEqual({ who: "runner", node: "path" });
    expect(access("GET", "/v1/payloads/ab")).toEqual({ who: "runner-or-client", scope: "read" });
    expect(access("GET", "/v1/nodes")).toEqual({ who: "client", scope: "read" });
    expect(access("GET", "/v1/openapi.json")).toEqual({ who: "anyone" });
    // A client token is not a runner's signature.
    await expectError(await send("POST", "/v1/nodes/no-such-node/heartbeat", bearer(), LOAD), 401, "unauthorized", "unsigned runner request");
    // Signed, the route answers for itself (an unknown node).
    const signed = await signedIfRunnerRoute(request("POST", "/v1/nodes/no-such-node/heartbeat", {}, LOAD));
    await expectError(await exports.default.fetch(signed), 404, "not_found", "no-such-node");
  });

  it("limits jobs per token per second: 429 with Retry-After naming the token and the limit; other tokens unaffected", async () => {
    const limited = { ...env, JOBS_PER_SECOND: "1", JOBS_BURST: "2" };
    const submit = (who: "submitter" | "admin") => app.fetch(request("POST", "/v1/jobs", bearer(who), JOB), limited);
    expect((await submit("submitter")).status).toBe(202);
    expect((await submit("submitter")).status).toBe(202);
    const refused = await expectError(await submit("submitter"), 429, "rate_limited", 'token "submitter" submits more than 1 jobs a second (bursts of 2');
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // The admin token has its own bucket (it has not used it here yet).
    expect((await submit("admin")).status).toBe(202);
  });

  it("never writes a token into the log", async () => {
    const submitted = await send("POST", "/v1/jobs", { ...bearer("submitter"), prefer: "wait=10", "idempotency-key": "auth-log-check" }, { ...JOB, idempotencyKey: "auth-log-check" });
    const { id } = (await submitted.json()) as { id: string };
    const config = parseShardConfig(env);
    const shard = shardOfJob(id, config.shards);
    const log = JSON.stringify(await env.COMMANDER.get(env.COMMANDER.idFromName(commanderName(shard, 0))).read(1, 1_000));
    expect(log).toContain(id);
    for (const token of Object.values(TEST_TOKENS)) expect(log).not.toContain(token);
  });

  it("refuses every client route when no token is configured, and names a bad API_TOKENS entry without its token", async () => {
    await expectError(await app.fetch(request("GET", "/v1/jobs", bearer()), { ...env, API_TOKENS: "" }), 401, "unauthorized", "wrangler secret put API_TOKENS");
    const secret = "short-secret";
    const bad = await app.fetch(request("GET", "/v1/jobs", { authorization: `Bearer ${secret}` }), { ...env, API_TOKENS: `ops=${secret}=admin` });
    await expectError(bad, 500, "misconfigured", 'API_TOKENS entry 1 ("ops"): the token must be at least 24 characters');
    const text = await (await app.fetch(request("GET", "/v1/jobs", bearer()), { ...env, API_TOKENS: `ops=${TEST_TOKENS.admin}=root` })).text();
    expect((JSON.parse(text) as { error: { message: string } }).error.message).toContain('unknown scope "root"');
    expect(text).not.toContain(TEST_TOKENS.admin);
  });

  it("parses API_TOKENS strictly", async () => {
    await expect(parseTokens(`a=${"x".repeat(24)}=read+submit, b=${"y".repeat(24)}=admin`)).resolves.toHaveProperty("size", 2);
    await expect(parseTokens(`a=${"x".repeat(24)}=read,b=${"x".repeat(24)}=admin`)).rejects.toThrow(/entry 2 \("b"\): the same token appears twice/);
    await expect(parseTokens(`a:${"x".repeat(24)}:read`)).rejects.toThrow(/entry 1 must look like name=token=scope\+scope/);
    await expect(parseTokens("")).resolves.toHaveProperty("size", 0);
  });
});
