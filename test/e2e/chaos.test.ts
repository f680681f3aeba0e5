/**
 * The short chaos run (`npm run chaos` is the long one): 50 jobs on the real local cluster while
 * every kind of fault in the schedule happens once: runners SIGKILLed and restarted, a runner
 * that never answers, one that answers twice, one that answers late, one then two of a shard's
 * acceptors down, a commander aborted, workerd SIGKILLed and restarted, slow links.
 */
import { describe, expect, it } from "vitest";
import { runChaos } from "../../chaos/run.ts";
import { TEST_APP } from "../shared/local-app.ts";

describe("chaos (short)", () => {
  it("loses no job, gets none wrong, and every learner holds one value per slot", async () => {
    const lines: string[] = [];
    const report = await runChaos({ app: TEST_APP, jobs: 50, seed: 11, gpu: true, durationMs: 40_000, settleMs: 120_000, progress: (line) => lines.push(line) });
    const context = `${JSON.stringify({ ...report, faults: report.faults }, null, 2)}\n${lines.slice(-40).join("\n")}`;
    expect(report.jobs.accepted, context).toBe(50);
    expect(report.jobs.finishedWrongly, context).toBe(0);
    expect(report.jobs.lost, context).toBe(0);
    expect(report.jobs.finishedCorrectly, context).toBe(50);
    expect(report.log.conflicts, context).toBe(0);
    expect(report.log.slotsCompared, "the learners' logs were actually compared").toBeGreaterThan(0);
    expect(report.log.digests.every((d) => d.agree), context).toBe(true);
    // Every fault of the tour was acted out, and the plane had to work around them.
    expect(new Set(report.faults.map((f) => f.fault.split(" ")[0]))).toEqual(new Set(["slow", "SIGKILL", "shard", "abort", "a"]));
    expect(report.faults.filter((f) => !f.ok), context).toEqual([]);
    expect(report.calls.redispatched, context).toBeGreaterThan(0);
    // The runner that reports every result twice was heard twice, and the plane kept one.
    expect(report.calls.reportsSentTwice, context).toBeGreaterThan(0);
    expect(report.calls.repeatedReportsDropped, context).toBe(report.calls.reportsSentTwice);
    expect(report.pass).toBe(true);
  });
});
