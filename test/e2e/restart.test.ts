/**
 * The whole plane (wrangler dev and workerd) restarted from its persisted state in the middle of
 * a job: stopped cleanly (SIGTERM) or crashed (SIGKILL) while calls run on a runner, started
 * again on the same state directory and port. The runner reports its results once the API
 * answers again (it retries), a new commander incarnation rebuilds the job from the acceptors,
 * and the job finishes with the right result; every call has exactly one chosen result.
 *
 * monte-carlo/sample is declared at 600 ms with a 10 s timeout: a runner at speed 50 predicts
 * 12 ms plus transfer, far ahead of the stage Worker, so it gets every call; its 2 s delay keeps
 * them in flight across the restart.
 */
import { describe, expect, it } from "vitest";
import { eventually, expectedOutput, finished, getJob, inFlightOn, jobEvents, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

// One chosen result per call is the subject: verification off, so a new runner's calls are not also answered by a second node.
const local = useLocalCluster({ vars: { VERIFY_NEW_NODE_CALLS: "0" } });

describe("the local cluster restarted from persisted state mid-job", () => {
  it.each(["SIGTERM", "SIGKILL"] as const)("%s: the job in flight finishes with the right result, one result per call", async (signal) => {
    showLogOnFailure(local);
    // A fresh runner per case: the scheduler learns from the first case that a runner with a 2 s
    // delay per call is far slower than its declared speed 50, and would rightly avoid it.
    const steady = `steady-${signal.toLowerCase()}`;
    // Declared faster in the second case, so it wins even against a runner the plane has not
    // yet noticed is gone (a SIGTERMed runner stays registered until a call to it fails).
    await local.cluster.startRunners([{ id: steady, kind: "cpu", speed: signal === "SIGTERM" ? 50 : 100, slots: 4, delayMs: 2_000 }]);
    const input = { seed0: signal === "SIGTERM" ? 100 : 200, runs: 3, samplesPerRun: 20_000 };
    const id = await submit(local.cluster, "monte-carlo/pi", input);
    await inFlightOn(local.cluster, id, steady);
    const before = await getJob(local.cluster, id);
    expect(before.status).toBe("running");

    await local.cluster.stopWorkerd(signal);
    await local.cluster.startWorkerd();

    const job = await finished(local.cluster, id);
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(job.output).toEqual(expectedOutput("monte-carlo/pi", input));
    expect(job.calls).toHaveLength(3);
    const { events, end } = await jobEvents(local.cluster, id);
    expect(end).toBe("done");
    for (const call of job.calls) {
      expect(call.status, `call ${call.seq}`).toBe("done");
      const results = events.filter((e) => e.type === "call.result" && e.seq === call.seq);
      expect(results, `call ${call.seq} has exactly one chosen result`).toHaveLength(1);
      expect(results[0]!.node, `call ${call.seq}'s result is the one the job shows`).toBe(call.node);
      // The chosen result answers an attempt that went to that node.
      expect(call.attempts.find((a) => a.attempt === results[0]!.attempt)?.node).toBe(call.node);
    }
    // Events are numbered without gaps or repeats across the restart.
    expect(events.map((e) => e.n)).toEqual(events.map((_, i) => i + 1));
    // Out of the next case's way: after a restart the new commander has not learned this
    // runner's delay yet, and would tie it with the next case's fresh runner.
    await local.cluster.stopRunner(steady);
  });

  it("jobs submitted before the restarts are still there after them", async () => {
    showLogOnFailure(local);
    const input = { seed: 42 };
    const id = await submit(local.cluster, "shapes/chain", input);
    const done = await finished(local.cluster, id);
    await local.cluster.stopWorkerd("SIGTERM");
    await local.cluster.startWorkerd();
    const after = await eventually(`job ${id} after the restart`, () => getJob(local.cluster, id));
    expect(after).toEqual(done);
    expect(after.output).toEqual(expectedOutput("shapes/chain", input));
    // Right after a restart a shard may answer 503 for a moment while a commander takes over.
    const names = await eventually("GET /v1/jobs to answer", async () => {
      const list = await local.cluster.api("/v1/jobs?limit=500");
      if (list.status !== 200) throw new Error(`HTTP ${list.status}: ${list.text}`);
      return (list.json as { jobs: { id: string; name: string; status: string }[] }).jobs;
    });
    expect(names.filter((j) => j.name === "monte-carlo/pi" && j.status === "done")).toHaveLength(2);
    expect(names.map((j) => j.id)).toContain(id);
  });
});
