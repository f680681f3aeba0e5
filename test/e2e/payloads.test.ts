/**
 * Large values on the real local cluster (wrangler dev and a CPU runner, over HTTP): a job whose
 * values are far above the inline limit runs through a runner and gives the right answer, an
 * upload comes back byte for byte, and the API refuses an upload that is too long before
 * reading it and one whose bytes do not hash to its name.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encode } from "../../core/codec.ts";
import { getJob, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

// Every call on the runner: no verification on the stage Worker, which is declared far away (bench/payload-case.ts says why).
const cluster = useLocalCluster({ vars: { MAX_PAYLOAD_BYTES: String(4 * 1024 * 1024), VERIFY_FRACTION: "0", VERIFY_NEW_NODE_CALLS: "0", WORKER_LATENCY_MS: "60000" } });
const RUNNER = "cpu-payloads";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function put(hash: string, body: Uint8Array, headers: Record<string, string> = cluster.cluster.auth): Promise<Response> {
  return fetch(`${cluster.cluster.url}/v1/payloads/${hash}`, { method: "PUT", headers: { "content-type": "application/cbor", ...headers }, body });
}

describe("large payloads on the local cluster", () => {
  it("runs a job whose values are 2 MB each through a runner, from runner to R2 to runner", async () => {
    showLogOnFailure(cluster);
    await cluster.cluster.startRunners([{ id: RUNNER, kind: "cpu", slots: 2 }]);
    const bytes = 2_000_000;
    const id = await submit(cluster.cluster, "payloads/roundtrip", { bytes });
    const job = await getJob(cluster.cluster, id, 60);
    let expected = 0;
    for (let i = 0; i < bytes / 8; i++) expected += (i % 1_000) + 1;
    expect(job).toMatchObject({ status: "done", output: expected });
    // Every call ran on the runner: none was read or run by the commander.
    expect(job.calls.map((c) => c.node)).toEqual([RUNNER, RUNNER, RUNNER]);
  });

  it("gives an uploaded value back byte for byte, and stores it once", async () => {
    showLogOnFailure(cluster);
    const bytes = encode(Float64Array.from({ length: 300_000 }, (_, i) => Math.sqrt(i)));
    const hash = sha256(bytes);
    expect((await put(hash, bytes)).status).toBe(201);
    expect((await put(hash, bytes)).status).toBe(200);
    const fetched = await fetch(`${cluster.cluster.url}/v1/payloads/${hash}`, { headers: cluster.cluster.auth });
    expect(fetched.status).toBe(200);
    expect(sha256(new Uint8Array(await fetched.arrayBuffer()))).toBe(hash);
  });

  it("refuses an upload over MAX_PAYLOAD_BYTES with 413 (test/workerd/payloads.test.ts: before reading it)", async () => {
    showLogOnFailure(cluster);
    const bytes = new Uint8Array(5 * 1024 * 1024);
    const refused = await put(sha256(bytes), bytes);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("refuses an upload whose bytes do not hash to its name, and a result that names it", async () => {
    showLogOnFailure(cluster);
    const bytes = encode(Float64Array.from({ length: 100_000 }, (_, i) => i));
    const hash = sha256(bytes);
    const truncated = await put(hash, bytes.subarray(0, bytes.byteLength - 1_000));
    expect(truncated.status).toBe(400);
    expect(await truncated.json()).toMatchObject({ error: { code: "digest_mismatch" } });
    const report = { job: `j-${"0".repeat(24)}`, seq: 0, attempt: 1, outcome: { ok: true, value: { r2: hash, bytes: bytes.byteLength } }, startedAt: 1, finishedAt: 2 };
    const refused = await cluster.cluster.asRunner(RUNNER, `/v1/nodes/${RUNNER}/results`, { method: "POST", body: report });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: { code: "payload_missing" } });
  });
});
