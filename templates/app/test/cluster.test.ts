/** Your job on the local cluster: workerd (wrangler dev) with a CPU runner, as `npm start` runs it. */
import { type RunningCluster, startLocalCluster } from "paxflow/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("{{name}}/word-total on the local cluster", () => {
  let cluster: RunningCluster | undefined;
  // Starting workerd and a runner takes a few seconds.
  beforeAll(async () => {
    cluster = await startLocalCluster({ registry: "src/stages.ts" });
  }, 120_000);
  afterAll(() => cluster?.stop());

  it("counts the words", async () => {
    const job = await cluster!.run("{{name}}/word-total", { text: "the quick brown fox\njumps over\nthe lazy dog" });
    expect(job).toMatchObject({ status: "done", output: 9 });
    expect(job.calls).toHaveLength(3);
  }, 120_000);
});
