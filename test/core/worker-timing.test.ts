/** What the log records of a stage Worker call's run (core/jobs/worker-timing.ts). */
import { describe, expect, it } from "vitest";
import { workerRunSpan } from "../../core/jobs/worker-timing.ts";

describe("a stage Worker call's run as the log records it", () => {
  it("ends when the commander got the answer, when the Worker's clock stood still while it computed (workerd)", () => {
    expect(workerRunSpan({ startedAt: 105, finishedAt: 105 }, 100, 140)).toEqual({ startedAt: 105, finishedAt: 140 });
  });

  it("keeps the Worker's own times when its clock moved, and never starts before the call was sent", () => {
    expect(workerRunSpan({ startedAt: 101, finishedAt: 130 }, 100, 130)).toEqual({ startedAt: 101, finishedAt: 130 });
    expect(workerRunSpan({ startedAt: 90, finishedAt: 95 }, 100, 120)).toEqual({ startedAt: 100, finishedAt: 120 });
  });
});
