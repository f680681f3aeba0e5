import { describe, expect, it } from "vitest";
import type { Env } from "../../durable-objects/env.ts";
import { PaxflowError } from "../../runtime/errors.ts";
import { app } from "../shared/app.ts";
import { TEST_API_TOKENS, bearer } from "../shared/tokens.ts";

/**
 * How the API maps commander errors to HTTP, with the COMMANDER binding replaced by a stub (the
 * real path through Durable Objects is in test/workerd/api.test.ts).
 */
function envWith(submit: (index: number) => Promise<unknown>, overrides: Record<string, string> = {}) {
  const asked: number[] = [];
  const env = {
    SHARDS: "1",
    ACCEPTORS_PER_SHARD: "3",
    COMMANDERS_PER_SHARD: "3",
    PHASE1_QUORUM: "",
    PHASE2_QUORUM: "",
    ALPHA: "4",
    MAX_BATCH: "8",
    PAXFLOW_CHAOS: "0",
    API_TOKENS: TEST_API_TOKENS,
    ...overrides,
    COMMANDER: {
      idFromName: (name: string) => name,
      get: (name: string) => ({
        submit: () => {
          const index = Number(/commander-(\d+)$/.exec(name)![1]);
          asked.push(index);
          return submit(index);
        },
      }),
    },
  } as unknown as Env;
  return { env, asked };
}

const post = (env: Env, body: string) =>
  app.fetch(new Request("http://paxflow.test/v1/commands", { method: "POST", headers: { "content-type": "application/json", ...bearer() }, body }), env);

describe("API error mapping", () => {
  it("answers 503 with Retry-After when the leader is overloaded, without campaigning elsewhere", async () => {
    const { env, asked } = envWith(async () => {
      throw new PaxflowError("overloaded", "commander shard-0/commander-0#x has 10 commands queued or in flight (MAX_PENDING is 10)");
    });
    const response = await post(env, JSON.stringify({ key: "k" }));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("overloaded");
    expect(body.error.message).toContain("MAX_PENDING");
    expect(asked).toEqual([0]);
  });

  it("answers 500 misconfigured on a cluster mismatch, even after RPC dropped the error class", async () => {
    const { env } = envWith(async () => {
      throw new Error('[paxflow:cluster-mismatch] acceptor shard-0/acceptor-0 belongs to a cluster bootstrapped as "a", but ... "b"');
    });
    const response = await post(env, JSON.stringify({ key: "k" }));
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: "misconfigured" });
    expect(body.error.message).toContain("bootstrapped as");
  });

  it("answers 413 naming the limit for a body over MAX_COMMAND_BYTES, before any commander is asked", async () => {
    const { env, asked } = envWith(async () => [{ id: "x", slot: 1 }], { MAX_COMMAND_BYTES: "1000" });
    const response = await post(env, JSON.stringify({ key: "k", data: "x".repeat(2_000) }));
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("payload_too_large");
    expect(body.error.message).toContain("1000 bytes");
    expect(asked).toEqual([]);
    expect((await post(env, JSON.stringify({ key: "k", data: "small" }))).status).toBe(200);
  });

  it("answers 413 when the commander finds the encoded command too large", async () => {
    const { env } = envWith(async () => {
      throw new PaxflowError("command-too-large", "command c is 1040 bytes encoded, over the limit of 1000 bytes");
    });
    const response = await post(env, JSON.stringify({ key: "k" }));
    expect(response.status).toBe(413);
  });
});
