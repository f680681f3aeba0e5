/**
 * Jobs over HTTP against the real local cluster (workerd via wrangler dev, a Node CPU runner):
 * each gives what runLocally gives for the same job and input.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Value } from "../../core/codec.ts";
import { eventually, expectedFailure, expectedOutput, finished, getJob, jobEvents, nodeView, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

const local = useLocalCluster();

beforeAll(async () => {
  // A runner beside the built-in backends, as `paxflow dev` has: jobs must give the same results wherever calls run.
  await local.cluster.startRunners([{ id: "e2e-cpu", kind: "cpu", speed: 2, slots: 2 }]);
});

describe("jobs over HTTP give what runLocally gives", () => {
  it.each([
    ["shapes/chain", { seed: 7 }],
    ["shapes/fanout", { seed: 11 }],
    ["shapes/fails", { catchIt: true }],
    ["word-count", { text: "the quick brown fox jumps over the lazy dog the end", chunkChars: 12 }],
    ["monte-carlo/pi", { seed0: 5, runs: 4, samplesPerRun: 10_000 }],
    ["shapes/spin", { iterations: 100_000, salt: 9 }],
  ] as const)("%s", async (name, input) => {
    showLogOnFailure(local);
    const id = await submit(local.cluster, name, input);
    const job = await finished(local.cluster, id);
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(job.output).toEqual(expectedOutput(name, input as Value));
    for (const call of job.calls) {
      // shapes/fails with catchIt: its call fails, and the job catches that.
      expect(call.status, `call ${call.seq}`).toBe(name === "shapes/fails" ? "failed" : "done");
      expect(call.node, `call ${call.seq} names the node whose result was chosen`).toBeDefined();
    }
  });

  it("fan-out: every call of the all(...) has its own result, and the history says where each ran and why", async () => {
    showLogOnFailure(local);
    const input = { seed: 3 };
    const id = await submit(local.cluster, "shapes/fanout", input);
    const job = await finished(local.cluster, id);
    expect(job.output).toEqual(expectedOutput("shapes/fanout", input));
    expect(job.calls).toHaveLength(8);
    const { events, end } = await jobEvents(local.cluster, id);
    expect(end).toBe("done");
    expect(events[0]!.type).toBe("job.accepted");
    expect(events.at(-1)!.type).toBe("job.finished");
    for (let seq = 0; seq < 8; seq++) {
      const dispatched = events.filter((e) => e.type === "call.dispatched" && e.seq === seq);
      expect(dispatched.length, `call ${seq} dispatched`).toBeGreaterThanOrEqual(1);
      expect(dispatched[0]!.detail, `call ${seq} says why it went to ${dispatched[0]!.node}`).toContain(dispatched[0]!.node!);
      expect(events.filter((e) => e.type === "call.result" && e.seq === seq), `call ${seq} has one result`).toHaveLength(1);
    }
  });

  it("a long stage goes to the runner that finishes it first", async () => {
    showLogOnFailure(local);
    // Placement counts the load a runner last reported: wait for a heartbeat that says it is idle,
    // so calls of earlier tests do not make the stage Worker look sooner.
    const since = Date.now();
    await eventually("e2e-cpu to report itself idle in a fresh heartbeat", async () => {
      const beat = (await nodeView(local.cluster, "e2e-cpu"))?.lastHeartbeat;
      return beat && beat.at > since && beat.load.queue + beat.load.inFlight === 0 ? true : undefined;
    });
    const input = { iterations: 1_000, salt: 4 };
    const id = await submit(local.cluster, "shapes/spin", input);
    const job = await finished(local.cluster, id);
    expect(job.output).toEqual(expectedOutput("shapes/spin", input));
    // Declared at 50 ms: the runner at speed 2 (25 ms + transfer) beats the stage Worker (50 ms);
    // inline never takes it. The scheduler may have learned otherwise from earlier calls (the
    // runner's real round trip, its real speed): then the winner is still the earliest predicted
    // finish, and the logged reason names the learned figure that changed the decision.
    const [attempt] = job.calls[0]!.attempts;
    expect(attempt!.alternatives.map((c) => c.node)).toEqual(expect.arrayContaining(["e2e-cpu", "worker"]));
    expect(attempt!.alternatives.map((c) => c.node)).not.toContain("inline");
    const best = Math.min(...attempt!.alternatives.map((c) => c.finishAt));
    expect(attempt!.alternatives.find((c) => c.node === attempt!.node)!.finishAt).toBe(best);
    if (attempt!.node !== "e2e-cpu") expect(attempt!.reason).toMatch(/learned/);
    // A new runner's first calls are verified (VERIFY_NEW_NODE_CALLS): the result is then the first of the agreeing answers.
    const { node, verified } = job.calls[0]!;
    if (verified) expect(verified.by).toEqual(expect.arrayContaining([attempt!.node, node]));
    else expect(node).toBe(attempt!.node);
  });

  it("sub-jobs (shapes/nested): two chains as sub-jobs, each visible as a job of its own", async () => {
    showLogOnFailure(local);
    const input = { seed: 5 };
    const id = await submit(local.cluster, "shapes/nested", input);
    const job = await finished(local.cluster, id);
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(job.output).toEqual(expectedOutput("shapes/nested", input));
    expect(job.calls.map((c) => [c.kind, c.target, c.status])).toEqual([
      ["job", "shapes/chain@1", "done"],
      ["job", "shapes/chain@1", "done"],
    ]);
    const first = await getJob(local.cluster, job.calls[0]!.child!);
    expect(first.status).toBe("done");
    expect(first.output).toEqual(expectedOutput("shapes/chain", input));
    expect(first.calls).toHaveLength(3);
  });

  it("a stage that throws and is not caught fails the job, naming the error", async () => {
    showLogOnFailure(local);
    const input = { catchIt: false };
    const id = await submit(local.cluster, "shapes/fails", input);
    const job = await finished(local.cluster, id);
    expect(job.status).toBe("failed");
    const expected = expectedFailure("shapes/fails", input);
    expect(job.error).toMatchObject({ kind: "error", name: expected.name, message: expected.message });
    expect(job.error!.message).toContain("explode: on purpose");
    expect(job.output).toBeUndefined();
    expect(job.calls[0]).toMatchObject({ status: "failed", error: { name: "RangeError", message: "explode: on purpose" } });
    const { events, end } = await jobEvents(local.cluster, id);
    expect(end).toBe("failed");
    expect(events.at(-1)).toMatchObject({ type: "job.finished", detail: expect.stringContaining("explode: on purpose") });
  });

  it("a sub-job that waits on itself fails the job with a wait-cycle error", async () => {
    showLogOnFailure(local);
    const id = await submit(local.cluster, "shapes/recurse", { depth: 2, loop: true });
    const job = await finished(local.cluster, id);
    expect(job.status).toBe("failed");
    expect(job.error).toMatchObject({ kind: "wait-cycle", name: "WaitCycleError" });
  });
});
