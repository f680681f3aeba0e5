// expect: job/cycle@18
// A job that calls itself under another name (a const alias kept "for readability"), with its own
// input and nothing before it that could return: reconcile-ledger waits on itself.
import { type Job, type Step, defineJob, defineStage } from "../../../core/index.ts";

type Batch = { account: string; entries: number[] };

export const sumEntries = defineStage({
  name: "sum-entries", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (b) => b.entries.length, outputBytes: () => 8 },
  run: (b: Batch) => b.entries.reduce((a, x) => a + x, 0),
});

export const reconcileLedger: Job<Batch, number> = defineJob({
  name: "reconcile-ledger",
  *run(batch: Batch): Step<number> {
    const total = yield* sumEntries(batch);
    const settled = yield* reconcileAgain(batch);
    return total - settled;
  },
});

const reconcileAgain = reconcileLedger;
