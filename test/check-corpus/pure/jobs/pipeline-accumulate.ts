// expect: none
// A job loops over pages, accumulating stage results into a local array and a Map, rewriting its input's cursor field.
import { defineJob, defineStage } from "../../../../core/index.ts";

export const fetchPage = defineStage({
  name: "pure-job-page", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: () => 0.1, outputBytes: () => 256 },
  run: ({ cursor, size }: { cursor: number; size: number }) => ({
    rows: Array.from({ length: size }, (_, i) => ({ id: cursor + i, group: (cursor + i) % 3 })),
    next: cursor + size,
  }),
});

export const groupAll = defineJob({
  name: "pure-job-group-all",
  *run(req: { cursor: number; pages: number; size: number }) {
    const groups = new Map<number, number[]>();
    for (let p = 0; p < req.pages; p++) {
      const page = yield* fetchPage({ cursor: req.cursor, size: req.size });
      for (const row of page.rows) {
        const g = groups.get(row.group) ?? [];
        g.push(row.id);
        groups.set(row.group, g);
      }
      page.rows.length = 0;
      req.cursor = page.next;
    }
    return { cursor: req.cursor, groups: [...groups.entries()].sort((a, b) => a[0] - b[0]) };
  },
});
