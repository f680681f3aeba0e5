/**
 * A call re-dispatched after its attempt ended (deadline, refusal, drain) must run. Found by the
 * job-plane simulation (runtime/sim/job-sim.ts): a cheap stage's attempt on a runner timed out,
 * the re-dispatch chose the commander itself (inline), but only a job's step runs inline calls:
 * nobody ran it, and no deadline watched it, so the job waited for the next change of leader.
 */
import { stage } from "../shared/calls.ts";
import { describe, expect, it } from "vitest";
import { sealable } from "../../core/jobs/advance.ts";
import { INLINE_NODE } from "../../core/jobs/decisions.ts";
import { runHere } from "../../runtime/jobs/memory-shard.ts";
import { corpus } from "../../runtime/sim/job-corpus.ts";
import { corpusDriver, runnerSpec } from "./support/corpus-driver.ts";

describe("re-dispatching a cheap call", () => {
  it("never hands it to the commander itself, which only runs inline calls during a job's step", async () => {
    const { driver, time, payloads, scheduler } = corpusDriver({
      verify: { fraction: 0, newNodeCalls: 0 },
      backends: (payloads, time) => ({
        worker: async (stage, input) => ({ outcome: await runHere(corpus, payloads, stage, input), startedAt: time.now(), finishedAt: time.now() }),
        sendToRunner: async () => undefined,
        probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }),
      }),
    });
    // The first placement sends the (inline-cheap) call to r0, which never answers; the rest are the scheduler's own.
    const place = scheduler.place.bind(scheduler);
    let forced = false;
    scheduler.place = (request) => {
      if (forced) return place(request);
      forced = true;
      const winner = { node: "r0", finishAt: request.now + 3, waitMs: 0, transferMs: 2, runMs: 1 };
      return { ok: true, winner, alternatives: [winner], reason: "the test sends it to r0" };
    };
    const job = await time.run(
      (async () => {
        await driver.registerNode(runnerSpec("r0", 10), 1);
        // fan-out of no inputs: one call, sim/sum of [], which the commander would run inline.
        const reply = await driver.submitJob({ id: "j", name: "sim/fan-out", input: await payloads.seal(sealable({ xs: [] })), submittedBy: "t", waitMs: 3_000 });
        return reply.job;
      })(),
    );
    driver.close();
    const attempts = stage(job.calls[0]).attempts;
    expect(attempts[0]!.node).toBe("r0");
    expect(attempts.slice(1).map((t) => t.node)).not.toContain(INLINE_NODE);
    expect(job.status).toBe("done");
  });
});
