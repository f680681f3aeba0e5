// expect: purity/outer-write@19 purity/outer-write@21
// A closure factory that captures its argument: the closure made over a module-level array
// writes module state when called; the one made over a local array is fine.
import { defineStage } from "../../../../core/index.ts";

function makeCollector(sink: string[]) {
  return (msg: string) => { sink.push(msg); };
}
const warnings: string[] = [];
const warnGlobal = makeCollector(warnings);

export const validateCsvHeader = defineStage({
  name: "validate-csv-header", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: () => 256 },
  run: (header: string[]) => {
    const problems: string[] = [];
    const report = makeCollector(problems);
    if (!header.includes("id")) report("missing id column");
    if (header.length > 64) warnGlobal("wide header");
    const warn = makeCollector(warnings);
    if (new Set(header).size !== header.length) warn("duplicate columns");
    return problems;
  },
});
