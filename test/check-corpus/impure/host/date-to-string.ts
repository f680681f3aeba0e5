// expect: purity/host@13 purity/host@14 purity/host@15
// Writing a human-readable date into an audit record: Date's toString, toDateString and
// toTimeString use local time and a host-chosen zone name. toISOString and toUTCString are fine.
import { defineStage } from "../../../../core/index.ts";

interface Change { actor: string; at: number; field: string }

export const auditLine = defineStage({
  name: "audit-line", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 512 },
  run: (c: Change) => {
    const d = new Date(c.at);
    const full = d.toString();
    const day = d.toDateString();
    const time = d.toTimeString();
    const iso = d.toISOString();
    const http = d.toUTCString();
    const json = d.toJSON();
    return { line: `${c.actor} changed ${c.field}`, full, day, time, iso, http, json };
  },
});
