// expect: purity/host@7 purity/host@9 purity/host@11
import { defineStage } from "../../../core/index.ts";
const cost = { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b };
// JSON.parse's SyntaxError text changed between V8 versions (Node 20 vs workerd's newer V8).
export const a = defineStage({ name: "err-destr", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { try { return JSON.parse(s) as unknown; } catch (e) {
    const { message } = e as Error; return { error: message }; } } });
export const b = defineStage({ name: "err-index", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { try { return JSON.parse(s) as unknown; } catch (e) { return { error: (e as Record<string, unknown>)["message"] }; } } });
export const c = defineStage({ name: "err-proto-tostring", version: 1, caps: ["cpu"], timeoutMs: 100, cost,
  run: (s: string) => { try { return JSON.parse(s) as unknown; } catch (e) { return { error: Error.prototype.toString.call(e) }; } } });
