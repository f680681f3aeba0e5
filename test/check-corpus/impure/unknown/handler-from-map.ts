// expect: purity/outer-read@20 purity/unknown-call@21
// Event handlers registered into a module-level Map by on() at run time: the stage reads the Map
// (mutable module state) and calls a function the checker cannot see. A literal table is fine.
import { defineStage } from "../../../../core/index.ts";

type Handler = (payload: Record<string, unknown>) => string;
const handlers = new Map<string, Handler>();
const BUILTIN: Record<string, Handler> = { ping: () => "pong", echo: (p) => JSON.stringify(p) };

export function on(type: string, h: Handler): void {
  handlers.set(type, h);
}

export const dispatch = defineStage({
  name: "dispatch", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: () => 2, outputBytes: () => 256 },
  run: (ev: { type: string; payload: Record<string, unknown> }) => {
    const builtin = BUILTIN[ev.type];
    if (builtin) return builtin(ev.payload);
    const h = handlers.get(ev.type);
    return h ? h(ev.payload) : "unhandled";
  },
});
