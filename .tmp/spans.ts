import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster, freePort } from "../cli/local-cluster.ts";
const cluster = new LocalCluster({ port: await freePort(), inspectorPort: await freePort(), persistTo: join(mkdtempSync(join(tmpdir(), "probe-")), "s"), vars: { VERIFY_NEW_NODE_CALLS: "0", VERIFY_FRACTION: "0", WORKER_LATENCY_MS: "60000" }, output: (src, l) => { if (/PUT|GET \/v1\/payloads|results/.test(l)) console.log(Date.now() % 100000, src, l.slice(0, 200)); } });
await cluster.startWorkerd();
await cluster.startRunners([{ id: "r1", kind: "cpu", slots: 2 }]);
for (const bytes of [1_000_000, 50_000_000]) {
  const t0 = Date.now();
  console.log("submit", t0 % 100000);
  const a = await cluster.api("/v1/jobs", { method: "POST", body: { job: "payloads/roundtrip", input: { bytes } }, headers: { prefer: "wait=60" }, timeoutMs: 90000 });
  const job = a.json as any;
  console.log("done", Date.now() - t0, "ms", job.status, "accepted", job.acceptedAt - t0, "finished", job.finishedAt - t0);
  for (const c of job.calls) console.log(c.target, "queued", c.queuedAt - t0, "dispatched", c.attempts[0].dispatchedAt - t0, "started", c.startedAt - t0, "finished", c.finishedAt - t0, "node", c.node);
}
await cluster.stop(); process.exit(0);
