// expect: stage/sync@8 stage/sync@13 stage/sync@17
// A stage's run is a plain synchronous function: not async, not a generator (that is what jobs are for).
import { defineStage } from "../../core/index.ts";

const cost = { runtimeMs: () => 1, outputBytes: () => 8 };

export const later = defineStage({
  name: "later", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: async (x: number) => { await null; return x; },
});

export const gen = defineStage({
  name: "gen", version: 1, caps: ["cpu"], timeoutMs: 10, cost,
  run: function* (x: number) { yield x; },
});

async function fetchLike(x: number) { return x; }
export const named = defineStage({ name: "named", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: fetchLike });
