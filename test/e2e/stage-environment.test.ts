/**
 * A CPU runner started from an environment in another time zone and locale (TZ=America/New_York,
 * LANG=de_DE.UTF-8) still runs stages in UTC and en-US, as workerd does
 * (test/workerd/stage-environment.test.ts): the local cluster spawns runners as `paxflow runner`
 * does (runners/stage-environment.ts). And in `paxflow dev`'s freeze mode a stage that changes its
 * input fails its call on the runner with InputMutationError (core/sdk/run-stage.ts).
 *
 * The runner is declared at speed 50: it predicts 1 ms for these 50 ms stages, far ahead of the
 * stage Worker, so it gets the calls (as in runner-kill.test.ts); each test checks where its call ran.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STAGE_ENVIRONMENT } from "../shared/stage-environment.ts";
import { expectedFailure, finished, showLogOnFailure, submit, useLocalCluster } from "./support.ts";

// One node per call: no verifying attempt on a second node.
const local = useLocalCluster({ vars: { VERIFY_NEW_NODE_CALLS: "0" } });
const RUNNER = "elsewhere";
const FOREIGN = { TZ: "America/New_York", LANG: "de_DE.UTF-8", LC_ALL: undefined } as const;

let saved: Partial<Record<keyof typeof FOREIGN, string>> = {};
beforeAll(async () => {
  // The runner inherits this process's environment (cli/local-cluster.ts) with the foreign zone and locale in it.
  saved = Object.fromEntries(Object.keys(FOREIGN).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(FOREIGN)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    await local.cluster.startRunners([{ id: RUNNER, kind: "cpu", speed: 50, slots: 1 }]);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});
afterAll(() => local.cluster.stopRunner(RUNNER));

describe("a runner started in another time zone and locale", () => {
  it("runs stages in UTC and en-US, as the stage Worker does", async () => {
    showLogOnFailure(local);
    const job = await finished(local.cluster, await submit(local.cluster, "shapes/environment", null));
    expect(job.status, JSON.stringify(job.error)).toBe("done");
    expect(job.calls[0]!.node).toBe(RUNNER);
    expect(job.output).toEqual(STAGE_ENVIRONMENT);
  });

  it("fails a stage that changes its input with InputMutationError (the freeze mode is on in a dev cluster)", async () => {
    showLogOnFailure(local);
    const input = { xs: [3, 1, 2] };
    const job = await finished(local.cluster, await submit(local.cluster, "shapes/mutate", input));
    expect(job.status).toBe("failed");
    expect(job.calls[0]!.node).toBe(RUNNER);
    expect(job.calls[0]).toMatchObject({ status: "failed", error: { name: "InputMutationError" } });
    // The same failure runLocally gives.
    expect(job.error).toMatchObject({ kind: "error", ...expectedFailure("shapes/mutate", input) });
  });
});
