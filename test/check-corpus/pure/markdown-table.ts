// expect: none
// String building: render rows as a Markdown table with padEnd/padStart alignment and join.
import { defineStage } from "../../../core/index.ts";

export const mdTable = defineStage({
  name: "pure-markdown-table", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes * 2e-6, outputBytes: (bytes) => bytes * 1.5 + 64 },
  run: ({ headers, rows }: { headers: string[]; rows: Array<Array<string | number>> }) => {
    const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c] ?? "").length)));
    const cell = (v: string | number, c: number) =>
      typeof v === "number" ? String(v).padStart(widths[c]!) : v.padEnd(widths[c]!);
    const lines = [
      `| ${headers.map((h, c) => h.padEnd(widths[c]!)).join(" | ")} |`,
      `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
      ...rows.map((r) => `| ${headers.map((_, c) => cell(r[c] ?? "", c)).join(" | ")} |`),
    ];
    return lines.join("\n");
  },
});
