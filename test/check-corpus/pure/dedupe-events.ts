// expect: none
// Deduplicate events by id with a local Set, keep the latest per key with a local Map; returns fresh arrays.
import { defineStage } from "../../../core/index.ts";

type Ev = { id: string; key: string; at: number; payload: string };

export const dedupe = defineStage({
  name: "pure-dedupe-events", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 2e-6, outputBytes: (bytes) => bytes },
  run: (events: Ev[]) => {
    const seen = new Set<string>();
    const latest = new Map<string, Ev>();
    for (const e of events) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      const prev = latest.get(e.key);
      if (!prev || prev.at < e.at) latest.set(e.key, e);
    }
    latest.delete("");
    const keys = [...latest.keys()].sort();
    return { unique: seen.size, latest: keys.map((k) => latest.get(k)!) };
  },
});
