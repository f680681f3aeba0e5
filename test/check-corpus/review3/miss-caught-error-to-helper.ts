// expect: purity/host@5
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// Engine text read inside a helper the caught error is passed to.
function describeError(e: unknown): string { return e instanceof Error ? e.message : "unknown"; }
export const s = defineStage({ name: "err-helper", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (text: string) => { try { return JSON.parse(text) as unknown; } catch (err) { return { error: describeError(err) }; } } });
