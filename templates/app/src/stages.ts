/**
 * Your stages and jobs. A stage is a pure function with a cost model: paxflow may run it on any
 * backend, more than once, and compare the answers. A job is a generator that yields calls to
 * stages (and other jobs); it is replayed from the log after a failure, so it must be
 * deterministic too. `npx paxflow check src` verifies both.
 *
 * ./paxflow.lock.json records each stage and job version's code digest (`npx paxflow lock`,
 * commit it): a backend refuses a call dispatched for other code, and `paxflow check` refuses a
 * stage or job whose code changed without a new `version`. A job runs to its end on the version
 * it started with: keep the old version exported beside a new one while jobs of it run.
 */
import { all, createRegistry, defineJob, defineStage, withCodeDigests } from "paxflow";
import lock from "./paxflow.lock.json" with { type: "json" };

/** Counts the words of one chunk of text. */
export const countWords = defineStage({
  name: "{{name}}/count-words",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 10_000,
  // n is the encoded input's size in bytes; a speed profile scales these per backend.
  cost: { runtimeMs: (n: number) => 0.001 * n, outputBytes: () => 8 },
  run: (text: string): number => text.split(/\s+/).filter((word) => word.length > 0).length,
});

/** Splits a text into lines, counts each line's words in parallel, and adds them up. */
export const wordTotal = defineJob({
  name: "{{name}}/word-total",
  version: 1,
  *run({ text }: { text: string }) {
    const counts = yield* all(text.split("\n").map((line) => countWords(line)));
    return counts.reduce((sum, n) => sum + n, 0);
  },
});

/** What this app deploys: nothing else can run. */
export const registry = withCodeDigests(createRegistry({ countWords, wordTotal }), lock);
