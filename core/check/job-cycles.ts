/**
 * The cycle search of `paxflow check`'s job graph, kept apart from the TypeScript walk that builds
 * the graph: jobs are numbers, a call site is whatever the caller wants back with each hop.
 */

/** One way job `from` can run job `to`. */
export interface JobEdge<Site> {
  from: number;
  to: number;
  site: Site;
  /** The call passes the caller's own input unchanged (`yield* self(input)`, through aliases). */
  same: boolean;
  /** The call is awaited on every path through the caller's body (not under if, loop, catch, ...). */
  always: boolean;
}

export interface JobCycle<Site> {
  /** The jobs in order, the first one repeated at the end: `[a, b, a]`. */
  jobs: number[];
  /** hops[i] runs jobs[i + 1] from jobs[i]. */
  hops: JobEdge<Site>[];
  /** Every hop always passes its own input along: the first job, once started, waits on itself. */
  deadlock: boolean;
}

const certain = (e: JobEdge<unknown>): boolean => e.same && e.always;

/** Of several calls from one job to another, the one that says most about a deadlock. */
function stronger<S>(a: JobEdge<S>, b: JobEdge<S>): JobEdge<S> {
  const rank = (e: JobEdge<S>): number => (certain(e) ? 2 : e.same ? 1 : 0);
  return rank(b) > rank(a) ? b : a;
}

/**
 * The elementary cycles of the graph (at most `max`: a dense graph has exponentially many), each
 * found once, starting at its smallest job; within that, in edge order, so the result is stable.
 */
export function findJobCycles<S>(jobCount: number, edges: readonly JobEdge<S>[], max = 100): JobCycle<S>[] {
  const adj = Array.from({ length: jobCount }, () => new Map<number, JobEdge<S>>());
  for (const e of edges) {
    const prev = adj[e.from]!.get(e.to);
    adj[e.from]!.set(e.to, prev ? stronger(prev, e) : e);
  }
  const out: JobCycle<S>[] = [];
  for (let s = 0; s < jobCount && out.length < max; s++) {
    const path: JobEdge<S>[] = [];
    const onPath = new Set([s]);
    const dfs = (v: number): void => {
      for (const [w, e] of adj[v]!) {
        if (out.length >= max) return;
        if (w === s) {
          const hops = [...path, e];
          out.push({ jobs: [s, ...hops.map((h) => h.to)], hops, deadlock: hops.every(certain) });
        } else if (w > s && !onPath.has(w)) {
          path.push(e);
          onPath.add(w);
          dfs(w);
          path.pop();
          onPath.delete(w);
        }
      }
    };
    dfs(s);
  }
  return out;
}
