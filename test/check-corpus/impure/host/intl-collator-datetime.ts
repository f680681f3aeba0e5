// expect: purity/host@12 purity/host@14 purity/host@16
// Intl.Collator for sorting and Intl.DateTimeFormat for a FIXED date are still host-dependent:
// collation tables, month names and the default time zone come from the host.
import { defineStage } from "../../../../core/index.ts";

interface Post { title: string; publishedAt: number }

export const archivePage = defineStage({
  name: "archive-page", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: (bytes) => bytes * 2 },
  run: (posts: Post[]) => {
    const collator = new Intl.Collator("sv", { sensitivity: "base" });
    const titles = posts.map((p) => p.title).sort(collator.compare);
    const fmt = new Intl.DateTimeFormat("en-GB", { dateStyle: "long" });
    const dates = posts.map((p) => fmt.format(new Date(p.publishedAt)));
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const isoDays = posts.map((p) => new Date(p.publishedAt).toISOString().slice(0, 10));
    return { titles, dates, zone, isoDays };
  },
});
