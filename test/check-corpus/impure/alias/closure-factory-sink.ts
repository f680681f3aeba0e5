// expect: purity/outer-write@8
// A closure factory that captures its argument: the closure made over a module-level array
// writes module state when called. The write is reported once, in the closure, with the factory's
// call that passes module state (a closure's captured parameter is judged at its factory's calls).
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
