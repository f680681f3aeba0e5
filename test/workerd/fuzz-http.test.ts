/**
 * The HTTP fuzzer (test/shared/http-fuzz.ts) against the API Worker in workerd. Kept short: the
 * test harness (vitest-pool-workers) slows down as requests accumulate in one test, which the
 * real cluster does not; the long run is test/e2e/fuzz-http.test.ts.
 *
 *   FUZZ_RUNS=2000 FUZZ_SEED=7 npx vitest run test/workerd/fuzz-http.test.ts
 */
import { exports } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { type FuzzToken, fuzzHttp } from "../shared/http-fuzz.ts";
import { TEST_TOKENS, signedIfRunnerRoute } from "../shared/tokens.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fuzzRuns: number;
    fuzzSeed: number;
  }
}

/** The test cluster's tokens (test/shared/test-secrets.ts), one of each scope. */
const FUZZ_TOKENS = [
  { token: TEST_TOKENS.admin, name: "admin", scopes: ["admin"] },
  { token: TEST_TOKENS.reader, name: "reader", scopes: ["read"] },
  { token: TEST_TOKENS.submitter, name: "submitter", scopes: ["submit"] },
] as const satisfies readonly FuzzToken[];

describe("hostile input over HTTP (workerd)", () => {
  const runs = Math.min(inject("fuzzRuns"), 400);
  it(`answers ${runs} random requests without a 5xx, a non-JSON error or a hang, then still runs a job right`, { timeout: 600_000 }, async () => {
    const report = await fuzzHttp((r) => exports.default.fetch(r), "http://paxflow.test", FUZZ_TOKENS, runs, inject("fuzzSeed"), (r) => signedIfRunnerRoute(r));
    console.log(`fuzz-http (workerd): ${JSON.stringify(report)}`);
    expect(report.sent).toBeGreaterThan(runs * 0.8);
  });
});
