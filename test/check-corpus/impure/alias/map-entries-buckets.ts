// expect: purity/outer-write@13
// A token-bucket refill that walks entries() of a module-level Map writes the buckets the Map
// holds. The same walk over a Map built from the input snapshot, with copied buckets, is fine.
import { defineStage } from "../../../../core/index.ts";

interface Bucket { tokens: number; capacity: number }
const buckets = new Map<string, Bucket>([["api", { tokens: 10, capacity: 10 }]]);

export const refillBuckets = defineStage({
  name: "refill-buckets", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes },
  run: (snap: { refill: number; buckets: Record<string, Bucket> }) => {
    for (const [, bucket] of buckets.entries()) bucket.tokens = snap.refill;
    const local = new Map(Object.entries(snap.buckets).map(([k, b]) => [k, { ...b }]));
    for (const [, bucket] of local.entries()) {
      bucket.tokens = Math.min(bucket.capacity, bucket.tokens + snap.refill);
    }
    return Object.fromEntries(local);
  },
});
