/** The typed client (client/index.ts, exported as "paxflow/client") against the real Worker in workerd. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PaxflowApiError, PaxflowClient } from "paxflow/client";
import { TEST_TOKENS } from "../shared/tokens.ts";

const client = (token: string = TEST_TOKENS.admin) => new PaxflowClient({ url: "http://paxflow.test", token, fetch: (input, init) => exports.default.fetch(new Request(input, init)) });

describe("PaxflowClient", () => {
  it("submits, waits, lists, explains and reads the cluster and nodes, typed by the API's schemas", async () => {
    const done = await client().submit("shapes/chain", { seed: 21 }, { idempotencyKey: "client-test", waitS: 20 });
    expect("calls" in done && done.status).toBe("done");
    const job = await client().job(done.id);
    expect(job.calls.length).toBeGreaterThan(0);
    const page = await client().jobs({ status: "done", limit: 10 });
    expect(page.jobs.map((j) => j.id)).toContain(job.id);
    const explained = await client().explain(job.id);
    expect(explained.calls[0]!.attempts[0]!.candidates.some((c) => c.chosen)).toBe(true);
    expect((await client().nodes()).nodes.map((n) => n.spec.id)).toContain("worker");
    expect((await client().cluster()).shards.length).toBe(2);
  });

  it("throws the API's error with its status, code and whether a retry can help", async () => {
    const error = await client(TEST_TOKENS.reader).submit("shapes/chain", { seed: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaxflowApiError);
    expect(error).toMatchObject({ status: 403, code: "forbidden", retryable: false });
    const missing = await client().job("j-000000000000000000000000").catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, retryable: false });
  });
});
