// expect: none
// A mustache-like template renderer: a global regex created inside run, a replace callback reading a fresh lookup Map.
import { defineStage } from "../../../../core/index.ts";

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

export const render = defineStage({
  name: "pure-template-render", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes * 2e-6, outputBytes: (bytes) => bytes * 2 },
  run: ({ template, vars }: { template: string; vars: Record<string, string | number> }) => {
    const lookup = new Map(Object.entries(vars).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const tag = /\{\{\s*(\{)?\s*([\w.]+)\s*\}?\s*\}\}/g;
    return template.replace(tag, (_m, raw: string | undefined, name: string) => {
      const v = lookup.get(name.toLowerCase()) ?? "";
      return raw ? v : escapeHtml(v);
    });
  },
});
