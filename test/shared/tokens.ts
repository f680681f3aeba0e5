/** The client tokens the tests' clusters are configured with (API_TOKENS; workers/auth.ts). */
export const TEST_TOKENS = {
  admin: "test-admin-token-00000000000000000000",
  reader: "test-reader-token-0000000000000000000",
  submitter: "test-submitter-token-000000000000000",
} as const;

export const TEST_API_TOKENS = `admin=${TEST_TOKENS.admin}=admin,reader=${TEST_TOKENS.reader}=read,submitter=${TEST_TOKENS.submitter}=submit`;

/** The Authorization header of a test token (admin unless named). */
export const bearer = (who: keyof typeof TEST_TOKENS = "admin") => ({ authorization: `Bearer ${TEST_TOKENS[who]}` });
