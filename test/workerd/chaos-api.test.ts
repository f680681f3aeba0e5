/**
 * The fault-injection routes the chaos suite drives (workers/chaos-api.ts), on the real Worker
 * and Durable Objects in workerd: only with PAXFLOW_CHAOS="1" and an admin token.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../shared/app.ts";
import { bearer } from "../shared/tokens.ts";

const send = (method: string, path: string, body?: unknown, who: Parameters<typeof bearer>[0] = "admin") =>
  exports.default.fetch(
    new Request(`http://paxflow.test${path}`, {
      method,
      headers: { "content-type": "application/json", ...bearer(who) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

describe("chaos routes", () => {
  it("do not exist without PAXFLOW_CHAOS=1, and need an admin token", async () => {
    const disabled = await app.fetch(
      new Request("http://paxflow.test/v1/chaos/commanders/0/0/log", { headers: bearer() }),
      { ...env, PAXFLOW_CHAOS: "0" },
    );
    const { error } = await json<{ error: { code: string; message: string } }>(disabled, 404);
    expect(error).toMatchObject({ code: "not_found" });
    expect(error.message).toContain("PAXFLOW_CHAOS");
    const reader = await json<{ error: { code: string } }>(await send("GET", "/v1/chaos/commanders/0/0/log", undefined, "reader"), 403);
    expect(reader.error.code).toBe("forbidden");
  });

  it("name a bad shard, index or fault (400)", async () => {
    for (const [path, body] of [
      ["/v1/chaos/acceptors/9/0", { fault: null }],
      ["/v1/chaos/acceptors/0/7", { fault: null }],
      ["/v1/chaos/acceptors/0/0", { fault: { mode: "explode" } }],
    ] as const) {
      const { error } = await json<{ error: { code: string; message: string } }>(await send("POST", path, body), 400);
      expect(error.code).toBe("invalid_field");
    }
    expect((await send("GET", "/v1/chaos/commanders/0/5/log")).status).toBe(400);
  });

  it("take an acceptor down and back; the cluster view shows the fault", async () => {
    const down = await json<{ fault: unknown }>(await send("POST", "/v1/chaos/acceptors/1/2", { fault: { mode: "down" } }), 200);
    expect(down.fault).toEqual({ mode: "down" });
    const cluster = await json<{ shards: { acceptors: { name: string; fault: unknown }[] }[] }>(await send("GET", "/v1/cluster"), 200);
    expect(cluster.shards[1]!.acceptors.find((a) => a.name === "shard-1/acceptor-2")?.fault).toEqual({ mode: "down" });
    await json(await send("POST", "/v1/chaos/acceptors/1/2", { fault: null }), 200);
  });

  it("abort a commander mid-job: the job still finishes; every learner's log and digest agree", async () => {
    const submitted = await json<{ id: string }>(await send("POST", "/v1/jobs", { job: "shapes/spin", input: { iterations: 3_000_000, salt: 5 }, idempotencyKey: "chaos-abort" }), 202);
    const aborted = await send("POST", "/v1/chaos/commanders/0/0/abort", {});
    expect([202]).toContain(aborted.status);
    await send("POST", "/v1/chaos/commanders/1/0/abort", {});
    // Wait for the job's end (Prefer: wait), not for a number of polls: with both commanders
    // aborted, how long the new leaders take depends on how busy the machine is.
    let job: { status: string; shard?: number } = { status: "running" };
    while (job.status === "running") {
      const answer = await exports.default.fetch(
        new Request(`http://paxflow.test/v1/jobs/${submitted.id}`, { headers: { ...bearer("admin"), prefer: "wait=10" } }),
      );
      if (answer.status === 200) job = (await answer.json()) as typeof job;
      else await answer.text();
    }
    expect(job.status).toBe("done");
    for (const shard of [0, 1]) {
      const views = await Promise.all([0, 1].map(async (c) => json<{ appliedThrough: number; digest: string; counters: { staleDecisions: number } }>(await send("POST", `/v1/chaos/commanders/${shard}/${c}/catch-up`, {}), 200)));
      if (views[0]!.appliedThrough === views[1]!.appliedThrough) expect(views[0]!.digest).toBe(views[1]!.digest);
      const logs = await Promise.all([0, 1].map(async (c) => json<{ entries: { slot: number; entry: unknown }[] }>(await send("GET", `/v1/chaos/commanders/${shard}/${c}/log?from=1&limit=500`), 200)));
      const bySlot = new Map(logs[0]!.entries.map((e) => [e.slot, JSON.stringify(e.entry)]));
      let compared = 0;
      for (const e of logs[1]!.entries) {
        if (!bySlot.has(e.slot)) continue;
        compared++;
        expect(JSON.stringify(e.entry), `shard ${shard} slot ${e.slot}`).toBe(bySlot.get(e.slot));
      }
      if (shard === job.shard) expect(compared, "the job's shard has entries both learners hold").toBeGreaterThan(0);
    }
  }, 120_000);
});
