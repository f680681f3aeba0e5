// expect: purity/unknown-call@13 purity/unknown-call@14 purity/unknown-call@15
// Built-ins that exist in one runtime and not the other: Object.groupBy, Map.groupBy and the Set
// methods (union, intersection) are missing on Node 20 but present in current workerd, so the
// same code throws on one host. ES2023 methods both runtimes ship (toSorted, findLast) are fine.
import { defineStage } from "../../../../core/index.ts";

interface Order { id: string; region: string; tags: string[]; cents: number }

export const regionStats = defineStage({
  name: "region-stats", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 20_000, outputBytes: () => 512 },
  run: (orders: Order[]) => {
    const byRegion = Object.groupBy(orders, (o) => o.region);
    const byTag = Map.groupBy(orders, (o) => o.tags[0] ?? "none");
    const allTags = new Set(orders[0]?.tags ?? []).union(new Set(orders[1]?.tags ?? []));
    const largest = orders.toSorted((a, b) => b.cents - a.cents)[0]?.id;
    const lastEu = orders.findLast((o) => o.region === "eu")?.id;
    const manual: Record<string, number> = {};
    for (const o of orders) manual[o.region] = (manual[o.region] ?? 0) + o.cents;
    return { regions: Object.keys(byRegion).length, tags: byTag.size + allTags.size, largest, lastEu, manual };
  },
});
