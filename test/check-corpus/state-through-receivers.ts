// expect: purity/outer-write@8 purity/outer-write@13 purity/clock@17 purity/outer-write@31 purity/outer-write@32 purity/outer-write@33 purity/outer-write@34
// Module state reached through receivers: methods and getters that write `this` on module-level
// instances, a constructor that writes module state, a closure returned by a factory, a getter that
// reads the clock, a global RegExp's lastIndex, Array.prototype methods applied to outer arrays.
import { defineStage } from "../../core/index.ts";

class Counter { n = 0; inc() { return ++this.n; } }
class Thing { constructor() { made++; } }
let made = 0;
const counter = new Counter();
const ids = { last: 0, get next() { return ++this.last; } };
function makeCounter() {
  let n = 0; return () => ++n;
}
const next = makeCounter();
const clock = { get now() {
  return Date.now();
} };
const HAS_A = /a/g;
const seen: number[] = [];

// Fresh receivers are fine: a local Counter, a local RegExp, a local array.
export const fresh = defineStage({
  name: "fresh", version: 1, caps: ["cpu"], timeoutMs: 10, cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (s: string) => { const c = new Counter(); c.inc(); const re = /a/g; const out: number[] = []; Array.prototype.push.call(out, 1); return re.test(s) ? c.n + out.length : 0; },
});

export const stateful = defineStage({
  name: "stateful", version: 1, caps: ["cpu"], timeoutMs: 10, cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (s: string) => {
    const a = counter.inc();
    const b = ids.next;
    const t = HAS_A.test(s);
    Array.prototype.push.call(seen, a);
    new Thing();
    return a + b + next() + clock.now + (t ? 1 : 0);
  },
});
