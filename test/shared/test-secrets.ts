/** The secrets the tests' clusters are configured with. No imports: vitest.config.ts bundles this file. */
/** The client tokens the tests' clusters are configured with (API_TOKENS; workers/auth.ts). */
export const TEST_TOKENS = {
  admin: "test-admin-token-00000000000000000000",
  reader: "test-reader-token-0000000000000000000",
  submitter: "test-submitter-token-000000000000000",
  /** Two tenants that submit and read their own jobs. */
  alice: "test-alice-token-00000000000000000000",
  bob: "test-bob-token-0000000000000000000000",
} as const;

export const TEST_API_TOKENS = [
  `admin=${TEST_TOKENS.admin}=admin`,
  `reader=${TEST_TOKENS.reader}=read`,
  `submitter=${TEST_TOKENS.submitter}=submit`,
  `alice=${TEST_TOKENS.alice}=submit+read`,
  `bob=${TEST_TOKENS.bob}=submit+read`,
].join(",");

/** The RUNNER_KEY the tests' clusters are configured with; runners' secrets derive from it. */
export const TEST_RUNNER_KEY = "test-runner-key-000000000000000000000";
