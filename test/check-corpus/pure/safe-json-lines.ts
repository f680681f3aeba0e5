// expect: none
// NDJSON reader: JSON.parse per line inside try/catch; the catch yields a fixed marker, never the error text.
import { type Value, defineStage } from "../../../core/index.ts";

const BAD: Value = Object.freeze({ bad: true });

export const readNdjson = defineStage({
  name: "pure-ndjson", version: 1, caps: ["cpu"], timeoutMs: 2_000,
  cost: { runtimeMs: (bytes) => bytes * 4e-6, outputBytes: (bytes) => bytes * 3 },
  run: (text: string) => {
    const parseLine = (line: string): Value => {
      try {
        return JSON.parse(line) as Value;
      } catch (_e) {
        return BAD;
      }
    };
    const rows = text.split(/\r?\n/).filter((l) => l.trim() !== "").map(parseLine);
    return { rows: rows.filter((r) => r !== BAD), errors: rows.filter((r) => r === BAD).length };
  },
});
