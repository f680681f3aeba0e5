import { describe, expect, it } from "vitest";
import { runSchedule, simulateConsensus, DEFAULT_SIM_OPTIONS } from "../../core/sim/consensus.ts";
import {
  COMMIT_IGNORES_BALLOT,
  FORGETFUL_ACCEPTOR,
  LOW_BALLOT_ACCEPTOR,
  MIXED_ALPHA,
  NO_REPROPOSE_LEADER,
  THRIFTY_NEVER_WIDENS,
  THRIFTY_SHORT_QUORUM,
} from "../../core/sim/variants.ts";

// CI runs at least 2,000 seeded schedules of the real core with every fault kind enabled.
const SCHEDULES = Number(process.env.PAXFLOW_SIM_SCHEDULES ?? 2000);

describe("deterministic simulation of the consensus core", () => {
  it(`finds no safety violation, and progress once faults stop, in ${SCHEDULES} schedules (3 acceptors, majorities)`, () => {
    const report = simulateConsensus(SCHEDULES, 1);
    expect(report.violations).toEqual([]);
    // The schedules really exercised the protocol and its faults.
    expect(report.slotsChosen).toBeGreaterThan(SCHEDULES);
    expect(report.membershipChanges).toBeGreaterThan(0);
    for (const fault of ["dropped", "duplicated", "acceptorCrashes", "commanderCrashes"]) {
      expect(report.faults[fault], fault).toBeGreaterThan(0);
    }
    // By default about half the commander incarnations are thrifty, side by side with the others.
    expect(report.thrifty.incarnations).toBeGreaterThan(0);
    expect(report.thrifty.widenedSlots).toBeGreaterThan(0);
  });

  it("finds no violation with every commander thrifty (random rankings that change), and progress with an acceptor gone for good", () => {
    for (const options of [{}, { acceptors: 5, phase1Quorum: 4, phase2Quorum: 2 }, { acceptors: 4, phase1Quorum: 2, phase2Quorum: 3 }, { alpha: 1, maxBatch: 1 }]) {
      const report = simulateConsensus(500, 30_000, { ...options, thrifty: "on" });
      expect(report.violations, JSON.stringify(options)).toEqual([]);
      expect(report.thrifty.rankings).toBeGreaterThan(500);
      expect(report.thrifty.widenedSlots).toBeGreaterThan(0);
      // Every quiet period kept one acceptor down, ranked fastest: only widening finished the probe.
      expect(report.thrifty.crashStops).toBe(500);
    }
  });

  it("finds no violation with flexible quorums (N=5, |Q1|=4, |Q2|=2) and with no pipelining", () => {
    expect(simulateConsensus(500, 10_000, { acceptors: 5, phase1Quorum: 4, phase2Quorum: 2 }).violations).toEqual([]);
    expect(simulateConsensus(500, 20_000, { alpha: 1, maxBatch: 1 }).violations).toEqual([]);
  });

  it("is deterministic: a seed reproduces its schedule exactly", () => {
    const options = { ...DEFAULT_SIM_OPTIONS, seed: 4242 };
    expect(runSchedule(options)).toEqual(runSchedule(options));
  });

  describe.each([
    ["an acceptor that forgets its promise on restart", FORGETFUL_ACCEPTOR],
    ["an acceptor that accepts a lower ballot", LOW_BALLOT_ACCEPTOR],
    ["a leader that skips re-proposing accepted values", NO_REPROPOSE_LEADER],
    ["an acceptor that takes any commit notice as proof of its value", COMMIT_IGNORES_BALLOT],
    ["a commander started with another alpha than the rest", MIXED_ALPHA],
    ["a thrifty leader that counts a slot chosen one accept short of the phase-2 quorum", THRIFTY_SHORT_QUORUM],
    ["a thrifty leader that never widens (the progress probe)", THRIFTY_NEVER_WIDENS],
  ])("catches %s", (_, variant) => {
    it("reports a violation whose seed reproduces it", () => {
      const report = simulateConsensus(1000, 1, { variant });
      expect(report.violations.length).toBeGreaterThan(0);
      const first = report.violations[0]!;
      const replay = runSchedule({ ...DEFAULT_SIM_OPTIONS, variant, seed: first.seed });
      expect(replay.violation).toEqual(first);
      if (variant === THRIFTY_NEVER_WIDENS) expect(first.invariant).toBe("progress-after-faults"); // safe, but stuck
    });
  });
});
