// expect: purity/host@10 purity/host@11
// Making slugs: toLocaleUpperCase/toLocaleLowerCase follow locale rules from the host's ICU data
// (Turkish dotless i, Lithuanian accents...). toUpperCase/toLowerCase are fixed by the spec.
import { defineStage } from "../../../../core/index.ts";

export const slugify = defineStage({
  name: "slugify", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes },
  run: (input: { title: string; lang: string }) => {
    const lowered = input.title.toLocaleLowerCase(input.lang);
    const code = input.lang.toLocaleUpperCase();
    const base = input.title.toLowerCase().normalize("NFC");
    const slug = base.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    const initials = input.title.split(/\s+/).map((w) => w.charAt(0).toUpperCase()).join("");
    return { slug, lowered, code, initials };
  },
});
