// expect: purity/io@9 purity/io@10 purity/io@11 purity/io@12 purity/io@13 purity/io@14
// Host access: globalThis.fetch, process.env, console (not allowed by default), navigator, caches, self.
import { defineStage } from "../../core/index.ts";

export const host = defineStage({
  name: "host", version: 1, caps: ["cpu"], timeoutMs: 5_000,
  cost: { runtimeMs: () => 1, outputBytes: () => 1 },
  run: (key: string) => {
    const res = globalThis.fetch(key);
    const mode = process.env.MODE;
    console.log(key);
    const lang = navigator.language;
    const c = caches.default;
    const env = self.location;
    return [res, mode, lang, c, env];
  },
});
