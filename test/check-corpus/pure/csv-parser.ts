// expect: none
// A small RFC 4180 CSV parser: quoted fields, doubled quotes, CRLF; rows built in fresh local arrays.
import { defineStage } from "../../../core/index.ts";

export const parseCsv = defineStage({
  name: "pure-parse-csv", version: 1, caps: ["cpu"], timeoutMs: 2_000,
  cost: { runtimeMs: (bytes) => bytes / 50_000, outputBytes: (bytes) => bytes * 2 },
  run: (text: string) => {
    const rows: string[][] = [];
    let row: string[] = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charAt(i);
      if (quoted) {
        if (c === '"') {
          if (text.charAt(i + 1) === '"') { field += '"'; i++; } else quoted = false;
        } else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") { row.push(field); field = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text.charAt(i + 1) === "\n") i++;
        row.push(field); field = "";
        rows.push(row); row = [];
      } else field += c;
    }
    if (field !== "" || row.length > 0) { row.push(field); rows.push(row); }
    return rows;
  },
});
