/**
 * A runner frozen (SIGSTOP) in the middle of a call: the plane times the attempt out, marks the
 * runner unresponsive and runs the call elsewhere. Thawed (SIGCONT), the runner heartbeats
 * again without registering again: the plane probes its status and ranks it back in
 * (node.back, with the load it reported).
 *
 * shapes/spin is declared at 50 ms with a 5 s timeout; a runner at speed 50 gets the call.
 */
import { describe, expect, it } from "vitest";
import { eventually, expectedOutput, finished, getJob, inFlightOn, nodeView, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

const local = useLocalCluster();

describe("a runner frozen mid-call", () => {
  it("is marked unresponsive, the call runs elsewhere; thawed, its heartbeat brings it back with its load", async () => {
    showLogOnFailure(local);
    const [runner] = await local.cluster.startRunners([{ id: "frozen", kind: "cpu", speed: 50, slots: 1, delayMs: 1_000 }]);
    const input = { iterations: 300_000, salt: 23 };
    const id = await submit(local.cluster, "shapes/spin", input);
    await inFlightOn(local.cluster, id, "frozen");
    runner!.process.signal("SIGSTOP");
    try {
      const job = await finished(local.cluster, id);
      expect(job.status, JSON.stringify(job.error)).toBe("done");
      expect(job.output).toEqual(expectedOutput("shapes/spin", input));
      expect(job.calls[0]!.attempts[0]).toMatchObject({ node: "frozen", timedOutAt: expect.any(Number) });
      expect(job.calls[0]!.node).not.toBe("frozen");
      const unresponsive = await eventually("GET /v1/nodes to show frozen unresponsive", async () => {
        const n = await nodeView(local.cluster, "frozen");
        return n?.status === "unresponsive" ? n : undefined;
      });

      runner!.process.signal("SIGCONT");
      // Several shards each keep a view of the node; GET /v1/nodes shows the one that heard from it last.
      const back = await eventually("frozen to come back (node.back, with the load it reported)", async () => {
        const n = await nodeView(local.cluster, "frozen");
        return n?.status === "up" && n.since > unresponsive.since && n.load ? n : undefined;
      });
      expect(back.load).toEqual({ queue: expect.any(Number), inFlight: expect.any(Number), bytesIn: expect.any(Number), bytesOut: expect.any(Number) });
      expect(back.registeredAt, "not registered again: it came back by heartbeat").toBeLessThan(unresponsive.since);

      // Its late answer for the first attempt does not replace the result the call already has.
      const after = await getJob(local.cluster, id);
      expect(after.output).toEqual(job.output);
      expect(after.calls[0]!.node).toBe(job.calls[0]!.node);
    } finally {
      runner!.process.signal("SIGCONT");
    }
  });
});
