// expect: purity/outer-write@14
// A bound push of a module-level array writes module state wherever it is called. Binding a
// local array's push is fine.
import { defineStage } from "../../../../core/index.ts";

const auditTrail: string[] = [];
const MAX_LINES = 100;

export const auditTransfer = defineStage({
  name: "audit-transfer", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: () => 256 },
  run: (t: { from: string; to: string; cents: number }) => {
    const note = auditTrail.push.bind(auditTrail);
    note(`${t.from}->${t.to}:${t.cents}`);
    const lines: string[] = [];
    const add = lines.push.bind(lines);
    add(`from=${t.from}`);
    add(`to=${t.to}`);
    if (t.cents > 1_000_000) add("flag=large");
    return lines.slice(0, MAX_LINES);
  },
});
