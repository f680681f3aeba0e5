// expect: purity/outer-write@14
// Array.from(batch.rows) is a new array of the same row objects: zeroing a row's values writes
// the input. Array.from with a mapper that copies each row is fine.
import { defineStage } from "../../../../core/index.ts";

interface Row { sensor: string; values: number[] }

export const maskFaultySensors = defineStage({
  name: "mask-faulty-sensors", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes / 20_000, outputBytes: (bytes) => bytes },
  run: (batch: { rows: Row[]; faulty: string[] }) => {
    const rows = Array.from(batch.rows);
    for (const row of rows) {
      if (batch.faulty.includes(row.sensor)) row.values.fill(0);
    }
    const copies = Array.from(batch.rows, (r) => ({ sensor: r.sensor, values: [...r.values] }));
    for (const row of copies) {
      if (batch.faulty.includes(row.sensor)) row.values.fill(0);
    }
    rows.reverse();
    return { copies, first: rows[0]?.sensor };
  },
});
