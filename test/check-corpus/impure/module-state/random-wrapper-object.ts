// expect: purity/random@8
// A module-level "rng" object whose methods wrap Math.random: picking an A/B variant through it is
// random, reported where Math.random is. A seeded hash of the user id is fine.
import { defineStage } from "../../../../core/index.ts";

const rng = {
  float(): number {
    return Math.random();
  },
  pick<T>(xs: readonly T[]): T | undefined {
    return xs[Math.floor(this.float() * xs.length)];
  },
};

function bucketOf(userId: string, n: number): number {
  let h = 2166136261;
  for (const ch of userId) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % n;
}

export const assignVariant = defineStage({
  name: "assign-variant", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 32 },
  run: (req: { userId: string; variants: string[] }) => {
    const sticky = req.variants[bucketOf(req.userId, req.variants.length)];
    const noisy = rng.pick(req.variants);
    return { sticky, noisy };
  },
});
