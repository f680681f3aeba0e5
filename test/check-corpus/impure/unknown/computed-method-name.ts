// expect: purity/unknown-call@13 purity/unknown-call@14
// Calling a method whose NAME comes from the input (`rows[spec.op]()`): union types are not
// enforced on JSON input, so the checker cannot tell which method runs (sort would write the
// input). A switch over known names is fine.
import { defineStage } from "../../../../core/index.ts";

type Op = "reverse" | "sort" | "flat";

export const reshape = defineStage({
  name: "reshape", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: (bytes) => bytes },
  run: (spec: { op: Op; rows: number[]; words: string[]; fn: "trim" | "toUpperCase" }) => {
    const dynamic = spec.rows[spec.op]();
    const words = spec.words.map((w) => w[spec.fn]());
    let fixed: number[];
    switch (spec.op) {
      case "reverse": fixed = spec.rows.toReversed(); break;
      case "sort": fixed = spec.rows.toSorted((a, b) => a - b); break;
      default: fixed = spec.rows.flat();
    }
    return { dynamic, fixed, words };
  },
});
