// expect: purity/outer-write@13 purity/outer-write@15
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
type Opts = { tags: string[]; limit: number };
const DEFAULTS: Opts = { tags: [], limit: 10 };
// Hand-written shallow merge helpers (lodash-style assign/extend): the target is fresh, but the
// values copied in are still the source's; writing them writes module state / the input.
function merge(a: any, b: any) { for (const k of Object.keys(b)) a[k] = b[k]; return a; }
function extend<T extends object>(target: T, src: Partial<T>): T {
  for (const [k, v] of Object.entries(src)) (target as any)[k] = v; return target; }
export const a = defineStage({ name: "merge-defaults", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (o: Partial<Opts>) => { const cfg = merge({}, DEFAULTS) as Opts;
    cfg.tags.push("x"); return cfg; } });
export const b = defineStage({ name: "extend-input", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (o: Opts) => { const cfg = extend({ tags: [] as string[], limit: 0 }, o); cfg.tags.push("x"); return cfg; } });
