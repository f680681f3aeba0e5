// expect: none
// Helpers that fill a fresh local passed to them as an argument: a Map of buckets and an output array.
import { defineStage } from "../../../core/index.ts";

function addTo(buckets: Map<string, string[]>, key: string, value: string): void {
  const list = buckets.get(key);
  if (list) list.push(value);
  else buckets.set(key, [value]);
}

function flatten(buckets: Map<string, string[]>, out: string[]): void {
  for (const [k, vs] of buckets) for (const v of vs) out.push(`${k}:${v}`);
}

export const groupByInitial = defineStage({
  name: "pure-group-by-initial", version: 1, caps: ["cpu"], timeoutMs: 300,
  cost: { runtimeMs: (bytes) => bytes * 1e-5, outputBytes: (bytes) => bytes * 1.5 },
  run: (names: string[]) => {
    const buckets = new Map<string, string[]>();
    for (const n of names) addTo(buckets, n.charAt(0).toUpperCase(), n);
    const out: string[] = [];
    flatten(buckets, out);
    return out;
  },
});
