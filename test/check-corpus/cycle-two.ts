// expect: job/cycle@8:warning job/cycle@22:warning
// Two jobs that call each other, and a job that calls itself.
import { defineJob } from "../../core/index.ts";

export const ping = defineJob({
  name: "ping",
  *run(n: number): Generator<never, number, unknown> {
    return n <= 0 ? 0 : yield* pong(n - 1);
  },
});

export const pong = defineJob({
  name: "pong",
  *run(n: number): Generator<never, number, unknown> {
    return yield* ping(n);
  },
});

export const loop = defineJob({
  name: "loop",
  *run(n: number): Generator<never, number, unknown> {
    return yield* loop(n + 1);
  },
});
