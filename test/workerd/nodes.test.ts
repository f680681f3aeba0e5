/**
 * Registered runners at the API in workerd (issue 14): which URLs a runner may give, removing a
 * runner, registrations that cannot roll back, MAX_NODES. The test bindings set RUNNER_ALLOW to
 * loopback (vitest.config.ts); tests that need another value pass their own env to the app.
 */
import { env, exports } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { expectError } from "../shared/api-errors.ts";
import { errorCode } from "../../runtime/errors.ts";
import { app } from "../shared/app.ts";
import { ruleFor } from "../../workers/access.ts";
import { bearer, runnerRequest } from "../shared/tokens.ts";

const LOAD = { queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
/** No cpu: no example stage is ever placed on these runners, which do not exist. */
const registration = (id: string, url = "http://127.0.0.1:9/", slots = 1) => ({ id, url, caps: ["gpu", "f16"] as ("gpu" | "f16")[], speed: { cpu: 1 }, slots, latencyMs: 1, bandwidthMBps: 100 });

const register = async (id: string, url?: string, over: { now?: number; nonce?: string; env?: Partial<typeof env> } = {}) => {
  const request = await runnerRequest("POST", "/v1/nodes", id, registration(id, url), over);
  return over.env ? app.fetch(request, { ...env, ...over.env }) : exports.default.fetch(request);
};
const client = (method: string, path: string, who: Parameters<typeof bearer>[0] = "admin") =>
  exports.default.fetch(new Request(`http://paxflow.test${path}`, { method, headers: bearer(who) }));


async function expectRegistered(response: Response): Promise<{ spec: { url: string; slots: number }; signedAt?: number }> {
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return JSON.parse(text) as { spec: { url: string; slots: number }; signedAt?: number };
}

const listed = async (id: string) => {
  const { nodes } = (await (await client("GET", "/v1/nodes", "reader")).json()) as { nodes: { spec: { id: string; slots: number } }[] };
  return nodes.find((n) => n.spec.id === id);
};

describe("runner URLs", () => {
  it("must be origins: a path, query, credentials or fragment is named", async () => {
    await expectError(await register("url-shape", "http://127.0.0.1:9/x"), 400, "invalid_field", 'url: must be an origin (scheme://host[:port]); it has a path "/x"');
    await expectError(await register("url-shape", "http://127.0.0.1:9/?a=1"), 400, "invalid_field", 'url: must be an origin', 'a query "?a=1"');
    await expectError(await register("url-shape", "http://u:p@127.0.0.1:9"), 400, "invalid_field", "url: must be an origin", "credentials");
    await expectError(await register("url-shape", "http://127.0.0.1:9/#top"), 400, "invalid_field", 'a fragment "#top"');
    await expectError(await register("url-shape", "ftp://127.0.0.1:9"), 400, "invalid_field", 'the scheme "ftp"');
  });

  it("refuses loopback and private addresses RUNNER_ALLOW does not list, in every numeric spelling", async () => {
    const none = { RUNNER_ALLOW: "" };
    await expectError(await register("url-addr", "http://127.0.0.1:9", { env: none }), 400, "runner_url_refused", "url: 127.0.0.1 is a loopback address", "RUNNER_ALLOW");
    await expectError(await register("url-addr", "http://0x7f000001:9", { env: none }), 400, "runner_url_refused", "127.0.0.1 is a loopback address");
    await expectError(await register("url-addr", "http://2130706433:9", { env: none }), 400, "runner_url_refused", "127.0.0.1 is a loopback address");
    await expectError(await register("url-addr", "http://0177.0.0.1:9", { env: none }), 400, "runner_url_refused", "127.0.0.1 is a loopback address");
    await expectError(await register("url-addr", "http://[::ffff:127.0.0.1]:9", { env: none }), 400, "runner_url_refused", "(IPv4 127.0.0.1) is a loopback address");
    await expectError(await register("url-addr", "http://localhost:9", { env: none }), 400, "runner_url_refused", "localhost is a loopback address");
    await expectError(await register("url-addr", "http://10.0.0.7:9", { env: none }), 400, "runner_url_refused", "10.0.0.7 is a private address", 'RUNNER_ALLOW="10.0.0.0/8"');
    // The test bindings allow loopback, not the private ranges.
    await expectError(await register("url-addr", "http://192.168.1.1:9"), 400, "runner_url_refused", "192.168.1.1 is a private address");
    expect(await listed("url-addr")).toBeUndefined();
  });

  it("never allows metadata addresses, and link-local ones only by a link-local range", async () => {
    const wide = { RUNNER_ALLOW: "0.0.0.0/0,169.254.169.254,metadata.google.internal" };
    await expectError(await register("url-meta", "http://169.254.169.254", { env: wide }), 400, "runner_url_refused", "cloud metadata address");
    await expectError(await register("url-meta", "http://metadata.google.internal", { env: wide }), 400, "runner_url_refused", "cloud metadata address");
    await expectError(await register("url-meta", "http://169.254.1.2", { env: wide }), 400, "runner_url_refused", "169.254.1.2 is a link-local address");
    expect((await register("url-meta", "http://169.254.1.2:9", { env: { RUNNER_ALLOW: "169.254.1.0/24" } })).status).toBe(201);
    expect((await client("DELETE", "/v1/nodes/url-meta")).status).toBe(200);
  });

  it("records the origin; public names need no RUNNER_ALLOW", async () => {
    const loopback = await expectRegistered(await register("url-origin", "http://127.0.0.1:9/"));
    expect(loopback.spec.url).toBe("http://127.0.0.1:9");
    const named = await expectRegistered(await register("url-origin", "HTTPS://Runner.Example.COM:443/", { env: { RUNNER_ALLOW: "" } }));
    expect(named.spec.url).toBe("https://runner.example.com");
    expect((await client("DELETE", "/v1/nodes/url-origin")).status).toBe(200);
  });

  it("names an RUNNER_ALLOW entry it cannot read (500 misconfigured)", async () => {
    await expectError(await register("url-conf", undefined, { env: { RUNNER_ALLOW: "127.0.0.0/8,10.0.0.0/40" } }), 500, "misconfigured", 'RUNNER_ALLOW: "10.0.0.0/40"');
  });
});

describe("DELETE /v1/nodes/:id", () => {
  it("is for admin tokens only", async () => {
    expect(ruleFor(app, new Request("http://paxflow.test/v1/nodes/r", { method: "DELETE" }))?.access).toEqual({ who: "client", scope: "admin" });
    await expectError(await client("DELETE", "/v1/nodes/r", "reader"), 403, "forbidden", "admin scope");
    await expectError(await client("DELETE", "/v1/nodes/r", "submitter"), 403, "forbidden", "admin scope");
  });

  it("refuses the built-in backends and unknown nodes", async () => {
    await expectError(await client("DELETE", "/v1/nodes/worker"), 400, "invalid_field", "path parameter id", "built-in backends");
    await expectError(await client("DELETE", "/v1/nodes/inline"), 400, "invalid_field", "built-in backends");
    await expectError(await client("DELETE", "/v1/nodes/never-registered"), 404, "not_found", 'no node "never-registered"');
  });

  it("removes a runner from every shard: gone from the list, its heartbeats 404, the log says who", async () => {
    await expectRegistered(await register("to-delete"));
    const removed = await client("DELETE", "/v1/nodes/to-delete");
    expect(removed.status, await removed.clone().text()).toBe(200);
    expect(((await removed.json()) as { spec: { id: string } }).spec.id).toBe("to-delete");
    expect(await listed("to-delete")).toBeUndefined();
    await expectError(await exports.default.fetch(await runnerRequest("POST", "/v1/nodes/to-delete/heartbeat", "to-delete", LOAD)), 404, "not_found", "to-delete");
    for (const shard of [0, 1]) {
      const log = JSON.stringify(await env.COMMANDER.get(env.COMMANDER.idFromName(`shard-${shard}/commander-0`)).read(1, 1_000));
      expect(log).toMatch(/"type":"node\.removed","node":"to-delete","at":\d+,"reason":"deleted by token \\"admin\\""/);
    }
    // Registering again works (a runner still running does, on its next heartbeat).
    await expectRegistered(await register("to-delete"));
    expect((await client("DELETE", "/v1/nodes/to-delete")).status).toBe(200);
  });
});

describe("registrations cannot roll back", () => {
  it("refuses a registration not signed later than the current one (409), also after the commanders restart", async () => {
    const first = Date.now() - 10_000;
    const registered = await expectRegistered(await register("no-rollback", undefined, { now: first }));
    expect(registered.signedAt).toBe(first);
    // The same signature again with another nonce: what a replay to another isolate (or after a restart) looks like.
    const replay = await runnerRequest("POST", "/v1/nodes", "no-rollback", registration("no-rollback", undefined, 7), { now: first });
    await expectError(await exports.default.fetch(replay), 409, "stale_registration", `signed at ${first} is not newer`);
    await expectError(await register("no-rollback", undefined, { now: first - 5_000 }), 409, "stale_registration", "not newer");
    // Commanders rebuild from the log: the registration time is there.
    await abortAllDurableObjects();
    await expectError(await exports.default.fetch(await runnerRequest("POST", "/v1/nodes", "no-rollback", registration("no-rollback", undefined, 7), { now: first })), 409, "stale_registration");
    expect((await listed("no-rollback"))?.spec.slots).toBe(1);
    // A runner that restarts signs later: taken.
    const again = await expectRegistered(await exports.default.fetch(await runnerRequest("POST", "/v1/nodes", "no-rollback", registration("no-rollback", undefined, 3))));
    expect(again.spec.slots).toBe(3);
    expect((await client("DELETE", "/v1/nodes/no-rollback")).status).toBe(200);
  });
});

describe("MAX_NODES", () => {
  it("a commander refuses a new runner beyond it, not one already registered (the test bindings set 64)", async () => {
    const commander = env.COMMANDER.get(env.COMMANDER.idFromName("shard-1300/commander-0"));
    const spec = (i: number) => ({ ...registration(`cap-${i}`, "http://127.0.0.1:9"), kind: "runner" as const });
    for (let i = 0; i < 64; i++) await commander.registerNode(spec(i), 1);
    const refused = await commander.registerNode(spec(64), 1).catch((error: unknown) => error);
    expect(errorCode(refused)).toBe("too-many-nodes");
    expect(String(refused)).toContain("MAX_NODES allows (64)");
    await commander.registerNode(spec(0), 2);
  });
});
