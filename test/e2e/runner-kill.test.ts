/**
 * A runner killed (SIGKILL) in the middle of a call: the plane times the attempt out, marks the
 * runner unresponsive, re-dispatches the call elsewhere, and the job still finishes with the
 * right result. Started again under the same id, the runner is ranked in again.
 *
 * shapes/spin is declared at 50 ms with a 5 s timeout. A runner at speed 50 predicts 1 ms plus
 * transfer, far ahead of the stage Worker (50 ms), so it gets the call; the deadline is
 * 5 s / min(1, speed) + transfer after the dispatch.
 */
import { describe, expect, it } from "vitest";
import type { RunnerSpec } from "../../cli/local-cluster.ts";
import { eventually, expectedOutput, finished, inFlightOn, jobEvents, nodeView, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

// Re-dispatch is the subject: verification off, so the killed runner's call is not also on a second node from the start
// (with it on, the verifying attempt's answer is taken instead: test/shared/jobs-conformance.ts).
const local = useLocalCluster({ vars: { VERIFY_NEW_NODE_CALLS: "0" } });

describe("a runner killed mid-call", () => {
  it("the attempt times out, the call runs elsewhere, the runner is unresponsive; restarted, it is ranked in again", async () => {
    showLogOnFailure(local);
    // A delay far beyond the deadline: the call is certainly still running there when it is killed.
    const fast: RunnerSpec = { id: "fast", kind: "cpu", speed: 50, slots: 1, delayMs: 60_000 };
    await local.cluster.startRunners([fast]);
    const input = { iterations: 200_000, salt: 17 };
    const id = await submit(local.cluster, "shapes/spin", input);
    await inFlightOn(local.cluster, id, "fast");
    await local.cluster.stopRunner("fast", "SIGKILL");

    const job = await finished(local.cluster, id);
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(job.output).toEqual(expectedOutput("shapes/spin", input));
    const call = job.calls[0]!;
    expect(call.attemptCount).toBeGreaterThanOrEqual(2);
    expect(call.attempts[0]!.node).toBe("fast");
    expect(call.attempts[0]!.timedOutAt, "the first attempt timed out").toBeDefined();
    // Silent at its deadline, or refused when the drain of its failing node moved it off.
    expect(["silent", "refused"]).toContain(call.attempts[0]!.ending);
    const explained = (await local.cluster.api(`/v1/jobs/${id}/explain`)).json as { calls: { attempts: { ending?: string }[] }[] };
    expect(explained.calls[0]!.attempts[0]!.ending, "explain says how the first attempt ended").toBe(call.attempts[0]!.ending);
    expect(call.node, "the result came from another node").not.toBe("fast");
    expect(call.attempts.at(-1)!.reason).toMatch(/^re-dispatch after fast\b/);
    const { events } = await jobEvents(local.cluster, id);
    expect(events.filter((e) => e.type === "call.timeout").map((e) => [e.seq, e.attempt, e.node])).toContainEqual([0, 1, "fast"]);
    expect(events.filter((e) => e.type === "call.result"), "one result for the one call").toHaveLength(1);

    const dead = await eventually("GET /v1/nodes to show fast unresponsive", async () => {
      const n = await nodeView(local.cluster, "fast");
      return n?.status === "unresponsive" ? n : undefined;
    });

    // The same id again (a new process on a new port): it registers, heartbeats, and is up again.
    await local.cluster.startRunners([{ ...fast, delayMs: 0 }]);
    const back = await eventually("fast to be up again and heartbeating", async () => {
      const n = await nodeView(local.cluster, "fast");
      return n?.status === "up" && n.lastHeartbeat && n.lastHeartbeat.at > dead.since ? n : undefined;
    });
    expect(back.registeredAt, "the same node, registered again (its first registration is kept)").toBeLessThan(dead.since);
    expect(back.spec.url).toBe(local.cluster.runners.get("fast")!.url);
    // Ranked in again: it is a candidate for the next long call, placed by predicted finish. The
    // scheduler remembers the timed-out call, so its learned figures may still put it behind the
    // stage Worker; then the logged reason says so.
    const again = { iterations: 1_000, salt: 18 };
    const next = await finished(local.cluster, await submit(local.cluster, "shapes/spin", again));
    expect(next.output).toEqual(expectedOutput("shapes/spin", again));
    const [attempt] = next.calls[0]!.attempts;
    expect(attempt!.alternatives.map((c) => c.node)).toContain("fast");
    const best = Math.min(...attempt!.alternatives.map((c) => c.finishAt));
    expect(attempt!.alternatives.find((c) => c.node === attempt!.node)!.finishAt).toBe(best);
    if (attempt!.node !== "fast") expect(attempt!.reason).toMatch(/learned|fast is/);
  });
});
