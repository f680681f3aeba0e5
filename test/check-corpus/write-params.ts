// expect: purity/outer-write@11 purity/outer-write@12 purity/outer-write@14 purity/outer-write@15 purity/outer-write@17 purity/outer-write@19 purity/outer-write@21
// Writes to parameters and their fields, directly and through aliases, loop variables and callbacks.
import { defineStage } from "../../core/index.ts";

interface Point { x: number; y: number; seen?: boolean }

export const normalize = defineStage({
  name: "normalize", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (n) => n, outputBytes: (n) => n },
  run: (input: { points: Point[]; scale: number; tags: string[] }) => {
    input.scale = 1;
    input.tags.sort();
    const pts = input.points;
    pts.push({ x: 0, y: 0 });
    for (const p of input.points) p.x /= input.scale;
    input.points.forEach((p) => {
      p.seen = true;
    });
    Object.assign(input, { done: true });
    const { tags } = input;
    tags.length = 0;
    return input;
  },
});
