// expect: none
// Slugs: non-global regex literals for tests, a global regex created inside run for replaceAll / matchAll.
import { defineStage } from "../../../core/index.ts";

export const slugify = defineStage({
  name: "pure-slugify", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes * 1e-6, outputBytes: (bytes) => bytes },
  run: (titles: string[]) => {
    const nonWord = /[^a-z0-9]+/g;
    return titles.map((t) => {
      const base = t.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
      const slug = base.replaceAll(nonWord, "-").replace(/^-+|-+$/g, "");
      return /^\d/.test(slug) ? `n-${slug}` : slug || "untitled";
    });
  },
});
