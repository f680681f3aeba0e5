// expect: purity/io@19
// Calling a global function chosen by name from the input: `globalThis[name]` reads the host's
// global object (reported there; calling what it yields is not reported again). A literal table
// of codecs is fine.
import { defineStage } from "../../../../core/index.ts";

type Codec = (s: string) => string;
const CODECS: Record<string, Codec> = {
  upper: (s) => s.toUpperCase(),
  uri: (s) => encodeURIComponent(s),
};

export const encodeField = defineStage({
  name: "encode-field", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes * 3 },
  run: (f: { codec: string; value: string }) => {
    const table = CODECS[f.codec];
    if (table) return table(f.value);
    const fn = (globalThis as unknown as Record<string, Codec>)[f.codec];
    return fn ? fn(f.value) : f.value;
  },
});
