// expect: none
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// A variadic pipe of pure, named, module-level functions: f(a) is reported as an unknown call,
// though every caller passes known functions (a two-argument compose of the same passes).
const pipe = (...fs: ((s: string) => string)[]) => (x: string) => fs.reduce((a, f) => f(a), x);
const trim = (s: string) => s.trim();
const lower = (s: string) => s.toLowerCase();
export const s = defineStage({ name: "pipe-rest", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (x: string) => pipe(trim, lower)(x) });
