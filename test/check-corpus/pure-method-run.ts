// expect: none
// run as a method, run as a reference to a function declaration, cost as methods and as a shared constant.
import { defineStage } from "../../core/index.ts";

function tokenize(text: string): string[] {
  return text.toLowerCase().split(/\s+/).filter((w) => w.length > 0).map((w) => w.replace(/[^a-z]/g, ""));
}

const linearCost = { runtimeMs: (n: number) => n / 1e4, outputBytes: (n: number) => n };

export const tokens = defineStage({
  name: "tokens", version: 1, caps: ["cpu"], timeoutMs: 1000,
  cost: linearCost,
  run: tokenize,
});

export const upper = defineStage({
  name: "upper", version: 1, caps: ["cpu"], timeoutMs: 10 * 1000,
  cost: {
    runtimeMs(n: number) {
      return n / 1e5;
    },
    outputBytes(n: number) {
      return n;
    },
  },
  run(text: string) {
    return text.toUpperCase().trim().slice(0, 100);
  },
});
