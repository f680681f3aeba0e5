// expect: purity/unknown-call@15 purity/unknown-call@16
// A job walking its input with Reflect.ownKeys and Reflect.has: Reflect.* calls are unknown calls.
// Object.keys and the `in` operator on the same (private) input are fine.
import { defineJob, defineStage } from "../../../../core/index.ts";

export const countField = defineStage({
  name: "count-field", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 1, outputBytes: () => 16 },
  run: (values: unknown[]) => values.filter((v) => v !== null && v !== undefined).length,
});

export const profileColumns = defineJob({
  name: "profile-columns",
  *run(table: Record<string, unknown[]>) {
    const keys = Reflect.ownKeys(table);
    const hasId = Reflect.has(table, "id");
    const names = Object.keys(table).sort();
    const counts: Record<string, number> = {};
    for (const name of names) counts[name] = yield* countField(table[name] ?? []);
    return { counts, keys: keys.length, hasId, hasIdPlain: "id" in table };
  },
});
