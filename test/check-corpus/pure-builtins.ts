// expect: none
// Pure built-ins: JSON, Number, String, Array.from, Object.entries/keys, typed arrays, instanceof, Date.parse.
import { defineStage } from "../../core/index.ts";

const TABLE = Object.freeze({ a: 1, b: 2 });
let debugName = "stage"; // read (never written) by pure code

export const builtins = defineStage({
  name: "builtins", version: 1, caps: ["cpu"], timeoutMs: 250,
  cost: { runtimeMs: (n) => n, outputBytes: (n) => n },
  run: (text: string) => {
    const parsed = JSON.parse(text) as Record<string, number>;
    const keys = Object.keys(parsed).sort();
    const pairs = Object.entries(TABLE).map(([k, v]) => `${k}=${v}`);
    const squares = Array.from({ length: 4 }, (_, i) => i * i);
    const bytes = new TextEncoder().encode(text);
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Number.parseFloat("1.5"));
    const isDate = (parsed as unknown) instanceof Date;
    const when = Date.parse("2020-01-01T00:00:00Z");
    return JSON.stringify({ keys, pairs, squares, n: bytes.length, f: view.getFloat64(0), isDate, when, debugName, max: Number.MAX_SAFE_INTEGER });
  },
});
