// expect: purity/unknown-call@13 purity/unknown-call@14
// A widget typed `any` whose `render()` and `serialize()` are no known built-in methods and whose
// class is not project code: the checker cannot know what they run. Built-ins on it are fine.
import { defineStage } from "../../../../core/index.ts";

interface Widget { kind: string; props: Record<string, string> }

export const renderWidgets = defineStage({
  name: "render-widgets", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: (bytes) => bytes * 4 },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run: (input: { widgets: Widget[]; legacy: any }) => {
    const html = input.legacy.render();
    const saved = input.legacy.serialize({ pretty: true });
    const keys = Object.keys(input.legacy).sort();
    const parts = input.widgets.map((w) => `<${w.kind} ${Object.entries(w.props).map(([k, v]) => `${k}="${v}"`).join(" ")}/>`);
    return { html, saved, keys, body: parts.join("") };
  },
});
