/** The chaos suite's pure parts: the fault schedule, the log check, the workload's expected endings. */
import { describe, expect, it } from "vitest";
import { LogCheck } from "../../chaos/log-check.ts";
import { faultSchedule } from "../../chaos/schedule.ts";
import { endedRight, workload } from "../../chaos/workload.ts";
import { registry } from "../shared/registry.ts";

const SHAPE = { runners: ["cpu-1", "cpu-2", "cpu-3"], shards: 2, acceptorsPerShard: 3, commandersPerShard: 2 };

describe("fault schedule", () => {
  it("is the same for a seed, and differs between seeds", () => {
    expect(faultSchedule(5, 100_000, SHAPE)).toEqual(faultSchedule(5, 100_000, SHAPE));
    expect(faultSchedule(5, 100_000, SHAPE)).not.toEqual(faultSchedule(6, 100_000, SHAPE));
  });

  it("hits every kind of fault, one then two acceptors of a shard, and ends every fault before the run does", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      for (const duration of [40_000, 100_000, 300_000]) {
        const schedule = faultSchedule(seed, duration, SHAPE);
        expect(new Set(schedule.map((f) => f.fault.kind))).toEqual(new Set(["runner-kill", "runner-hang", "acceptors-down", "commander-abort", "workerd-restart", "slow-link"]));
        const acceptorFaults = schedule.flatMap((f) => (f.fault.kind === "acceptors-down" ? [{ at: f.at, ...f.fault }] : []));
        expect(acceptorFaults[0]!.acceptors).toHaveLength(1);
        expect(acceptorFaults[1]!.acceptors).toHaveLength(2);
        expect(acceptorFaults[1]!.shard).toBe(acceptorFaults[0]!.shard);
        for (const f of acceptorFaults) {
          expect(new Set(f.acceptors).size, "never a shard's every acceptor").toBe(f.acceptors.length);
          expect(f.acceptors.length).toBeLessThan(SHAPE.acceptorsPerShard);
          // No two acceptor episodes of a shard overlap (they could add up to all three).
          for (const g of acceptorFaults) if (g !== f && g.shard === f.shard && g.at >= f.at) expect(g.at).toBeGreaterThanOrEqual(f.at + f.forMs);
        }
        for (const { at, fault } of schedule) {
          const lasts = "forMs" in fault ? fault.forMs : "downMs" in fault ? fault.downMs : 0;
          expect(at + lasts).toBeLessThan(duration);
        }
        const restarts = schedule.filter((f) => f.fault.kind === "workerd-restart").map((f) => f.at);
        for (let i = 1; i < restarts.length; i++) expect(restarts[i]! - restarts[i - 1]!).toBeGreaterThanOrEqual(60_000);
      }
    }
  });

  it("draws more faults for longer runs", () => {
    expect(faultSchedule(1, 300_000, SHAPE).length).toBeGreaterThan(faultSchedule(1, 40_000, SHAPE).length);
  });
});

describe("log check", () => {
  it("flags a slot where two learners hold different values, and counts what it compared", () => {
    const check = new LogCheck();
    check.observe(0, "a", 1, "x");
    check.observe(0, "b", 1, "x");
    check.observe(0, "a", 2, "y");
    check.observe(1, "a", 2, "z"); // another shard's slot 2
    expect(check.conflicts).toEqual([]);
    expect(check.counts()).toEqual({ slots: 3, compared: 1 });
    check.observe(0, "b", 2, "not y");
    expect(check.conflicts).toEqual([{ shard: 0, slot: 2, learners: ["a", "b"] }]);
  });
});

describe("chaos workload", () => {
  it("is seeded, mixes the shapes, and knows each job's right ending", () => {
    const jobs = workload(registry, 4, 200, true);
    expect(workload(registry, 4, 200, true)).toEqual(jobs);
    const names = new Set(jobs.map((j) => j.name));
    for (const name of ["shapes/chain", "shapes/fanout", "shapes/nested", "shapes/fails", "shapes/spin", "monte-carlo/pi", "word-count", "numeric-pipeline/random"]) {
      expect(names).toContain(name);
    }
    expect(workload(registry, 4, 200, false).some((j) => j.name.startsWith("numeric-pipeline"))).toBe(false);
    expect(jobs.some((j) => !j.expected.ok)).toBe(true);
    expect(new Set(jobs.map((j) => j.key)).size).toBe(200);
  });

  it("judges endings: exact values, the failing stage's error, SIMD outputs within 1e-3", () => {
    const jobs = workload(registry, 4, 200, true);
    const ok = jobs.find((j) => j.name === "shapes/chain")!;
    const expected = (ok.expected as { output: unknown }).output;
    expect(endedRight(ok, { status: "done", output: expected })).toBe(true);
    expect(endedRight(ok, { status: "done", output: ["paxflow: a wrong answer on purpose", expected] })).toBe(false);
    expect(endedRight(ok, { status: "failed", error: { name: "E", message: "m" } })).toBe(false);
    const failing = jobs.find((j) => !j.expected.ok)!;
    const error = (failing.expected as { error: { name: string; message: string } }).error;
    expect(endedRight(failing, { status: "failed", error })).toBe(true);
    expect(endedRight(failing, { status: "failed", error: { ...error, message: "other" } })).toBe(false);
    const simd = jobs.find((j) => j.name === "numeric-pipeline/random")!;
    const sum = (simd.expected as { output: number }).output;
    expect(endedRight(simd, { status: "done", output: sum * (1 + 1e-5) })).toBe(true);
    expect(endedRight(simd, { status: "done", output: sum * 1.01 + 1 })).toBe(false);
  });
});
