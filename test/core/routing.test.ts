import { describe, expect, it } from "vitest";
import { NotLeaderError, PaxflowError } from "../../runtime/errors.ts";
import { LeaderHints, hintedCommander, tryCommanders } from "../../workers/routing.ts";

describe("API routing to commanders", () => {
  it("reads the leader hint from a not-leader error, also after RPC turned it into a plain Error", () => {
    const refused = new NotLeaderError("refused by lease", "shard-3/commander-2#c0ffee");
    expect(hintedCommander(refused)).toBe(2);
    expect(hintedCommander(new Error(refused.message))).toBe(2);
    expect(hintedCommander(new NotLeaderError("no hint"))).toBeNull();
    expect(hintedCommander(new PaxflowError("commit-timeout", "leader hint: shard-0/commander-1"))).toBeNull();
  });

  it("asks the hinted leader next, each commander at most once", async () => {
    const asked: number[] = [];
    const result = await tryCommanders(0, 4, async (i) => {
      asked.push(i);
      if (i === 0) throw new NotLeaderError("not me", "shard-0/commander-3#x");
      if (i === 3) return "done";
      throw new Error("unexpected");
    });
    expect(asked).toEqual([0, 3]);
    expect(result).toEqual({ ok: true, value: "done", commander: 3 });
  });

  it("returns every commander's error when none can commit", async () => {
    const result = await tryCommanders(1, 3, async (i) => {
      throw new NotLeaderError(`commander ${i} refused`, "shard-0/commander-1#x");
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.commander)).toEqual([1, 0, 2]);
  });

  it("remembers the last commander that committed, per shard", () => {
    const hints = new LeaderHints();
    expect(hints.firstChoice(5)).toBe(0);
    hints.committed(5, 1);
    expect(hints.firstChoice(5)).toBe(1);
    expect(hints.firstChoice(6)).toBe(0);
  });
});
