/**
 * Bodies are read only after authentication, at most the route's limit, and JSON no deeper than
 * MAX_JSON_DEPTH (workers/access.ts, workers/body.ts): an unauthenticated request costs its headers.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../shared/app.ts";
import { MAX_JSON_DEPTH } from "../../workers/body.ts";
import { bearer } from "../shared/tokens.ts";

const MiB = 1 << 20;

/** A body of `total` bytes made on demand, counting what the server pulled. */
function countedBody(total: number) {
  const seen = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= total) return controller.close();
      seen.pulled += MiB;
      controller.enqueue(new Uint8Array(MiB).fill(0x20));
    },
  });
  return { stream, seen };
}

async function errorOf(response: Response) {
  return { status: response.status, ...((await response.json()) as { error: { code: string; message: string } }).error };
}

describe("request bodies", () => {
  it("refuses a 200 MiB body without a token having read almost none of it", async () => {
    const { stream, seen } = countedBody(200 * MiB);
    const response = await app.fetch(new Request("http://paxflow.test/v1/jobs", { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit), env);
    expect(await errorOf(response)).toMatchObject({ status: 401, code: "unauthorized" });
    expect(seen.pulled).toBeLessThanOrEqual(4 * MiB);
  });

  it("refuses a runner request whose signature headers are malformed or stale before reading its body", async () => {
    for (const headers of [
      { "x-paxflow-signature": "ab" },
      { "x-paxflow-runner": "r", "x-paxflow-timestamp": "1000", "x-paxflow-nonce": "0".repeat(32), "x-paxflow-signature": "0".repeat(64) },
    ]) {
      const { stream, seen } = countedBody(200 * MiB);
      const response = await app.fetch(new Request("http://paxflow.test/v1/nodes/r/results", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: stream, duplex: "half" } as RequestInit), env);
      const error = await errorOf(response);
      expect(error).toMatchObject({ status: 401, code: "unauthorized" });
      expect(error.message).toMatch(/unsigned runner request|stale runner request/);
      expect(seen.pulled).toBeLessThanOrEqual(4 * MiB);
    }
  });

  it("answers 413 from Content-Length, after authentication, naming the limit's variable", async () => {
    const response = await app.fetch(
      new Request("http://paxflow.test/v1/jobs", { method: "POST", headers: { ...bearer("submitter"), "content-type": "application/json", "content-length": String(2 * MiB) }, body: "x".repeat(2 * MiB) }),
      env,
    );
    expect(await errorOf(response)).toMatchObject({ status: 413, code: "payload_too_large", message: expect.stringContaining("MAX_JOB_INPUT_BYTES") });
  });

  it("refuses JSON nested deeper than the limit with 400, however deep (an admin command 20,000 levels deep)", async () => {
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    const command = await app.fetch(new Request("http://paxflow.test/v1/commands", { method: "POST", headers: { ...bearer("admin"), "content-type": "application/json" }, body: `{"key":"k","data":${deep}}` }), env);
    expect(await errorOf(command)).toMatchObject({ status: 400, code: "too_deep", message: expect.stringContaining(String(MAX_JSON_DEPTH)) });
    const input = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
    const job = await app.fetch(new Request("http://paxflow.test/v1/jobs", { method: "POST", headers: { ...bearer("submitter"), "content-type": "application/json" }, body: `{"job":"shapes/chain","input":${input}}` }), env);
    expect((await errorOf(job)).code).toBe("too_deep");
  });

  it("refuses a body on a route that takes none", async () => {
    const response = await app.fetch(new Request(`http://paxflow.test/v1/jobs/j-${"0".repeat(24)}`, { method: "DELETE", headers: { ...bearer("admin"), "content-type": "application/json" }, body: "{}" }), env);
    expect(await errorOf(response)).toMatchObject({ status: 400, code: "unexpected_body" });
  });
});
