// expect: purity/host@16 purity/host@17
// A job naming its export file with toLocaleDateString of a fixed timestamp: locale data and time
// zone come from the host, so replays on another host name the file differently.
import { defineJob, defineStage } from "../../../../core/index.ts";

export const exportRows = defineStage({
  name: "export-rows", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes / 1_000, outputBytes: (bytes) => bytes },
  run: (rows: string[][]) => rows.map((r) => r.join(",")).join("\n"),
});

export const nightlyExport = defineJob({
  name: "nightly-export",
  *run(input: { asOf: number; rows: string[][] }) {
    const csv = yield* exportRows(input.rows);
    const name = `export-${new Date(input.asOf).toLocaleDateString("en-GB")}.csv`;
    const stamp = new Date(input.asOf).toLocaleTimeString();
    const isoName = `export-${new Date(input.asOf).toISOString().slice(0, 10)}.csv`;
    return { name, stamp, isoName, bytes: csv.length };
  },
});
