// expect: purity/outer-write@15
// A module-level /g RegExp used with exec in a loop: exec reads and writes its lastIndex, shared
// by every run. matchAll (which clones the regexp) and a local RegExp are fine.
import { defineStage } from "../../../../core/index.ts";

const PLACEHOLDER = /\{(\w+)\}/g;
const PLACEHOLDER_ALL = /\{(\w+)\}/g;

export const renderTemplate = defineStage({
  name: "render-template", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: (bytes) => 1 + bytes / 50_000, outputBytes: (bytes) => bytes * 2 },
  run: (input: { template: string; vars: Record<string, string> }) => {
    const names: string[] = [];
    let m: RegExpExecArray | null;
    while ((m = PLACEHOLDER.exec(input.template)) !== null) names.push(m[1]!);
    const viaMatchAll = [...input.template.matchAll(PLACEHOLDER_ALL)].map((x) => x[1]);
    const re = /\{(\w+)\}/g;
    const local: string[] = [];
    while ((m = re.exec(input.template)) !== null) local.push(m[1]!);
    const text = input.template.replace(/\{(\w+)\}/g, (_, k: string) => input.vars[k] ?? "");
    return { text, names, viaMatchAll, local };
  },
});
