import { describe, expect, it } from "vitest";
import { type JobEdge, findJobCycles } from "../../core/check/job-cycles.ts";

/** An edge whose site is a label, so tests can say which call a cycle was reported at. */
const edge = (from: number, to: number, site: string, same = true, always = true): JobEdge<string> => ({ from, to, site, same, always });
const summary = (cycles: ReturnType<typeof findJobCycles<string>>) => cycles.map((c) => ({ jobs: c.jobs, sites: c.hops.map((h) => h.site), deadlock: c.deadlock }));

describe("findJobCycles", () => {
  it("finds nothing in a graph without cycles (a diamond)", () => {
    expect(findJobCycles(4, [edge(0, 1, "a"), edge(0, 2, "b"), edge(1, 3, "c"), edge(2, 3, "d")])).toEqual([]);
  });

  it("reports a self-call once, as a deadlock when it always passes its own input", () => {
    expect(summary(findJobCycles(1, [edge(0, 0, "self")]))).toEqual([{ jobs: [0, 0], sites: ["self"], deadlock: true }]);
  });

  it("is a deadlock only when every hop passes the same input on every path", () => {
    expect(findJobCycles(2, [edge(0, 1, "x"), edge(1, 0, "y")])[0]!.deadlock).toBe(true);
    expect(findJobCycles(2, [edge(0, 1, "x"), edge(1, 0, "y", false, true)])[0]!.deadlock).toBe(false);
    expect(findJobCycles(2, [edge(0, 1, "x"), edge(1, 0, "y", true, false)])[0]!.deadlock).toBe(false);
  });

  it("of several calls between the same two jobs, judges the cycle by the most certain one", () => {
    const weakFirst = [edge(0, 1, "maybe", false, false), edge(0, 1, "sure"), edge(1, 0, "back")];
    expect(summary(findJobCycles(2, weakFirst))).toEqual([{ jobs: [0, 1, 0], sites: ["sure", "back"], deadlock: true }]);
    const sameButConditional = [edge(0, 1, "if", true, false), edge(0, 1, "other", false, true), edge(1, 0, "back")];
    expect(findJobCycles(2, sameButConditional)[0]!.hops[0]!.site).toBe("if");
  });

  it("finds each elementary cycle once, starting at its smallest job, in edge order", () => {
    // 0 -> 1 -> 2 -> 0 and 1 -> 2 -> 1: two cycles, the second found from job 1.
    const cycles = findJobCycles(3, [edge(0, 1, "a"), edge(1, 2, "b"), edge(2, 0, "c"), edge(2, 1, "d")]);
    expect(summary(cycles)).toEqual([
      { jobs: [0, 1, 2, 0], sites: ["a", "b", "c"], deadlock: true },
      { jobs: [1, 2, 1], sites: ["b", "d"], deadlock: true },
    ]);
  });

  it("stops at the limit on a dense graph", () => {
    const n = 8;
    const edges = Array.from({ length: n * n }, (_, i) => edge(Math.floor(i / n), i % n, `${i}`));
    expect(findJobCycles(n, edges, 25)).toHaveLength(25);
  });
});
