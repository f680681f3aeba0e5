// expect: purity/outer-write@19 purity/outer-write@21
// A helper that returns its argument unchanged hands the caller the input itself, so the
// caller's push writes the input. A helper that returns a copy is fine.
import { defineStage } from "../../../../core/index.ts";

function asList<T>(xs: T[]): T[] {
  return xs;
}
function toList<T>(xs: readonly T[]): T[] {
  return [...xs];
}
const orDefault = <T>(x: T | undefined, d: T): T => x ?? d;

export const tagArticle = defineStage({
  name: "tag-article", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes + 32 },
  run: (a: { title: string; tags: string[]; meta?: { words: number } }) => {
    const tags = asList(a.tags);
    tags.push("news");
    const meta = orDefault(a.meta, { words: 0 });
    meta.words = a.title.split(" ").length;
    const own = toList(a.tags);
    own.push("news");
    return { title: a.title, tags: own };
  },
});
