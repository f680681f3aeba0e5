// expect: purity/host@12 purity/host@13 purity/host@14
// Intl formatters (numbers, plurals, relative time) read the host's ICU data: their output
// differs between runtimes and ICU versions. Plain arithmetic and template strings are fine.
import { defineStage } from "../../../../core/index.ts";

interface Usage { accountId: string; bytes: number; files: number; daysLeft: number }

export const usageSummary = defineStage({
  name: "usage-summary", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: () => 256 },
  run: (u: Usage) => {
    const bytes = new Intl.NumberFormat("de-DE", { maximumFractionDigits: 1 }).format(u.bytes / 1e9);
    const noun = new Intl.PluralRules("en-US").select(u.files) === "one" ? "file" : "files";
    const left = new Intl.RelativeTimeFormat("en").format(u.daysLeft, "day");
    const gb = (u.bytes / 1e9).toFixed(1);
    const plain = `${gb} GB in ${u.files} ${u.files === 1 ? "file" : "files"}`;
    return { accountId: u.accountId, bytes, noun, left, plain };
  },
});
