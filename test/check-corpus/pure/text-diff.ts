// expect: none
// A line diff via longest common subsequence: a local 2-D table of Int32Arrays, backtracking into fresh ops.
import { defineStage } from "../../../core/index.ts";

type Op = { op: "=" | "-" | "+"; line: string };

export const lineDiff = defineStage({
  name: "pure-line-diff", version: 1, caps: ["cpu"], timeoutMs: 5_000,
  cost: { runtimeMs: (bytes) => (bytes / 40) ** 2 * 1e-5, outputBytes: (bytes) => bytes * 1.2 },
  run: ({ before, after }: { before: string; after: string }) => {
    const a = before.split("\n");
    const b = after.split("\n");
    const lcs: Int32Array[] = [];
    for (let i = 0; i <= a.length; i++) lcs.push(new Int32Array(b.length + 1));
    for (let i = a.length - 1; i >= 0; i--) {
      for (let j = b.length - 1; j >= 0; j--) {
        lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    const ops: Op[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) { ops.push({ op: "=", line: a[i]! }); i++; j++; }
      else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) { ops.push({ op: "-", line: a[i]! }); i++; }
      else { ops.push({ op: "+", line: b[j]! }); j++; }
    }
    while (i < a.length) ops.push({ op: "-", line: a[i++]! });
    while (j < b.length) ops.push({ op: "+", line: b[j++]! });
    return ops.map((o) => `${o.op} ${o.line}`).join("\n");
  },
});
