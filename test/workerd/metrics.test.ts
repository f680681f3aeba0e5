/** GET /metrics on the real Worker and Durable Objects in workerd: Prometheus text from every shard. */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bearer } from "../shared/tokens.ts";

const get = (path: string, headers: Record<string, string> = bearer("reader")) => exports.default.fetch(new Request(`http://paxflow.test${path}`, { headers }));

describe("GET /metrics", () => {
  it("needs a token, then shows jobs by status, calls by node, commit latencies and leaders", async () => {
    expect((await get("/metrics", {})).status).toBe(401);
    const submitted = await exports.default.fetch(
      new Request("http://paxflow.test/v1/jobs", { method: "POST", headers: { "content-type": "application/json", prefer: "wait=20", ...bearer() }, body: JSON.stringify({ job: "shapes/chain", input: { seed: 42 } }) }),
    );
    const job = (await submitted.json()) as { status: string; shard: number };
    expect(job.status).toBe("done");
    const response = await get("/metrics");
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    expect(value(new RegExp(`^paxflow_jobs\\{shard="${job.shard}",status="done"\\} (\\d+)$`, "m"))).toBeGreaterThanOrEqual(1);
    expect(value(new RegExp(`^paxflow_calls\\{shard="${job.shard}",node="inline",outcome="ok"\\} (\\d+)$`, "m"))).toBeGreaterThanOrEqual(3);
    expect(value(new RegExp(`^paxflow_commit_latency_ms_count\\{shard="${job.shard}",commander="[^"]+"\\} (\\d+)$`, "m"))).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(new RegExp(`^paxflow_leader\\{shard="${job.shard}",commander="shard-${job.shard}/commander-\\d"\\} 1$`, "m"));
    expect(text).toMatch(/^# TYPE paxflow_commit_latency_ms histogram$/m);
  });
});
