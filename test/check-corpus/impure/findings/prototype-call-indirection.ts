// expect: purity/host@14 purity/host@15 purity/clock@16 purity/random@17
// Host, clock and random built-ins reached through their prototype or a `.call`: the same
// operations as d.getHours(), Date.now() and Math.random(), only spelled indirectly.
import { defineStage } from "../../../../core/index.ts";

const { now } = Date;
const { random: rand } = Math;

export const indirectBuiltins = defineStage({
  name: "indirect-builtins", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 128 },
  run: (input: { ts: number; amount: number }) => {
    const d = new Date(input.ts);
    const hour = Date.prototype.getHours.call(d);
    const money = Number.prototype.toLocaleString.call(input.amount, "fr-FR");
    const stamp = now();
    const jitter = rand.call(Math);
    const utcHour = Date.prototype.getUTCHours.call(d);
    const fixed = Number.prototype.toFixed.call(input.amount, 2);
    return { hour, money, stamp, jitter, utcHour, fixed };
  },
});
