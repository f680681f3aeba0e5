// expect: job/cycle@20:warning
// A retry helper runs the job it is given inside a loop (which may run zero times), and the two jobs
// only hand each other their own input there: possibly a deadlock, so a warning, not an error.
import { type Job, type Step, defineJob } from "../../../core/index.ts";

type Sync = { repo: string; maxAttempts: number };

function* withRetries(job: Job<Sync, string>, sync: Sync): Step<string> {
  let last = "";
  for (let attempt = 0; attempt < sync.maxAttempts; attempt++) {
    last = yield* job(sync);
    if (last !== "") return last;
  }
  return last;
}

export const mirrorRepo: Job<Sync, string> = defineJob({
  name: "mirror-repo",
  *run(sync: Sync): Step<string> {
    return yield* withRetries(pushMirror, sync);
  },
});

export const pushMirror: Job<Sync, string> = defineJob({
  name: "push-mirror",
  *run(sync: Sync): Step<string> {
    return yield* withRetries(mirrorRepo, sync);
  },
});
