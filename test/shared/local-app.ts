/**
 * The app the tests' local clusters run (e2e, bench, chaos): test/worker.ts over the tests'
 * registry (the examples and the test shapes), whose runners load the same registry.
 */
import { fileURLToPath } from "node:url";
import type { LocalApp } from "../../cli/local-cluster.ts";

export const TEST_APP: LocalApp = {
  entry: fileURLToPath(new URL("../worker.ts", import.meta.url)),
  registry: fileURLToPath(new URL("./registry.ts", import.meta.url)),
};
