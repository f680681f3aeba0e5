// expect: purity/unknown-call@12
// Wrapping the input in a Proxy to make a "read-only view": every access then runs trap code the
// checker cannot follow (new Proxy is on no allowlist). Object.freeze of a copy is fine.
import { defineStage } from "../../../../core/index.ts";

interface Doc { id: string; title: string; body: string }

export const renderDoc = defineStage({
  name: "render-doc", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: (bytes) => 1 + bytes / 100_000, outputBytes: (bytes) => bytes * 2 },
  run: (doc: Doc) => {
    const view = new Proxy(doc, { set: () => false });
    const frozen = Object.freeze({ ...doc });
    const html = `<h1>${frozen.title}</h1><article>${frozen.body}</article>`;
    return { id: view.id, html, words: frozen.body.split(/\s+/).length };
  },
});
