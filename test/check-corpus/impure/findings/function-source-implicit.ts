// expect: purity/host@16 purity/host@17 purity/host@18
// A function's source text reached without calling toString(): String(fn), a template literal
// and `+ ""` all go through Function.prototype.toString (bundler- and engine-dependent text).
import { defineStage } from "../../../../core/index.ts";

const normalizers = {
  email: (s: string) => s.trim().toLowerCase(),
  phone: (s: string) => s.replace(/[^\d+]/g, ""),
};

export const normalizerManifest = defineStage({
  name: "normalizer-manifest", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 1024 },
  run: (input: { field: "email" | "phone"; sample: string }) => {
    const fn = normalizers[input.field];
    const src = String(normalizers.email);
    const tagged = `${input.field}:${normalizers.phone}`;
    const concat = "v1:" + normalizers.email;
    const meta = `${input.field}:${fn.name}/${fn.length}`;
    return { out: fn(input.sample), meta, src, tagged, concat };
  },
});
