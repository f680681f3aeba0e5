import { describe, expect, it } from "vitest";
import { Histogram } from "../../runtime/histogram.ts";
import { renderMetrics } from "../../workers/prometheus.ts";

const counters = { duplicateResults: 1, lateResults: 2, staleDecisions: 3, malformedDecisions: 0, timeouts: 4, redispatches: 5, verifiedCalls: 6, disputes: 7, quarantines: 8, distrustedResults: 0 };

describe("GET /metrics rendering", () => {
  it("writes every family with HELP and TYPE, labels escaped, histograms cumulative with +Inf = count", () => {
    const h = new Histogram([1, 10]);
    for (const v of [0.5, 3, 3, 50]) h.observe(v);
    const text = renderMetrics([
      {
        shard: 0,
        jobs: {
          jobs: { running: 2, done: 5, failed: 1, cancelled: 0 },
          calls: [{ node: 'cpu"1', outcome: "ok", count: 9 }],
          counters,
          suspicions: [{ node: "cpu-2", verdict: "suspect" }],
          loads: [{ node: "cpu-1", queue: 3, inFlight: 1 }],
        },
        commanders: [{ name: "shard-0/commander-0", leader: true, commitLatencyMs: h.snapshot(), elections: 2 }],
      },
      { shard: 1, jobs: null, commanders: [] },
    ]);
    const lines = text.trimEnd().split("\n");
    for (const family of ["paxflow_jobs", "paxflow_calls", "paxflow_call_timeouts_total", "paxflow_redispatches_total", "paxflow_predicted_failures", "paxflow_node_queue", "paxflow_leader_elections_total", "paxflow_commit_latency_ms"]) {
      expect(lines).toContain(`# TYPE ${family} ${family.endsWith("_total") ? "counter" : family === "paxflow_commit_latency_ms" ? "histogram" : "gauge"}`);
    }
    expect(lines).toContain('paxflow_shard_up{shard="1"} 0');
    expect(lines).toContain('paxflow_jobs{shard="0",status="done"} 5');
    expect(lines).toContain('paxflow_calls{shard="0",node="cpu\\"1",outcome="ok"} 9');
    expect(lines).toContain('paxflow_call_timeouts_total{shard="0"} 4');
    expect(lines).toContain('paxflow_predicted_failures{shard="0",node="cpu-2",verdict="suspect"} 1');
    expect(lines).toContain('paxflow_node_queue{shard="0",node="cpu-1"} 3');
    expect(lines).toContain('paxflow_commit_latency_ms_bucket{shard="0",commander="shard-0/commander-0",le="1"} 1');
    expect(lines).toContain('paxflow_commit_latency_ms_bucket{shard="0",commander="shard-0/commander-0",le="10"} 3');
    expect(lines).toContain('paxflow_commit_latency_ms_bucket{shard="0",commander="shard-0/commander-0",le="+Inf"} 4');
    expect(lines).toContain('paxflow_commit_latency_ms_sum{shard="0",commander="shard-0/commander-0"} 56.5');
    // Every sample line is `name{labels} number`.
    for (const line of lines.filter((l) => !l.startsWith("#"))) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? -?\d+(\.\d+)?$/);
  });
});
