// expect: none
// The rest of the cycle in a.ts; the cycle is reported once, at its first edge (first -> second).
import { first } from "./a.ts";
import { defineJob } from "paxflow";

export const third = defineJob({
  name: "third",
  *run(n: number): Generator<never, number, unknown> {
    return n > 100 ? n : yield* first(n);
  },
});
