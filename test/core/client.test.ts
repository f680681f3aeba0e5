/** The typed client's error handling, with a fetch played by the test; the CLI's views of its answers. */
import { describe, expect, it } from "vitest";
import { type ClusterView, type Job, PaxflowApiError, PaxflowClient, PaxflowUnreachable } from "../../client/index.ts";
import { callRows, clusterText } from "../../cli/commands/client.ts";

const client = (answer: () => Promise<Response>) => new PaxflowClient({ url: "http://api.test/", token: "t", fetch: answer as typeof fetch });

describe("PaxflowClient errors", () => {
  it("turns the API's JSON error into PaxflowApiError with status, code and Retry-After", async () => {
    const limited = client(async () => new Response(JSON.stringify({ error: { code: "rate_limited", message: "slow down" } }), { status: 429, headers: { "retry-after": "3" } }));
    await expect(limited.jobs()).rejects.toMatchObject({ status: 429, code: "rate_limited", message: "slow down", retryAfterS: 3 });
  });

  it("refuses a 2xx that is not JSON (not a paxflow API) instead of returning nothing", async () => {
    const html = client(async () => new Response("<html>proxy</html>", { status: 200 }));
    const error = await html.nodes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaxflowApiError);
    expect(error).toMatchObject({ status: 200, code: "bad_response" });
    expect((error as Error).message).toContain("is http://api.test a paxflow API?");
  });

  it("says the API cannot be reached when fetch fails", async () => {
    const down = client(async () => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
    });
    const error = await down.cluster().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaxflowUnreachable);
    expect((error as Error).message).toBe("no paxflow API answers at http://api.test (connect ECONNREFUSED 127.0.0.1:9)");
  });
});

describe("the CLI's views", () => {
  const call = (seq: number, verified: Job["calls"][number]["verified"]) =>
    ({ seq, target: "shapes/spin@1", status: "done", node: "r1", attemptCount: 2, attempts: [], startedAt: 1, finishedAt: 3, verified }) as unknown as Job["calls"][number];

  it("shows which nodes agreed on each call's result", () => {
    const job = { calls: [call(0, { by: ["r1", "worker"] }), call(1, false)] } as unknown as Job;
    expect(callRows(job)).toEqual([
      [0, "shapes/spin@1", "done", "r1", 2, "2 ms", "r1 + worker"],
      [1, "shapes/spin@1", "done", "r1", 2, "2 ms", "-"],
    ]);
  });

  it("puts a warning first in `paxflow cluster` when verification is off", () => {
    const view = (verification: ClusterView["verification"]): ClusterView => ({ verification, shards: [] });
    expect(clusterText(view({ newNodeCalls: 10, fraction: 0 }))).toMatch(/^verification: a new runner's first 10 calls/);
    expect(clusterText(view({ newNodeCalls: 0, fraction: 0, warning: "result verification is off" }))).toMatch(/^warning: result verification is off/);
  });
});
