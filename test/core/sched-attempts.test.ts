/** What the scheduler expects of an attempt in flight, re-estimated with what it knows now. */
import { describe, expect, it } from "vitest";
import { type Attempt, finishEstimate, fmt, patientFinishEstimate, remainingRunMs, timeline, times } from "../../core/sched/attempts.ts";

const stage = { ref: "work@1", caps: ["cpu" as const], cost: { runtimeMs: () => 100, outputBytes: () => 0 } };

function attempt(extra: Partial<Attempt> = {}): Attempt {
  return {
    d: { key: "k", call: "k", stage, inputBytes: 0, node: "n", at: 1_000, predicted: { node: "n", finishAt: 1_152, waitMs: 50, transferMs: 2, runMs: 100 } },
    declaredRunMs: 100,
    scaleAtDispatch: 1,
    declaredTransferMs: 2,
    idleNode: false,
    ...extra,
  };
}

describe("attempt timelines", () => {
  it("starts after the predicted wait and half the transfer while queued, and when it got a slot once it has one", () => {
    expect(timeline(attempt(), 1)).toMatchObject({ start: 1_051, runEnd: 1_151, runMs: 100, half: 1 });
    expect(timeline(attempt({ runningSince: 1_010 }), 1)).toMatchObject({ start: 1_011, runEnd: 1_111 });
  });

  it("stretches run and wait by the scale learned since dispatch", () => {
    const t = timeline(attempt(), 5); // the node was found 5x slower: so are the calls ahead of it
    expect(t.runMs).toBe(500);
    expect(t.start).toBe(1_000 + 250 + 1);
  });

  it("expects an overdue attempt to need as long again as it has overrun (at least a tenth of its run)", () => {
    const t = timeline(attempt({ runningSince: 1_000 }), 1); // run 1,001 .. 1,101
    expect(remainingRunMs(t, 1_000)).toBe(100);
    expect(remainingRunMs(t, 1_051)).toBe(50);
    expect(remainingRunMs(t, 1_102)).toBe(10); // just overdue: the floor
    expect(remainingRunMs(t, 1_401)).toBe(300);
    expect(finishEstimate(t, 1_051)).toBe(1_102);
    expect(finishEstimate(t, 1_401)).toBe(1_401 + 300 + 1);
  });

  it("gives the progress detector at least half a run of patience", () => {
    const t = timeline(attempt({ runningSince: 1_000 }), 1);
    expect(patientFinishEstimate(t, 1_000)).toBe(1_102);
    expect(patientFinishEstimate(t, 1_100)).toBe(1_100 + 50 + 1);
  });

  it("formats milliseconds and factors for reasons", () => {
    expect([fmt(1_234.5), fmt(2.345), fmt(Infinity)]).toEqual(["1235", "2.3", "∞"]);
    expect([times(12.3), times(4.83), times(1.034)]).toEqual(["12×", "4.8×", "1.03×"]);
  });
});
