// expect: purity/host@8 purity/host@11
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
type Result = { ok: true; value: unknown } | { ok: false; error: Error };
function tryParse(s: string): Result { try { return { ok: true, value: JSON.parse(s) }; } catch (e) { return { ok: false, error: e as Error }; } }
// A caught error renamed by a const alias, or passed to a typed helper: `.message` is engine text. (Stored in a result object and read elsewhere (err-result) it is not followed: see "What it cannot see".)
export const a = defineStage({ name: "err-alias", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { try { return JSON.parse(s) as unknown; } catch (e) { const err = e as Error; return { error: err.message }; } } });
export const b = defineStage({ name: "err-result", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { const r = tryParse(s); return r.ok ? r.value : { error: r.error.message }; } });
function msg(e: Error): string { return e.message; }
export const c = defineStage({ name: "err-typed-helper", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { try { return JSON.parse(s) as unknown; } catch (e) { return { error: msg(e as Error) }; } } });
