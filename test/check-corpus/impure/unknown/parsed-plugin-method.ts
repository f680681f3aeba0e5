// expect: purity/unknown-call@13 purity/unknown-call@16
// Calling a non-built-in method on a value that JSON.parse returned: `run` and `describe` are no
// built-in methods and the value's class is not project code. Built-in methods on it are fine.
import { defineStage } from "../../../../core/index.ts";

interface Manifest { name: string; entry: string; permissions: string[] }

export const loadManifest = defineStage({
  name: "load-manifest", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: (bytes) => 1 + bytes / 100_000, outputBytes: (bytes) => bytes },
  run: (text: string) => {
    const raw = JSON.parse(text);
    const summary = raw.describe();
    const m = raw as Manifest;
    const perms = m.permissions.filter((p) => p.startsWith("read:")).join(",");
    const output = raw.run(m.entry);
    return { name: m.name.trim(), perms, summary, output, keys: Object.keys(raw).length };
  },
});
