// expect: job/yield@28 job/yield@29 job/yield@30
// all(...) runs calls: its items (spread or as one array) must be stage/job calls. A helper
// generator's call is not one (it is only valid with yield*), nor is an arbitrary value.
import { all, defineJob, defineStage } from "../../core/index.ts";

const cost = { runtimeMs: () => 1, outputBytes: () => 8 };
export const id = defineStage({ name: "id", version: 1, caps: ["cpu"], timeoutMs: 10, cost, run: (x: number) => x });

function* twice(x: number) {
  const a = yield* id(x);
  return yield* id(a);
}
const callId = (x: number) => id(x);

export const fine = defineJob({
  name: "fine",
  *run(xs: number[]) {
    const calls = [id(1), callId(2)];
    const a = yield* all(...calls, id(3));
    const b = yield* all(xs.map((x) => id(x)), );
    return [a, b, yield* all(xs.map(callId)), yield* all([id(4), xs.length > 2 ? id(5) : callId(6)])];
  },
});

export const wrong = defineJob({
  name: "wrong",
  *run(xs: number[]) {
    const a = yield* all(twice(1), id(2));
    const b = yield* all(xs.map((x) => twice(x)));
    const c = [id(1), 42];
    return [a, b, yield* all(c)];
  },
});
