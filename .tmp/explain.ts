import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster, freePort } from "../cli/local-cluster.ts";
const cluster = new LocalCluster({ port: await freePort(), inspectorPort: await freePort(), persistTo: join(mkdtempSync(join(tmpdir(), "probe-")), "s"), vars: { VERIFY_NEW_NODE_CALLS: "0", VERIFY_FRACTION: "0" }, output: (src, l) => { if (/r1|warn|error/i.test(l)) console.log(src, l.slice(0, 300)); } });
await cluster.startWorkerd();
await cluster.startRunners([{ id: "r1", kind: "cpu", speed: 100, slots: 2 }]);
for (const bytes of [2_000_000, 2_000_000]) {
const a = await cluster.api("/v1/jobs", { method: "POST", body: { job: "payloads/roundtrip", input: { bytes } }, headers: { prefer: "wait=60" }, timeoutMs: 90000 });
const id = (a.json as any).id;
const ex = await cluster.api(`/v1/jobs/${id}/explain`);
console.log(JSON.stringify((ex.json as any).calls.map((c: any) => [c.resultFrom, c.attempts?.map((a: any) => [a.node, a.reason, a.timedOutAt && a.timedOutAt - a.dispatchedAt])])));
}
await cluster.stop(); process.exit(0);
