// expect: none
// Monte-Carlo pricing of a European call with a seeded PRNG class and Box-Muller normals (cached spare in `this`).
import { defineStage } from "../../../core/index.ts";

class SeededNormal {
  private state: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  private uniform(): number {
    let x = this.state;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.state = x >>> 0;
    return (this.state + 0.5) / 4294967296;
  }
  next(): number {
    if (this.spare !== null) { const s = this.spare; this.spare = null; return s; }
    const u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

export const priceCall = defineStage({
  name: "pure-mc-call-price", version: 1, caps: ["cpu"], timeoutMs: 10_000,
  cost: { runtimeMs: () => 200, outputBytes: () => 24 },
  run: (p: { seed: number; paths: number; spot: number; strike: number; rate: number; vol: number; years: number }) => {
    const g = new SeededNormal(p.seed);
    const drift = (p.rate - 0.5 * p.vol * p.vol) * p.years;
    const diff = p.vol * Math.sqrt(p.years);
    let sum = 0;
    for (let i = 0; i < p.paths; i++) sum += Math.max(0, p.spot * Math.exp(drift + diff * g.next()) - p.strike);
    return { price: Math.exp(-p.rate * p.years) * (sum / p.paths), paths: p.paths };
  },
});
