// expect: purity/host@6
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// new Date(...parts) with [y, m, d] is the local-time constructor, like new Date(y, m, d).
export const s = defineStage({ name: "date-spread", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (p: [number, number, number]) => new Date(...p).getTime() });
