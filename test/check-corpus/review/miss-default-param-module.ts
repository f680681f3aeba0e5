// expect: purity/outer-write@6
import { defineStage, defineJob, all } from "../../../core/index.ts";
const SEEN: string[] = [];
// A default parameter that is module state: callers that omit `into` append to SEEN.
function remember(tok: string, into: string[] = SEEN): number {
  into.push(tok);
  return into.length;
}
export const s = defineStage({
  name: "miss-default-param-module", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (text: string) => text.split(" ").map((t) => remember(t)),
});
