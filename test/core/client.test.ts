/** The typed client's error handling, with a fetch played by the test. */
import { describe, expect, it } from "vitest";
import { PaxflowApiError, PaxflowClient, PaxflowUnreachable } from "../../client/index.ts";

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
