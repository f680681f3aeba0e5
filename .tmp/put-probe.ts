import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { LocalCluster, freePort } from "../cli/local-cluster.ts";
const cluster = new LocalCluster({ port: await freePort(), inspectorPort: await freePort(), persistTo: join(mkdtempSync(join(tmpdir(), "probe-")), "s"), vars: {}, output: (_s, l) => { if (l.includes("chunks")) console.log(l); } });
await cluster.startWorkerd();
async function during<T>(what: string, op: () => Promise<T>): Promise<T> {
  let done = false; const lat: number[] = []; const ps: Promise<void>[] = [];
  const p = op().finally(() => (done = true));
  while (!done) { const t = performance.now(); ps.push(cluster.api("/v1/cluster", { timeoutMs: 10000 }).then(() => void lat.push(performance.now() - t), () => void lat.push(99999))); await new Promise((r) => setTimeout(r, 50)); }
  await Promise.all(ps); lat.sort((a, b) => a - b);
  console.log(what, "polls", lat.length, "p50", Math.round(lat[lat.length >> 1] ?? 0), "max", Math.round(lat.at(-1) ?? 0));
  return p;
}
for (const mb of [5, 20, 50]) {
  const bytes = new Uint8Array(mb * 1_000_000); for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096 + mb) & 255;
  const sha = createHash("sha256").update(bytes).digest("hex");
  let t = performance.now();
  const put = await during(`put ${mb}`, () => fetch(`${cluster.url}/v1/payloads/${sha}`, { method: "PUT", headers: { ...cluster.auth, "content-type": "application/cbor" }, body: bytes }));
  const putMs = performance.now() - t; await put.text();
  t = performance.now();
  const get = await fetch(`${cluster.url}/v1/payloads/${sha}`, { headers: cluster.auth });
  const got = await during(`get ${mb}`, async () => new Uint8Array(await get.arrayBuffer()));
  console.log(mb, "MB put", put.status, Math.round(putMs), "ms; get", get.status, got.length, Math.round(performance.now() - t), "ms");
}
await cluster.stop();
process.exit(0);
