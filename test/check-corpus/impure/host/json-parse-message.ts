// expect: purity/host@16
// Validating uploaded JSON: the text of a SyntaxError thrown by JSON.parse is engine-generated
// and differs between engines and versions. Returning a fixed code is fine.
import { defineStage } from "../../../../core/index.ts";

type Parsed = { ok: true; value: unknown } | { ok: false; error: string; code: string };

export const parseUpload = defineStage({
  name: "parse-upload", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => 1 + bytes / 100_000, outputBytes: (bytes) => bytes },
  run: (text: string): Parsed => {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (e) {
      const code = e instanceof SyntaxError ? "E_SYNTAX" : "E_UNKNOWN";
      const error = (e as Error).message;
      return { ok: false, error, code };
    }
  },
});

export const parseOrNull = defineStage({
  name: "parse-or-null", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => 1 + bytes / 100_000, outputBytes: (bytes) => bytes },
  run: (text: string) => {
    try { return JSON.parse(text) as unknown; } catch { return null; }
  },
});
