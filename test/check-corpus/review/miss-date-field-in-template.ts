// expect: purity/host@5
import { defineStage, defineJob, all } from "../../../core/index.ts";
interface Ev { at: Date; name: string }
function render(e: Ev) {
  return `${e.name} @ ${e.at}`;
}
export const s = defineStage({
  name: "miss-date-field-in-template", version: 1, caps: ["cpu"], timeoutMs: 100, cost: { runtimeMs: (b: number) => b / 1000, outputBytes: (b: number) => b },
  run: (evs: { ms: number; name: string }[]) => evs.map((e) => render({ name: e.name, at: new Date(e.ms) })),
});
