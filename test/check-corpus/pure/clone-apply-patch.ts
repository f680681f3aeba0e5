// expect: none
// Apply a list of path updates to a structuredClone of a config document; nested writes go into the clone,
// and each inserted value is cloned too, so a later update under it never writes into the input.
import { type Value, defineStage } from "../../../core/index.ts";

type Doc = { [k: string]: Value };

export const applyPatch = defineStage({
  name: "pure-apply-patch", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 2e-6, outputBytes: (bytes) => bytes },
  run: ({ doc, patch }: { doc: Doc; patch: Array<{ path: string[]; value: Value }> }) => {
    const out = structuredClone(doc);
    for (const { path, value } of patch) {
      let node: Doc = out;
      for (const key of path.slice(0, -1)) {
        const child = node[key];
        if (typeof child === "object" && child !== null) node = child as Doc;
        else { const fresh: Doc = {}; node[key] = fresh; node = fresh; }
      }
      const last = path.at(-1);
      if (last !== undefined) node[last] = structuredClone(value); // a copy: a later path may write inside it
    }
    return out;
  },
});
