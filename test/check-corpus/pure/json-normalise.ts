// expect: none
// A JSON normaliser: parse inside try/catch (a fixed fallback, never the error text), sort keys recursively, re-stringify.
import { defineStage } from "../../../core/index.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]!);
    return out;
  }
  return v;
}

export const normaliseJson = defineStage({
  name: "pure-normalise-json", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 5e-5, outputBytes: (bytes) => bytes },
  run: (text: string) => {
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      return { ok: false, text: "" };
    }
    return { ok: true, text: JSON.stringify(canonical(parsed)) };
  },
});
