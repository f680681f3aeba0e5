// expect: none
// Greedy word wrap at a column width, building lines in a local array and a current-line string.
import { defineStage } from "../../../../core/index.ts";

export const wrap = defineStage({
  name: "pure-word-wrap", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes * 1.05 },
  run: ({ text, width }: { text: string; width: number }) => {
    const lines: string[] = [];
    for (const para of text.split(/\n{2,}/)) {
      let line = "";
      for (const word of para.split(/\s+/).filter(Boolean)) {
        if (line.length === 0) line = word;
        else if (line.length + 1 + word.length <= width) line += " " + word;
        else { lines.push(line); line = word; }
      }
      if (line) lines.push(line);
      lines.push("");
    }
    lines.pop();
    return lines.join("\n");
  },
});
