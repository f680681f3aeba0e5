/**
 * `paxflow dev --stage-worker apart` (cli/local-cluster.ts StageWorkerPlacement): the app's
 * script runs twice, the API under `<name>-api`, so its STAGES binding (which names the app)
 * can only be answered by the stage Worker's own workerd, found through the cluster's dev
 * registry. A call that ran on the stage Worker therefore crossed between the two processes.
 */
import { describe, expect, it } from "vitest";
import { expectedOutput, finished, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

// One node per call, and no runners: every call the job makes goes inline or to the stage Worker.
const local = useLocalCluster({ stageWorker: "apart", vars: { VERIFY_NEW_NODE_CALLS: "0" } });

describe("the stage Worker in a workerd of its own", () => {
  it("runs the calls placed on it there, with the answers runLocally gives", async () => {
    showLogOnFailure(local);
    expect(local.cluster.stageWorkerd?.running).toBe(true);
    const input = { seed0: 7, runs: 4, samplesPerRun: 200_000 };
    const job = await finished(local.cluster, await submit(local.cluster, "monte-carlo/pi", input));
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(job.calls.map((c) => c.node)).toEqual(["worker", "worker", "worker", "worker"]);
    expect(job.output).toEqual(expectedOutput("monte-carlo/pi", input));
    expect(local.log.some((line) => line.includes("starting the stage Worker in a workerd of its own"))).toBe(true);
  });
});
