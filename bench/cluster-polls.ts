/**
 * What the API does while a benchmark loads the local cluster: GET /v1/cluster asked again and
 * again, its latency, the polls that got no answer in time, and how often a shard's leader
 * changed (bench:load, bench:payload).
 */
import type { LocalCluster } from "../cli/local-cluster.ts";

export interface Polls {
  /** Latency of each /v1/cluster poll, ms (a failed one counts as the timeout). */
  readonly latencies: number[];
  failed: number;
  /** Times a shard's leader (commander and ballot) changed between polls. */
  leaderChanges: number;
}

/** Polls GET /v1/cluster every `everyMs` (one poll at a time) until stopped; a poll slower than `timeoutMs` fails. */
export function pollClusterEvery(cluster: LocalCluster, everyMs: number, timeoutMs: number): { polls: Polls; stop: () => Promise<void> } {
  const polls: Polls = { latencies: [], failed: 0, leaderChanges: 0 };
  const leaders = new Map<number, string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        // node:http through cluster.api, not fetch: a fetch aborted while workerd stalled mid-answer
        // once never settled, and held bench:payload for minutes after its last job.
        const answer = await cluster.api("/v1/cluster", { timeoutMs });
        if (answer.status !== 200) throw new Error(`status ${answer.status}`);
        const body = answer.json as { shards?: { shard: number; leader: { commander: string; ballot: string } | null }[] };
        polls.latencies.push(performance.now() - started);
        for (const shard of body.shards ?? []) {
          if (!shard.leader) continue;
          const now = `${shard.leader.commander}@${shard.leader.ballot}`;
          const before = leaders.get(shard.shard);
          if (before !== undefined && before !== now) polls.leaderChanges++;
          leaders.set(shard.shard, now);
        }
      } catch {
        polls.failed++;
        polls.latencies.push(timeoutMs);
      }
      const left = everyMs - (performance.now() - started);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    }
  })();
  return {
    polls,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
