import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expectError } from "../shared/api-errors.ts";
import { bearer, signedIfRunnerRoute } from "../shared/tokens.ts";
import { shardOf } from "../../workers/api.ts";
import { app } from "../shared/app.ts";

/** A request as the admin test client sends it (its headers may replace the token, or remove it with authorization: ""). */
const call = (path: string, init?: RequestInit) => {
  const headers = new Headers(init?.headers);
  if (!headers.has("authorization")) headers.set("authorization", bearer().authorization);
  else if (headers.get("authorization") === "") headers.delete("authorization");
  return signedIfRunnerRoute(new Request(`http://paxflow.test${path}`, { ...init, headers })).then((r) => exports.default.fetch(r));
};
const post = (body: string) => call("/v1/commands", { method: "POST", headers: { "content-type": "application/json" }, body });

interface ErrorBody {
  error: { code: string; message: string };
}


describe("HTTP API", () => {
  it("POST /v1/commands commits to the key's shard and is idempotent by id", async () => {
    const response = await post(JSON.stringify({ key: "user:42", data: { op: "set", value: 1 }, id: "cmd-1" }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { shard: number; slot: number; id: string };
    expect(body).toEqual({ shard: shardOf("user:42", Number(env.SHARDS)), slot: expect.any(Number), id: "cmd-1" });
    expect(body.slot).toBeGreaterThanOrEqual(1);

    const again = (await (await post(JSON.stringify({ key: "user:42", data: { op: "set", value: 1 }, id: "cmd-1" }))).json()) as {
      slot: number;
    };
    expect(again.slot).toBe(body.slot);

    const generated = (await (await post(JSON.stringify({ key: "user:42" }))).json()) as { id: string; slot: number };
    expect(generated.id).toEqual(expect.any(String));
    expect(generated.slot).toBeGreaterThan(body.slot);
  });

  it("GET /v1/cluster reports every shard's leader, commanders and acceptors", async () => {
    await post(JSON.stringify({ key: "cluster-probe" }));
    const response = await call("/v1/cluster");
    expect(response.status).toBe(200);
    const { shards } = (await response.json()) as {
      shards: {
        shard: number;
        leader: { commander: string; ballot: string } | null;
        chosenIndex: number;
        appliedIndex: number;
        commanders: { name: string; role: string }[];
        acceptors: { name: string; health: string; lastContactAt: number | null; latencyMs: number | null; chosenThrough: number | null }[];
        loadForecast?: { next: number; a: number; b: number; c: number; intervalMs: number; recommendedRunners: number };
        nodeHealth?: { node: string; verdict: string; phi: number }[];
      }[];
    };
    expect(shards.map((s) => s.shard)).toEqual([0, 1]);
    const active = shards[shardOf("cluster-probe", 2)]!;
    expect(active.leader?.commander).toBe(`shard-${active.shard}/commander-0`);
    expect(active.leader?.ballot).toEqual(expect.any(String));
    expect(active.chosenIndex).toBeGreaterThanOrEqual(1);
    expect(active.appliedIndex).toBe(active.chosenIndex);
    expect(active.commanders.map((c) => c.name)).toEqual([0, 1].map((i) => `shard-${active.shard}/commander-${i}`));
    expect(active.commanders.map((c) => c.role)).toContain("leader");
    expect(active.acceptors.map((a) => a.name)).toEqual([0, 1, 2].map((j) => `shard-${active.shard}/acceptor-${j}`));
    // The leader's scheduler: the AR(2) load forecast and every backend's health.
    expect(active.loadForecast).toMatchObject({ next: expect.any(Number), intervalMs: expect.any(Number), recommendedRunners: expect.any(Number) });
    expect(active.nodeHealth!.map((n) => n.node)).toEqual(expect.arrayContaining(["inline", "worker"]));
    for (const acceptor of active.acceptors) {
      expect(acceptor.health).toBe("ok");
      expect(acceptor.lastContactAt).toEqual(expect.any(Number));
      expect(acceptor.latencyMs).toEqual(expect.any(Number));
      expect(acceptor.chosenThrough).toEqual(expect.any(Number));
    }
  });

  it("reports an unreachable acceptor", async () => {
    const key = "health-probe";
    const shard = shardOf(key, 2);
    const down = `shard-${shard}/acceptor-1`;
    await env.ACCEPTOR.get(env.ACCEPTOR.idFromName(down)).setFault({ mode: "down" });
    try {
      expect((await post(JSON.stringify({ key }))).status).toBe(200);
      // The failed call to the down acceptor may land just after the commit: look until it shows.
      let health: string | undefined;
      for (let attempt = 0; health !== "unreachable"; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20));
        const { shards } = (await (await call("/v1/cluster")).json()) as { shards: { acceptors: { name: string; health: string }[] }[] };
        health = shards[shard]!.acceptors.find((a) => a.name === down)?.health;
      }
      expect(health).toBe("unreachable");
    } finally {
      await env.ACCEPTOR.get(env.ACCEPTOR.idFromName(down)).setFault(null);
    }
  });

  it("answers 400 naming the bad field", async () => {
    await expectError(await post("{not json"), 400, "invalid_json", "JSON");
    await expectError(await post("[1]"), 400, "invalid_body", "object");
    await expectError(await post(JSON.stringify({ data: 1 })), 400, "missing_field", "key");
    await expectError(await post(JSON.stringify({ key: 7 })), 400, "invalid_field", "key");
    await expectError(await post(JSON.stringify({ key: "" })), 400, "invalid_field", "key");
    await expectError(await post(JSON.stringify({ key: "k", id: 5 })), 400, "invalid_field", "id");
  });

  it("answers 404 as JSON for unknown routes", async () => {
    await expectError(await call("/nope"), 404, "not_found", "/nope");
    await expectError(await call("/v1/commands"), 404, "not_found", "GET /v1/commands");
  });

  it("answers 503 when no commander of the shard can make progress", async () => {
    const key = "unavailable-probe";
    const shard = shardOf(key, 2);
    const acceptors = [0, 1, 2].map((j) => env.ACCEPTOR.get(env.ACCEPTOR.idFromName(`shard-${shard}/acceptor-${j}`)));
    for (const acceptor of acceptors.slice(1)) await acceptor.setFault({ mode: "down" });
    try {
      await expectError(await post(JSON.stringify({ key, id: "stuck" })), 503, "unavailable", `shard ${shard}`);
    } finally {
      for (const acceptor of acceptors) await acceptor.setFault(null);
    }
  });

  it("answers 413 naming the limit for a body over MAX_COMMAND_BYTES", async () => {
    const limit = 65_536; // the default: the test bindings do not set MAX_COMMAND_BYTES
    await expectError(await post(JSON.stringify({ key: "big", data: "x".repeat(limit + 1) })), 413, "payload_too_large", `${limit} bytes`);
    // Whitespace makes the body too large though the command inside is tiny: only the API's own limit sees it.
    await expectError(await post(`${JSON.stringify({ key: "big" })}${" ".repeat(limit)}`), 413, "payload_too_large", "request body exceeds");
    expect((await post(JSON.stringify({ key: "big", data: "x".repeat(1_000) }))).status).toBe(200);
  });

  it("answers 500 misconfigured, at once, when the shard's acceptors were bootstrapped with another configuration", async () => {
    // The API with more shards, so that the key lands on a shard no other test touches.
    const shards = 64;
    let key = "";
    for (let i = 0; shardOf(key, shards) < 40; i++) key = `mismatch-${i}`;
    const shard = shardOf(key, shards);
    const theirs = "epoch=1;alpha=999;q1=2;q2=2;acceptors=elsewhere";
    for (let j = 0; j < 3; j++) {
      await env.ACCEPTOR.get(env.ACCEPTOR.idFromName(`shard-${shard}/acceptor-${j}`)).handle([{ type: "learn", fromSlot: 1 }], theirs);
    }
    const response = await app.fetch(
      new Request("http://paxflow.test/v1/commands", { method: "POST", headers: bearer(), body: JSON.stringify({ key, id: "m-1" }) }),
      { ...env, SHARDS: String(shards) },
    );
    await expectError(response, 500, "misconfigured", "must not change on a live cluster");
    const clone = await app.fetch(
      new Request("http://paxflow.test/v1/commands", { method: "POST", headers: bearer(), body: JSON.stringify({ key, id: "m-2" }) }),
      { ...env, SHARDS: String(shards) },
    );
    const { error } = (await clone.json()) as ErrorBody;
    expect(error.message).toContain(theirs);
    expect(error.message).toContain(`alpha=${env.ALPHA};`);
  });
});
