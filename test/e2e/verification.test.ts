/**
 * Result verification on the real local cluster: a CPU runner that answers every call wrongly
 * on purpose (`--misbehave lie`) next to an honest one, with VERIFY_FRACTION=1. Every call runs
 * on two nodes; the liar's answers never reach a job, a third node settles each dispute, and the
 * liar ends up quarantined in every shard (and told so in its heartbeat replies).
 */
import { describe, expect, it } from "vitest";
import { eventually, expectedOutput, finished, nodeView, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

const local = useLocalCluster({ vars: { VERIFY_FRACTION: "1" } });

describe("a runner that returns wrong answers", () => {
  it("is outvoted and quarantined; every job still gets the right result", async () => {
    showLogOnFailure(local);
    // The liar is the faster node, so placement sends it the first attempt of every call.
    await local.cluster.startRunners([
      { id: "liar", kind: "cpu", speed: 60, slots: 4, extraArgs: ["--misbehave", "lie"] },
      { id: "honest", kind: "cpu", speed: 40, slots: 4 },
    ]);
    const inputs = [1, 2, 3, 4].map((seed0) => ({ seed0, runs: 3, samplesPerRun: 100_000 }));
    const ids = await Promise.all(inputs.map((input) => submit(local.cluster, "monte-carlo/pi", input)));
    const jobs = await Promise.all(ids.map((id) => finished(local.cluster, id)));
    for (const [i, job] of jobs.entries()) {
      expect(job.status, JSON.stringify(job.error)).toBe("done");
      expect(job.output).toEqual(expectedOutput("monte-carlo/pi", inputs[i]!));
      for (const call of job.calls.filter((c) => c.verify !== undefined)) {
        expect(call.node, `${job.id}#${call.seq}`).not.toBe("liar");
        if (call.verified) {
          expect(call.verified.by, `${job.id}#${call.seq}`).toHaveLength(2);
          expect(call.verified.by).not.toContain("liar");
        } else {
          // Taken unverified only from the plane's own backends, once no runner's answer is left to
          // check (on a loaded machine the honest runner's attempt can time out; the liar's answers
          // no longer count once it is quarantined).
          expect(["worker", "inline"], `${job.id}#${call.seq}: unverified, from ${call.node}`).toContain(call.node);
        }
      }
    }
    const disputed = jobs.flatMap((j) => j.calls).filter((c) => c.verified && c.verified.dissenters?.includes("liar"));
    expect(disputed.length, "at least one call where the liar was outvoted").toBeGreaterThan(0);

    // Quarantined by the shard that caught it, then (through its heartbeats) by the other shard too.
    const liar = await eventually("GET /v1/nodes to show the liar quarantined", async () => {
      const n = await nodeView(local.cluster, "liar");
      return n?.status === "quarantined" ? n : undefined;
    });
    expect(liar.quarantine!.reason).toMatch(/differs from/);
    // The honest runner is never quarantined (under load a late attempt may mark it unresponsive for a while).
    expect((await nodeView(local.cluster, "honest"))!.status).not.toBe("quarantined");
    await eventually("the liar to hear it is quarantined", async () => (local.log.some((l) => l.includes("QUARANTINED by the plane")) ? true : undefined));
    // The heartbeat reply that told it so came after every shard had recorded the quarantine.
    const later = await Promise.all([5, 6, 7, 8].map((seed0) => submit(local.cluster, "monte-carlo/pi", { seed0, runs: 2, samplesPerRun: 50_000 })));
    for (const job of await Promise.all(later.map((id) => finished(local.cluster, id)))) {
      expect(job.status).toBe("done");
      expect(job.calls.flatMap((c) => c.attempts.map((a) => a.node))).not.toContain("liar");
    }
  });
});
