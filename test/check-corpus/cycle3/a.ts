// expect: job/cycle@9:warning
// Three jobs across two files: first -> second -> third -> first (third lives in b.ts).
import { defineJob } from "../../../core/index.ts";
import { third } from "./b.ts";

export const first = defineJob({
  name: "first",
  *run(n: number): Generator<never, number, unknown> {
    return yield* second(n + 1);
  },
});

export const second = defineJob({
  name: "second",
  *run(n: number): Generator<never, number, unknown> {
    return yield* third(n * 2);
  },
});
