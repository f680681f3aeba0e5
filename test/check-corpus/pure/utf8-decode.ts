// expect: none
// Decode UTF-8 records with TextDecoder (fatal mode in try/catch with a fixed fallback) and re-encode with TextEncoder.
import { defineStage } from "../../../core/index.ts";

export const decodeRecords = defineStage({
  name: "pure-utf8-decode", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes * 2 },
  run: (records: Uint8Array[]) => {
    const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
    const lenient = new TextDecoder();
    const enc = new TextEncoder();
    return records.map((r) => {
      let text: string;
      let valid = true;
      try {
        text = strict.decode(r);
      } catch {
        text = lenient.decode(r);
        valid = false;
      }
      return { text, valid, bytes: enc.encode(text).byteLength };
    });
  },
});
