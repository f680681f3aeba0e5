// expect: none
// Locals and parameters that shadow host globals are not the host globals.
import { defineStage } from "../../core/index.ts";

function report(console: { log: (s: string) => string }, s: string) {
  return console.log(s);
}

export const shadow = defineStage({
  name: "shadow", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 1 },
  run: (input: { keys: string[] }) => {
    const fetch = (k: string) => k.charCodeAt(0);
    const self = { n: input.keys.length };
    const Date = { now: () => 7 };
    const process = (k: string) => k.length;
    const logger = { log: (s: string) => s };
    return input.keys.map((k) => fetch(k) + process(k) + self.n + Date.now() + report(logger, k).length);
  },
});
