/** How `paxflow dev` prints a job's events (cli/commands/dev.ts formatEvent). */
import { describe, expect, it } from "vitest";
import { formatEvent } from "../../cli/commands/dev.ts";

describe("paxflow dev's event lines", () => {
  it("calls an answer held for verification a result, and an error an error", () => {
    const held = formatEvent({ n: 11, type: "call.result", at: 58, seq: 0, node: "worker", ok: true, detail: "held: 1 answer(s), 2 must agree" }, 0);
    expect(held).toContain("call 0 <- worker: result: held: 1 answer(s), 2 must agree");
    expect(held).not.toContain("error");
    const plain = formatEvent({ n: 13, type: "call.result", at: 61, seq: 2, node: "worker", ok: true }, 0);
    expect(plain).toMatch(/call 2 <- worker: result$/);
    const failed = formatEvent({ n: 14, type: "call.result", at: 70, seq: 3, node: "cpu-1", ok: false, detail: "RangeError: too big" }, 0);
    expect(failed).toContain("call 3 <- cpu-1: error: RangeError: too big");
  });
});
