// expect: none
// One Lloyd iteration of k-means in 2-D: assign points to the nearest centroid, recompute centroids in fresh arrays.
import { defineStage } from "../../../core/index.ts";

type P = [number, number];

function nearest(p: P, cs: P[]): number {
  let best = 0;
  let bestD = Infinity;
  cs.forEach((c, i) => {
    const d = Math.hypot(p[0] - c[0], p[1] - c[1]);
    if (d < bestD) { bestD = d; best = i; }
  });
  return best;
}

export const kmeansStep = defineStage({
  name: "pure-kmeans-step", version: 1, caps: ["cpu"], timeoutMs: 2_000,
  cost: { runtimeMs: (bytes) => bytes * 4e-6, outputBytes: (bytes) => bytes / 4 },
  run: ({ points, centroids }: { points: P[]; centroids: P[] }) => {
    const k = centroids.length;
    const sx = new Float64Array(k);
    const sy = new Float64Array(k);
    const n = new Uint32Array(k);
    const labels = points.map((p) => {
      const c = nearest(p, centroids);
      sx[c] = (sx[c] ?? 0) + p[0];
      sy[c] = (sy[c] ?? 0) + p[1];
      n[c] = (n[c] ?? 0) + 1;
      return c;
    });
    const next: P[] = centroids.map((c, i) => (n[i] ? [sx[i]! / n[i]!, sy[i]! / n[i]!] : [c[0], c[1]]));
    return { labels, centroids: next };
  },
});
