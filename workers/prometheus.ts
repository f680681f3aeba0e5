/**
 * GET /metrics in the Prometheus text format (version 0.0.4): what each shard's leader knows of
 * its jobs, calls, nodes and scheduler, and what each commander measured of its commits.
 */
import type { HistogramSnapshot } from "../runtime/histogram.ts";
import type { JobsMetrics } from "../runtime/jobs/contract.ts";

export interface ShardMetrics {
  readonly shard: number;
  /** From the shard's leader; null when no commander could answer. */
  readonly jobs: JobsMetrics | null;
  readonly commanders: readonly { readonly name: string; readonly leader: boolean; readonly commitLatencyMs: HistogramSnapshot; readonly elections: number }[];
}

type Labels = Readonly<Record<string, string | number>>;

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labels = (l: Labels) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escape(String(v))}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

class Exposition {
  private readonly lines: string[] = [];
  family(name: string, type: "counter" | "gauge" | "histogram", help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }
  sample(name: string, l: Labels, value: number): void {
    this.lines.push(`${name}${labels(l)} ${Number.isFinite(value) ? value : 0}`);
  }
  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

const COUNTERS = [
  ["timeouts", "paxflow_call_timeouts_total", "attempts that got no result by their deadline"],
  ["redispatches", "paxflow_redispatches_total", "dispatches after a call's first attempt (timeouts, refusals, speculative backups)"],
  ["duplicateResults", "paxflow_duplicate_results_total", "results for calls that already had one: dropped"],
  ["lateResults", "paxflow_late_results_total", "results after their job ended: dropped"],
  ["staleDecisions", "paxflow_stale_decisions_total", "decisions that no longer fit the state (raced by another commander): ignored"],
  ["verifiedCalls", "paxflow_verified_calls_total", "calls whose result two nodes confirmed"],
  ["disputes", "paxflow_verification_disputes_total", "verified calls whose answers disagreed"],
  ["quarantines", "paxflow_quarantines_total", "nodes quarantined for a wrong answer"],
] as const;

export function renderMetrics(shards: readonly ShardMetrics[]): string {
  const out = new Exposition();
  out.family("paxflow_shard_up", "gauge", "1 when the shard's leader answered");
  for (const s of shards) out.sample("paxflow_shard_up", { shard: s.shard }, s.jobs ? 1 : 0);

  out.family("paxflow_jobs", "gauge", "jobs a shard holds (finished ones for JOB_RETENTION, sub-jobs included) by status");
  for (const s of shards) for (const [status, n] of Object.entries(s.jobs?.jobs ?? {})) out.sample("paxflow_jobs", { shard: s.shard, status }, n);

  out.family("paxflow_calls", "gauge", "calls of the jobs a shard holds, by the node that answered or runs them and how they ended");
  for (const s of shards) for (const c of s.jobs?.calls ?? []) out.sample("paxflow_calls", { shard: s.shard, node: c.node, outcome: c.outcome }, c.count);

  for (const [key, name, help] of COUNTERS) {
    out.family(name, "counter", help);
    for (const s of shards) if (s.jobs) out.sample(name, { shard: s.shard }, s.jobs.counters[key]);
  }

  out.family("paxflow_predicted_failures", "gauge", "nodes the scheduler judges suspect (failure predicted) or failed");
  for (const s of shards) for (const p of s.jobs?.suspicions ?? []) out.sample("paxflow_predicted_failures", { shard: s.shard, node: p.node, verdict: p.verdict }, 1);

  out.family("paxflow_node_queue", "gauge", "calls waiting on a runner, as it last reported");
  for (const s of shards) for (const l of s.jobs?.loads ?? []) out.sample("paxflow_node_queue", { shard: s.shard, node: l.node }, l.queue);
  out.family("paxflow_node_in_flight", "gauge", "calls running on a runner, as it last reported");
  for (const s of shards) for (const l of s.jobs?.loads ?? []) out.sample("paxflow_node_in_flight", { shard: s.shard, node: l.node }, l.inFlight);

  out.family("paxflow_leader", "gauge", "1 for the commander that leads its shard");
  for (const s of shards) for (const c of s.commanders) out.sample("paxflow_leader", { shard: s.shard, commander: c.name }, c.leader ? 1 : 0);

  out.family("paxflow_leader_elections_total", "counter", "times a commander incarnation was elected (resets when the Durable Object restarts)");
  for (const s of shards) for (const c of s.commanders) out.sample("paxflow_leader_elections_total", { shard: s.shard, commander: c.name }, c.elections);

  out.family("paxflow_commit_latency_ms", "histogram", "time from a commander's submit to its commands being applied, in ms");
  for (const s of shards) {
    for (const c of s.commanders) {
      const h = c.commitLatencyMs;
      let cumulative = 0;
      h.bounds.forEach((le, i) => {
        cumulative += h.counts[i] ?? 0;
        out.sample("paxflow_commit_latency_ms_bucket", { shard: s.shard, commander: c.name, le }, cumulative);
      });
      out.sample("paxflow_commit_latency_ms_bucket", { shard: s.shard, commander: c.name, le: "+Inf" }, h.count);
      out.sample("paxflow_commit_latency_ms_sum", { shard: s.shard, commander: c.name }, h.sum);
      out.sample("paxflow_commit_latency_ms_count", { shard: s.shard, commander: c.name }, h.count);
    }
  }
  return out.text();
}
