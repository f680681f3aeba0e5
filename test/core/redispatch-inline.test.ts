/**
 * A call re-dispatched after its attempt ended (deadline, refusal, drain) must run. Found by the
 * job-plane simulation (runtime/sim/job-sim.ts): a cheap stage's attempt on a runner timed out,
 * the re-dispatch chose the commander itself (inline), but only a job's step runs inline calls:
 * nobody ran it, and no deadline watched it, so the job waited for the next change of leader.
 */
import { describe, expect, it } from "vitest";
import { sealable } from "../../core/jobs/advance.ts";
import { builtinNodes } from "../../core/jobs/builtins.ts";
import { INLINE_NODE } from "../../core/jobs/decisions.ts";
import { DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey } from "../../core/jobs/payload.ts";
import { makeConfig } from "../../core/paxos/index.ts";
import { createLearningScheduler } from "../../core/sched/learning-scheduler.ts";
import { CommanderDriver } from "../../runtime/commander-driver.ts";
import { MemoryFinishedJobs } from "../../runtime/jobs/finished-jobs.ts";
import { JobDriver } from "../../runtime/jobs/job-driver.ts";
import { runHere } from "../../runtime/jobs/memory-shard.ts";
import { MemoryBlobStore, Payloads } from "../../runtime/jobs/payload-store.ts";
import { MemoryAcceptors } from "../../runtime/memory-transport.ts";
import { corpus } from "../../runtime/sim/job-corpus.ts";
import { VirtualTime } from "./support/virtual-time.ts";

describe("re-dispatching a cheap call", () => {
  it("never hands it to the commander itself, which only runs inline calls during a job's step", async () => {
    const time = new VirtualTime();
    const payloads = new Payloads(new MemoryBlobStore(), DEFAULT_INLINE_PAYLOAD_BYTES, payloadKey);
    const scheduler = createLearningScheduler({ inlineMaxMs: 2 });
    // The first placement sends the (inline-cheap) call to r0, which never answers; the rest are the scheduler's own.
    const place = scheduler.place.bind(scheduler);
    let forced = false;
    scheduler.place = (request) => {
      if (forced) return place(request);
      forced = true;
      const winner = { node: "r0", finishAt: request.now + 3, waitMs: 0, transferMs: 2, runMs: 1 };
      return { ok: true, winner, alternatives: [winner], reason: "the test sends it to r0" };
    };
    const driver: JobDriver = new JobDriver({
      shard: 0,
      registry: corpus,
      payloads,
      timers: time.timers,
      builtins: builtinNodes(1),
      scheduler,
      maxWaitMs: 5_000,
      finished: new MemoryFinishedJobs(),
    name: "c",
      verify: { fraction: 0, newNodeCalls: 0 },
      logSink: () => undefined,
      backends: {
        worker: async (stage, input) => ({ outcome: await runHere(corpus, payloads, stage, input), startedAt: time.now(), finishedAt: time.now() }),
        sendToRunner: async () => undefined,
        probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }),
      },
      commander: (machine, onElected) =>
        new CommanderDriver({ id: "c#1", initial: makeConfig(["a"], {}), transport: new MemoryAcceptors(["a"]), timers: time.timers, retryMs: 5, machine, onElected }),
    });
    const job = await time.run(
      (async () => {
        await driver.registerNode({ id: "r0", kind: "runner", url: "http://r0.test", caps: ["cpu"], speed: { cpu: 10 }, slots: 4, latencyMs: 1, bandwidthMBps: 100 }, 1);
        // fan-out of no inputs: one call, sim/sum of [], which the commander would run inline.
        const reply = await driver.submitJob({ id: "j", name: "sim/fan-out", input: await payloads.seal(sealable({ xs: [] })), submittedBy: "t", waitMs: 3_000 });
        return reply.job;
      })(),
    );
    driver.close();
    const attempts = job.calls[0]!.attempts;
    expect(attempts[0]!.node).toBe("r0");
    expect(attempts.slice(1).map((t) => t.node)).not.toContain(INLINE_NODE);
    expect(job.status).toBe("done");
  });
});
