// expect: none
// A prefix trie built locally from the input words, then queried for completions; nodes are fresh object literals.
import { defineStage } from "../../../core/index.ts";

type Node = { end: boolean; kids: Record<string, Node> };

function collect(node: Node, prefix: string, out: string[]): void {
  if (node.end) out.push(prefix);
  for (const k of Object.keys(node.kids).sort()) collect(node.kids[k]!, prefix + k, out);
}

export const complete = defineStage({
  name: "pure-trie-complete", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 1e-5, outputBytes: (bytes) => bytes },
  run: ({ words, prefix }: { words: string[]; prefix: string }) => {
    const root: Node = { end: false, kids: {} };
    for (const w of words) {
      let n = root;
      for (const ch of w) {
        let next = n.kids[ch];
        if (!next) { next = { end: false, kids: {} }; n.kids[ch] = next; }
        n = next;
      }
      n.end = true;
    }
    let at: Node | undefined = root;
    for (const ch of prefix) at = at?.kids[ch];
    const out: string[] = [];
    if (at) collect(at, prefix, out);
    return out;
  },
});
