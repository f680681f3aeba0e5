// expect: purity/unknown-call@14 purity/unknown-call@16
// Pulling a getter out of a property descriptor and calling it, or calling a function found
// through Object.getPrototypeOf: the callee is whatever the object carries. Plain reads are fine.
import { defineStage } from "../../../../core/index.ts";

interface Point { x: number; y: number }

export const measure = defineStage({
  name: "measure", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 48 },
  run: (pts: Point[]) => {
    const first = pts[0] ?? { x: 0, y: 0 };
    const desc = Object.getOwnPropertyDescriptor(first, "x");
    const viaGetter = desc?.get?.call(first);
    const proto = Object.getPrototypeOf(first) as { describe?: () => string };
    const label = proto.describe?.();
    const length = pts.slice(1).reduce((s, p, i) => s + Math.hypot(p.x - pts[i]!.x, p.y - pts[i]!.y), 0);
    return { length, viaGetter, label, plain: desc?.value as number | undefined };
  },
});
