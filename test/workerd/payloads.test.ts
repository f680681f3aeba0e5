/**
 * Large values over the API: PUT /v1/payloads/:sha256 streams a body to R2 under the digest
 * that names it (refused before a byte is read when it is too long or has no length, refused and
 * not stored when its bytes do not hash to that name), GET gives the same bytes back, and a
 * runner's result may name a stored payload instead of carrying it, but only one that is there.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bytesEqual, encode } from "../../core/codec.ts";
import { deletingKey, holdsPrefix } from "../../core/jobs/payload-holds.ts";
import { payloadKey } from "../../core/jobs/payload.ts";
import { deriveRunnerSecret, newNonce, sha256Hex, signRequest } from "../../runtime/runner-signature.ts";
import { bearer, runnerRequest } from "../shared/tokens.ts";
import { TEST_RUNNER_KEY } from "../shared/test-secrets.ts";

const BASE = "http://paxflow.test";
const RUNNER = "payload-runner";

/** A PUT as a runner sends it: signed with the digest its path names as the body's hash. */
async function put(sha256: string, body: BodyInit | null, headers: Record<string, string> = {}): Promise<Response> {
  const path = `/v1/payloads/${sha256}`;
  const signed = await signRequest({ runnerId: RUNNER, secret: await deriveRunnerSecret(TEST_RUNNER_KEY, RUNNER), method: "PUT", url: `${BASE}${path}`, bodySha256: sha256, now: Date.now(), nonce: newNonce() });
  return exports.default.fetch(new Request(`${BASE}${path}`, { method: "PUT", headers: { "content-type": "application/cbor", ...signed, ...headers }, body }));
}

const get = (sha256: string) => exports.default.fetch(new Request(`${BASE}/v1/payloads/${sha256}`, { headers: bearer("admin") }));

async function errorCode(response: Response): Promise<string> {
  expect(response.headers.get("content-type")).toContain("application/json");
  return ((await response.json()) as { error: { code: string } }).error.code;
}

/** Bytes above the inline limit, different per call. */
const large = (seed: number) => encode(Float64Array.from({ length: 40_000 }, (_, i) => i * seed));

describe("PUT /v1/payloads/:sha256", () => {
  it("stores the bytes under their digest, and GET gives back exactly those bytes", async () => {
    const bytes = large(3);
    const sha256 = await sha256Hex(bytes);
    const stored = await put(sha256, bytes);
    expect(stored.status).toBe(201);
    expect(await stored.json()).toEqual({ r2: sha256, bytes: bytes.byteLength });
    const fetched = await get(sha256);
    expect(fetched.status).toBe(200);
    expect(bytesEqual(new Uint8Array(await fetched.arrayBuffer()), bytes)).toBe(true);
    // The same name is the same bytes: stored once.
    const again = await put(sha256, bytes);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ r2: sha256, bytes: bytes.byteLength });
  });

  it("a client with the submit scope may upload too; a read token or no credentials may not", async () => {
    const bytes = large(5);
    const sha256 = await sha256Hex(bytes);
    const as = (headers: Record<string, string>) =>
      exports.default.fetch(new Request(`${BASE}/v1/payloads/${sha256}`, { method: "PUT", headers: { "content-type": "application/cbor", ...headers }, body: bytes }));
    expect((await as({})).status).toBe(401);
    expect((await as(bearer("reader"))).status).toBe(403);
    expect((await as(bearer("submitter"))).status).toBe(201);
  });

  it("refuses a body over MAX_PAYLOAD_BYTES with 413 before reading it", async () => {
    // A body that never ends: had the route waited for it, there would be no answer at all.
    const endless = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    const response = await put("ab".repeat(32), endless, { "content-length": String(200 * 1024 * 1024) });
    expect(response.status).toBe(413);
    expect(await errorCode(response)).toBe("payload_too_large");
  });

  it("refuses a body without Content-Length with 411", async () => {
    const response = await put("ab".repeat(32), new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(4)), c.close()) }));
    expect(response.status).toBe(411);
    expect(await errorCode(response)).toBe("length_required");
  });

  it("refuses bytes that do not hash to the name (corrupt, truncated), and stores nothing", async () => {
    const bytes = large(7);
    const sha256 = await sha256Hex(bytes);
    const corrupt = bytes.slice();
    corrupt[1_000] = corrupt[1_000]! ^ 0xff;
    const refused = await put(sha256, corrupt);
    expect(refused.status).toBe(400);
    expect(await errorCode(refused)).toBe("digest_mismatch");
    const truncated = await put(sha256, bytes.subarray(0, bytes.byteLength - 100));
    expect(truncated.status).toBe(400);
    expect(await errorCode(truncated)).toBe("digest_mismatch");
    expect((await get(sha256)).status).toBe(404);
  });

  it("refuses a runner whose signature does not cover the named digest", async () => {
    const bytes = large(11);
    const sha256 = await sha256Hex(bytes);
    const path = `/v1/payloads/${sha256}`;
    // Signed as a JSON body would be: over the body's own hash, which is not how this route is signed.
    const signed = await signRequest({ runnerId: RUNNER, secret: await deriveRunnerSecret(TEST_RUNNER_KEY, RUNNER), method: "PUT", url: `${BASE}${path}`, bodySha256: "cd".repeat(32), now: Date.now(), nonce: newNonce() });
    const response = await exports.default.fetch(new Request(`${BASE}${path}`, { method: "PUT", headers: { ...signed }, body: bytes }));
    expect(response.status).toBe(401);
  });
});

describe("a result that names a stored payload", () => {
  it("is refused (400 payload_missing) when nothing of that size is stored, so the call gets no result from it", async () => {
    const report = { job: "j-" + "0".repeat(24), seq: 0, attempt: 1, outcome: { ok: true, value: { r2: "ef".repeat(32), bytes: 100_000 } }, startedAt: 1, finishedAt: 2 };
    const response = await exports.default.fetch(await runnerRequest("POST", `/v1/nodes/${RUNNER}/results`, RUNNER, report));
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("payload_missing");
    expect(env.PAYLOADS).toBeDefined();
  });
});

describe("a submit whose input blob is gone or going", () => {
  /** Large enough to be stored in R2 (over INLINE_PAYLOAD_BYTES), its own per test. */
  const inputOf = (word: string) => ({ text: `${word} `.repeat(4_000), chunkChars: 50_000 });
  const submit = (input: unknown) =>
    exports.default.fetch(new Request(`${BASE}/v1/jobs`, { method: "POST", headers: { ...bearer("admin"), "content-type": "application/json", prefer: "wait=20" }, body: JSON.stringify({ job: "word-count", input }) }));
  /** The blob's digest, as the API seals the JSON input (core/codec.ts). */
  const digestOf = async (input: unknown) => sha256Hex(encode(input as Parameters<typeof encode>[0]));
  const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string; retryable: boolean } }).error;

  it("is refused with 409 payload_deleting while a delete of it is under way, naming the blob; the submit after the delete succeeds", async () => {
    const input = inputOf("deleting");
    const sha256 = await digestOf(input);
    // A deleter's mark that stays (its commander stopped mid-delete): the holder waits about 3 s, then refuses.
    await env.PAYLOADS.put(deletingKey(sha256, "gone-commander"), new Uint8Array(0));
    const refused = await submit(input);
    expect(refused.status).toBe(409);
    expect(refused.headers.get("retry-after")).toBe("1");
    const error = await errorOf(refused);
    expect(error.code).toBe("payload_deleting");
    expect(error.message).toContain(`payload ${sha256} is being deleted`);
    expect(error.message).toContain(`upload it again (PUT /v1/payloads/${sha256}`);
    await env.PAYLOADS.delete(deletingKey(sha256, "gone-commander"));
    const again = await submit(input);
    expect(again.status, await again.clone().text()).toBe(200);
    expect(((await again.json()) as { status: string }).status).toBe("done");
  });

  it("is refused with 400 payload_missing when the blob went before the hold looked (not 503), naming it; a submit again uploads it and succeeds", async () => {
    const input = inputOf("missing");
    const sha256 = await digestOf(input);
    const mark = deletingKey(sha256, "slow-commander");
    await env.PAYLOADS.put(mark, new Uint8Array(0));
    const refused = submit(input);
    // The delete ends while the holder waits on the mark: the blob goes first, then the mark.
    while ((await env.PAYLOADS.list({ prefix: holdsPrefix(sha256) })).objects.length === 0) await scheduler.wait(5);
    await env.PAYLOADS.delete(payloadKey(sha256));
    await env.PAYLOADS.delete(mark);
    const response = await refused;
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("payload_missing");
    expect(error.message).toContain(`payload ${sha256} is not in the payload store`);
    expect(error.message).toContain(`upload it again (PUT /v1/payloads/${sha256}`);
    const again = await submit(input);
    expect(again.status, await again.clone().text()).toBe(200);
    expect(((await again.json()) as { status: string }).status).toBe("done");
  });
});
