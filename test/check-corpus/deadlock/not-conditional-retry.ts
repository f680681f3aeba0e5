// expect: job/cycle@20:warning
// A retrying crawler: fetch-page runs itself again with the same request, but only when the site
// answered 503. Same input, not on every path: a warning naming the cycle, not an error.
import { type Job, type Step, defineJob, defineStage } from "../../../core/index.ts";

type Request = { url: string; attempt: number };
type Response = { status: number; body: string };

export const download = defineStage({
  name: "download", version: 1, caps: ["cpu"], timeoutMs: 1000,
  cost: { runtimeMs: () => 10, outputBytes: () => 4096 },
  run: (req: Request): Response => ({ status: req.url.length > 0 ? 200 : 503, body: req.url }),
});

export const fetchPage: Job<Request, string> = defineJob({
  name: "fetch-page",
  *run(req: Request): Step<string> {
    const res = yield* download(req);
    if (res.status === 503) {
      return yield* fetchPage(req);
    }
    return res.body;
  },
});
