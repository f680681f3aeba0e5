// expect: none
// Unit conversion via closures over a frozen module-level factor table.
import { defineStage } from "../../../core/index.ts";

const TO_METRES = Object.freeze({ mm: 0.001, cm: 0.01, m: 1, km: 1000, in: 0.0254, ft: 0.3048, mi: 1609.344 });
type Unit = keyof typeof TO_METRES;

const converter = (from: Unit, to: Unit) => (x: number) => (x * TO_METRES[from]) / TO_METRES[to];

export const convert = defineStage({
  name: "pure-unit-convert", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => bytes * 1e-7, outputBytes: (bytes) => bytes },
  run: ({ from, to, values }: { from: Unit; to: Unit; values: number[] }) => {
    const f = converter(from, to);
    const known = (u: string) => Object.hasOwn(TO_METRES, u);
    if (!known(from) || !known(to)) throw new Error("unknown unit");
    return values.map(f);
  },
});
