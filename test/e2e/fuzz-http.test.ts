/**
 * The HTTP fuzzer (test/shared/http-fuzz.ts) against the real local cluster (wrangler dev) over
 * HTTP: FUZZ_RUNS requests (default 2,000), seeded by FUZZ_SEED.
 *
 *   FUZZ_RUNS=20000 FUZZ_SEED=7 npx vitest run --project e2e test/e2e/fuzz-http.test.ts
 */
import { describe, expect, it } from "vitest";
import { LOCAL_API_TOKEN, LOCAL_RUNNER_KEY } from "../../cli/local-cluster.ts";
import { fuzzHttp } from "../shared/http-fuzz.ts";
import { TEST_TOKENS, signedIfRunnerRoute } from "../shared/tokens.ts";
import { showLogOnFailure, useLocalCluster } from "./support.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);

describe("hostile input over HTTP (the local cluster)", () => {
  // A token of each scope, so the fuzzer checks authorization as the matrix declares it.
  const handle = useLocalCluster({ vars: { API_TOKENS: `local=${LOCAL_API_TOKEN}=admin,reader=${TEST_TOKENS.reader}=read,submitter=${TEST_TOKENS.submitter}=submit` } });
  it(`answers ${RUNS} random requests without a 5xx, a non-JSON error or a hang, then still runs a job right`, async () => {
    showLogOnFailure(handle);
    const report = await fuzzHttp((r) => fetch(r), handle.cluster.url, [
      { token: handle.cluster.token, name: "local", scopes: ["admin"] },
      { token: TEST_TOKENS.reader, name: "reader", scopes: ["read"] },
      { token: TEST_TOKENS.submitter, name: "submitter", scopes: ["submit"] },
    ], RUNS, SEED, (r) => signedIfRunnerRoute(r, LOCAL_RUNNER_KEY));
    console.log(`fuzz-http (local cluster, seed ${SEED}): ${JSON.stringify(report)}`);
    expect(report.sent).toBeGreaterThan(RUNS * 0.8);
  });
});
