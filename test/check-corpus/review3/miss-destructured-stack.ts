// expect: purity/host@5
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// `stack` taken by destructuring instead of `.stack`: file paths, line numbers, engine frames.
function where(): string { const { stack } = new Error("here"); return stack ?? ""; }
export const s = defineStage({ name: "destr-stack", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (n: number) => where().length + n });
