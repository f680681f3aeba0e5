/**
 * A speculative backup of a call under verification never goes to a node that already answered
 * the call (or still runs it): agreement needs another node, and one node's answers count once.
 * Found by the job-plane simulation (runtime/sim/job-sim.ts): a backup went to the runner whose
 * answer was held, its second answer did not count, and the call used up its five attempts
 * ("the answers of r1, r1 do not agree"), failing a job that runLocally finishes.
 */
import { heldAnswers } from "../../core/jobs/state.ts";
import { stage } from "../shared/calls.ts";
import { describe, expect, it } from "vitest";
import { sealable } from "../../core/jobs/advance.ts";
import type { CallRequest } from "../../core/jobs/protocol.ts";
import type { SpeculationAdvice } from "../../core/sched/scheduler.ts";
import { runHere } from "../../runtime/jobs/memory-shard.ts";
import { corpus } from "../../runtime/sim/job-corpus.ts";
import { corpusDriver, runnerSpec } from "./support/corpus-driver.ts";

describe("speculative backups of a verified call", () => {
  it("do not go to the node whose answer is held", async () => {
    const sent: CallRequest[] = [];
    // r0 takes its calls and never answers; r1 answers at once.
    const { driver, time, payloads, scheduler } = corpusDriver({
      verify: { fraction: 1, newNodeCalls: 0 },
      backends: (payloads, time, driver) => ({
        worker: () => new Promise(() => undefined),
        sendToRunner: async ({ id }, call) => {
          sent.push(call);
          if (id !== "r1") return;
          const outcome = await runHere(corpus, payloads, call.stage, call.input);
          queueMicrotask(() => void driver().offerResult({ node: id, job: call.job, seq: call.seq, attempt: call.attempt, outcome, startedAt: time.now(), finishedAt: time.now() }));
        },
        probeRunner: async () => ({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 }),
      }),
    });
    let advice: SpeculationAdvice[] = [];
    scheduler.stragglers = () => advice;
    await time.run(
      (async () => {
        await driver.registerNode(runnerSpec("r0", 10), 1);
        await driver.registerNode(runnerSpec("r1", 9), 1);
        await driver.submitJob({ id: "j", name: "sim/chain", input: await payloads.seal(sealable({ x: 3, n: 1 })), submittedBy: "t" });
        await time.sleep(5);
        const call = stage(driver.state.job("j")!.calls[0]);
        // Both runners got the call; r1's answer is held until a second node agrees.
        expect(call.attempts.map((t) => t.node)).toEqual(["r0", "r1"]);
        expect(heldAnswers(call).map((a) => a.node)).toEqual(["r1"]);
        // The scheduler finds r0 late, and the best node for a backup is r1.
        const backup = { node: "r1", finishAt: time.now() + 3, waitMs: 0, transferMs: 2, runMs: 1 };
        advice = [{ key: "j/0/1", call: "j/0", backup, reason: "r0 is late" }];
        await driver.tick();
        advice = [];
        expect(stage(driver.state.job("j")!.calls[0]).attempts.map((t) => t.node)).toEqual(["r0", "r1"]);
      })(),
    );
    driver.close();
  });
});
