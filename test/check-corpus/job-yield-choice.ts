// expect: job/yield@38 job/yield@41
// Choosing which stage to call: a conditional, a let reassigned to stage calls, a lookup table.
// Accepted when every possible target is a stage/job; a table or variable that may hold anything
// else is not.
import { defineJob, defineStage } from "../../core/index.ts";

const cost = { runtimeMs: () => 1, outputBytes: () => 8 };
export const inc = defineStage({ name: "inc", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: (x: number) => x + 1 });
export const dec = defineStage({ name: "dec", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: (x: number) => x - 1 });

const steps = [(x: number) => inc(x), dec];
const byName = { inc, dec };

export const chooser = defineJob({
  name: "chooser",
  *run(x: number) {
    const st = x > 0 ? inc : dec;
    let a = yield* st(x);
    let call = inc(a);
    if (a > 10) call = dec(a);
    a = yield* call;
    a = yield* steps[a % 2]!(a);
    return yield* byName[a > 0 ? "inc" : "dec"](a);
  },
});

function* helper(x: number) {
  return x;
}
const mixed = [inc, (x: number) => x * 2];

export const wrong = defineJob({
  name: "wrong",
  *run(x: number) {
    let call = inc(x);
    yield* helper(x);
    if (x > 1) call = mixed[1]!(x) as never;
    const y = yield* call;
    const pick = mixed[x % 2]!;
    void y;
    return yield* pick(x);
  },
});
