// expect: purity/outer-write@22 purity/outer-write@23
// In a job, the input and what yield* returns are private copies: writing them is fine. Writing
// a module-level Set through a local alias, or through a helper that returns it, is not.
import { defineJob, defineStage } from "../../../../core/index.ts";

const processedIds = new Set<string>();
const seenSet = () => processedIds;

export const enrich = defineStage({
  name: "enrich-order", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 2, outputBytes: (bytes) => bytes + 64 },
  run: (o: { id: string; items: string[] }) => ({ ...o, itemCount: o.items.length, tags: [] as string[] }),
});

export const processOrder = defineJob({
  name: "process-order",
  *run(order: { id: string; items: string[] }) {
    order.items.sort();
    const enriched = yield* enrich(order);
    enriched.tags.push("enriched");
    const seen = processedIds;
    seen.add(order.id);
    seenSet().add(enriched.id);
    const local = new Set<string>();
    local.add(order.id);
    return { ...enriched, local: local.size };
  },
});
