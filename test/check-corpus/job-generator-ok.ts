// expect: none
// Generator job bodies in every spelling: method, function expression, referenced declaration.
import { defineJob, defineStage } from "../../core/index.ts";

export const id2 = defineStage({
  name: "id2", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => x,
});

function* body(x: number) {
  return yield* id2(x);
}

export const a = defineJob({ name: "gen-a", *run(x: number) { return yield* id2(x); } });
export const b = defineJob({ name: "gen-b", run: function* (x: number) { return yield* id2(x); } });
export const c = defineJob({ name: "gen-c", run: body });
