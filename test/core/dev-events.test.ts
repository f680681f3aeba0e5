/** How `paxflow dev` prints a job's events (cli/commands/dev.ts formatEvent). */
import { describe, expect, it } from "vitest";
import { formatEvent } from "../../cli/commands/dev.ts";

describe("paxflow dev's event lines", () => {
  it("shows a result's note or error as it is, and never calls an answer held for verification a failure", () => {
    const held = formatEvent({ n: 11, type: "call.result", at: 58, seq: 0, node: "worker", detail: "held: 1 answer(s), 2 must agree" }, 0);
    expect(held).toMatch(/call 0 <- worker: held: 1 answer\(s\), 2 must agree$/);
    expect(held).not.toContain("failed");
    expect(formatEvent({ n: 13, type: "call.result", at: 61, seq: 2, node: "worker" }, 0)).toMatch(/call 2 <- worker: result$/);
    expect(formatEvent({ n: 14, type: "call.result", at: 70, seq: 3, node: "cpu-1", detail: "RangeError: too big" }, 0)).toMatch(/call 3 <- cpu-1: RangeError: too big$/);
  });
});
