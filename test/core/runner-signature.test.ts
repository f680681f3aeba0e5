import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_SKEW_MS, RUNNER_HEADERS, deriveRunnerSecret, newNonce, signRequest, verifyRequest } from "../../runtime/runner-signature.ts";
import { signingHeaders } from "../../runners/plane.ts";

const KEY = "plane-key-for-tests";
const URL_ = "http://plane.test/v1/nodes/cpu-1/heartbeat";
const BODY = JSON.stringify({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 });
const enc = (s: string) => new TextEncoder().encode(s);

async function signed(over: Partial<{ runnerId: string; secret: string; now: number; body: string; url: string }> = {}) {
  const runnerId = over.runnerId ?? "cpu-1";
  return signRequest({ runnerId, secret: over.secret ?? (await deriveRunnerSecret(KEY, runnerId)), method: "POST", url: over.url ?? URL_, body: over.body ?? BODY, now: over.now ?? 1_000_000, nonce: newNonce() });
}

const verify = (headers: Record<string, string>, over: Partial<{ key: string; body: string; url: string; now: number }> = {}) =>
  verifyRequest({ runnerKey: over.key ?? KEY, method: "POST", url: over.url ?? URL_, header: (n) => headers[n], body: enc(over.body ?? BODY), now: over.now ?? 1_000_000 });

describe("runner request signatures", () => {
  it("verifies what a runner signs, naming the runner", async () => {
    const headers = await signed();
    expect(Object.keys(headers).sort()).toEqual(Object.values(RUNNER_HEADERS).sort());
    expect(await verify(headers)).toMatchObject({ ok: true, runnerId: "cpu-1", nonce: headers[RUNNER_HEADERS.nonce] });
    // Only the path and query are signed: a proxy may change the host.
    expect(await verify(headers, { url: "https://edge.example/v1/nodes/cpu-1/heartbeat" })).toMatchObject({ ok: true });
  });

  it("refuses another key, another runner's secret, a changed body or path, a stale timestamp, missing headers", async () => {
    const headers = await signed();
    expect(await verify(headers, { key: "another-key" })).toMatchObject({ ok: false, reason: 'bad signature for runner "cpu-1"' });
    expect(await verify(await signed({ secret: await deriveRunnerSecret(KEY, "cpu-2") }))).toMatchObject({ ok: false });
    expect(await verify(headers, { body: BODY.replace("0", "9") })).toMatchObject({ ok: false });
    expect(await verify(headers, { url: "http://plane.test/v1/nodes/cpu-2/heartbeat" })).toMatchObject({ ok: false });
    expect(await verify(headers, { now: 1_000_000 + MAX_SKEW_MS + 1 })).toMatchObject({ ok: false, reason: expect.stringMatching(/^stale runner request/) });
    const { [RUNNER_HEADERS.signature]: _, ...unsigned } = headers;
    expect(await verify(unsigned)).toMatchObject({ ok: false, reason: expect.stringMatching(/^unsigned runner request/) });
    expect(await verify({ ...headers, [RUNNER_HEADERS.nonce]: "short" })).toMatchObject({ ok: false, reason: expect.stringContaining("hex digits") });
  });

  it("derives a different secret per runner, and signs each request afresh", async () => {
    expect(await deriveRunnerSecret(KEY, "cpu-1")).not.toBe(await deriveRunnerSecret(KEY, "cpu-2"));
    const sign = signingHeaders("cpu-1", await deriveRunnerSecret(KEY, "cpu-1"));
    const a = await sign({ method: "POST", url: URL_, body: BODY });
    const b = await sign({ method: "POST", url: URL_, body: BODY });
    expect(a[RUNNER_HEADERS.nonce]).not.toBe(b[RUNNER_HEADERS.nonce]);
    const verdict = await verifyRequest({ runnerKey: KEY, method: "POST", url: URL_, header: (n) => a[n], body: enc(BODY), now: Number(a[RUNNER_HEADERS.timestamp]) });
    expect(verdict).toMatchObject({ ok: true, runnerId: "cpu-1" });
  });

  it("npx paxflow runner-secret prints the derived secret, and refuses without RUNNER_KEY", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ["cli/paxflow.mjs", "runner-secret", "cpu-1"], { cwd: root, encoding: "utf8", env: { ...process.env, RUNNER_KEY: "", ...env } });
    const ok = run({ RUNNER_KEY: KEY });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe(await deriveRunnerSecret(KEY, "cpu-1"));
    const missing = run({});
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("set RUNNER_KEY");
  });
});
