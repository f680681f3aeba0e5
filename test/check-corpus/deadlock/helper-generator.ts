// expect: job/cycle@22
// A job handed to a helper generator that runs it on the input it was given: sync-account passes
// itself (through refresh-token) with its own input, and the helper always runs it.
import { type Job, type Step, defineJob, defineStage } from "../../../core/index.ts";

type Account = { id: string; token: string };

export const logAccess = defineStage({
  name: "log-access", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (account: Account) => account.id.length,
});

function* audited<O extends string>(job: Job<Account, O>, account: Account): Step<O> {
  yield* logAccess(account);
  return yield* job(account);
}

export const syncAccount: Job<Account, string> = defineJob({
  name: "sync-account",
  *run(account: Account): Step<string> {
    return yield* audited(refreshToken, account);
  },
});

export const refreshToken: Job<Account, string> = defineJob({
  name: "refresh-token",
  *run(account: Account): Step<string> {
    return yield* audited(syncAccount, account);
  },
});
