/** Your job, run in this process (runLocally) and on an in-process paxflow plane (runOnPlane). */
import { runLocally, runOnPlane } from "paxflow/testing";
import { describe, expect, it } from "vitest";
import { registry } from "../src/stages.ts";

const input = { text: "the quick brown fox\njumps over\nthe lazy dog" };

describe("{{name}}/word-total", () => {
  it("counts the words", () => {
    expect(runLocally(registry, "{{name}}/word-total", input)).toMatchObject({ status: "done", output: 9 });
  });

  it("gives the same answer on the job plane, one call per line", async () => {
    const run = await runOnPlane(registry, "{{name}}/word-total", input);
    expect(run).toMatchObject({ status: "done", output: 9 });
    expect(run.calls).toHaveLength(3);
  });
});
