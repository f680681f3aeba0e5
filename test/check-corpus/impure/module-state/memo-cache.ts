// expect: purity/outer-write@23
// Memoising an expensive parse in a module-level Map: the stage writes the Map and later runs
// read what earlier runs wrote. A Map local to the call is fine.
import { defineStage } from "../../../../core/index.ts";

interface Rule { field: string; op: string; value: string }
const parsedRules = new Map<string, Rule[]>();

function parseRules(src: string): Rule[] {
  return src.split(";").filter(Boolean).map((clause) => {
    const [field = "", op = "", value = ""] = clause.trim().split(/\s+/);
    return { field, op, value };
  });
}

export const matchRules = defineStage({
  name: "match-rules", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => 1 + bytes / 20_000, outputBytes: () => 64 },
  run: (input: { rules: string; record: Record<string, string> }) => {
    let rules = parsedRules.get(input.rules);
    if (!rules) {
      rules = parseRules(input.rules);
      parsedRules.set(input.rules, rules);
    }
    const local = new Map<string, boolean>();
    for (const r of rules) local.set(r.field, r.op === "=" ? input.record[r.field] === r.value : input.record[r.field] !== r.value);
    return [...local.values()].every(Boolean);
  },
});
