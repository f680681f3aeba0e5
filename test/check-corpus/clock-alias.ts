// expect: purity/clock@14 purity/clock@15 purity/clock@16 purity/clock@17 purity/clock@18
// Clocks reached through aliases: const f = Date.now; f(), destructuring, an aliased constructor.
import { defineStage } from "../../core/index.ts";

const f = Date.now;
const { now } = Date;
const D = Date;
const perf = globalThis.performance;

export const aliases = defineStage({
  name: "aliases", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: () => {
    const t1 = f();
    const t2 = now();
    const t3 = new D();
    const t4 = perf.now();
    const g = Date.now;
    return [t1, t2, t3, t4, g()];
  },
});
