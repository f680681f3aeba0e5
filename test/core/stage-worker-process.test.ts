/**
 * Whether `paxflow dev` runs the stage Worker in a workerd of its own (cli/local-cluster.ts
 * stageWorkerProcess): only when the app's STAGES binding names the app itself, as every paxflow
 * app's does. The cross-process binding itself is exercised by every e2e test whose calls run on
 * the stage Worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultWranglerConfig, stageWorkerProcess } from "../../cli/local-cluster.ts";

const dir = mkdtempSync(join(tmpdir(), "paxflow-stage-worker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("the stage Worker's own process in a local cluster", () => {
  it("runs it apart when STAGES names the app itself, and the API under <name>-api", async () => {
    expect(await stageWorkerProcess(defaultWranglerConfig())).toEqual({ own: true, name: "paxflow", apiName: "paxflow-api" });
    const json = config("self.jsonc", '{ // an app\n "name": "my-app", "main": "src/index.ts", "compatibility_date": "2025-09-01",\n "services": [{ "binding": "STAGES", "service": "my-app", "entrypoint": "StageWorker" }] }');
    expect(await stageWorkerProcess(json)).toEqual({ own: true, name: "my-app", apiName: "my-app-api" });
  });

  it("keeps it in the API's process, saying why, when STAGES names another Worker or is missing", async () => {
    const other = config("other.toml", 'name = "my-app"\nmain = "src/index.ts"\ncompatibility_date = "2025-09-01"\n[[services]]\nbinding = "STAGES"\nservice = "shared-stages"\nentrypoint = "StageWorker"\n');
    expect(await stageWorkerProcess(other)).toEqual({ own: false, why: 'STAGES names the Worker "shared-stages", not the app\'s own "my-app"' });
    const none = config("none.toml", 'name = "my-app"\nmain = "src/index.ts"\ncompatibility_date = "2025-09-01"\n');
    expect(await stageWorkerProcess(none)).toEqual({ own: false, why: "the wrangler configuration has no STAGES service binding" });
  });
});
