// expect: purity/outer-read@9 purity/outer-read@10 purity/outer-read@11
import { defineStage } from "../../../../core/index.ts";
import * as S from "./state.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
export const admin = defineStage({ name: "ns-admin", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { S.configure(s); S.track(s); S.remember(s); return s; } });
// Through a namespace import (import * as S), reads of state other code writes at run time
// are not flagged; the same reads through named imports are.
export const a = defineStage({ name: "ns-a", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (s: string) => S.config.currency + s });
export const b = defineStage({ name: "ns-b", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (s: string) => S.calls + s });
export const c = defineStage({ name: "ns-c", version: 1, caps: ["cpu"], timeoutMs: 100, cost, run: (s: string) => S.seen.get(s) ?? 0 });
