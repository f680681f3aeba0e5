// expect: purity/outer-read@20 purity/unknown-call@21
// A hook installed through the parameter of an exported setter, called from code the checker
// cannot see: the stage reads it (a reassigned module let) and calls an unknown function.
import { defineStage } from "../../../../core/index.ts";

interface Doc { id: string; title: string; tags: string[] }
type Hook = (d: Doc) => Doc;

const identity: Hook = (d) => d;
let beforeSave: Hook = identity;

export function useBeforeSave(hook: Hook): void {
  beforeSave = hook;
}

export const saveDoc = defineStage({
  name: "save-doc", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes },
  run: (doc: Doc) => {
    const hook = beforeSave;
    const prepared = hook(doc);
    const plain = identity({ ...doc, tags: [...new Set(doc.tags)] });
    return { prepared, plain };
  },
});
