// expect: purity/clock@8 purity/random@9 purity/outer-write@25
// Impure code reached through implicit calls: JSON.stringify calls toJSON, a template literal
// calls toString, destructuring calls [Symbol.iterator]. Each is reported where it happens.
import { defineStage } from "../../../../core/index.ts";

class Report {
  constructor(readonly rows: number[]) {}
  toJSON() { return { rows: this.rows, exportedAt: Date.now() }; }
  toString() { return `report#${Math.random().toString(36).slice(2)}`; }
}
class RoundRobin {
  private cursor = 0;
  constructor(private readonly hosts: string[]) {}
  *[Symbol.iterator]() { for (;;) yield this.hosts[this.cursor++ % this.hosts.length]!; }
}
const upstreams = new RoundRobin(["a.internal", "b.internal"]);

export const exportReport = defineStage({
  name: "export-report", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: (bytes) => bytes / 10_000, outputBytes: (bytes) => bytes * 2 },
  run: (rows: number[]) => {
    const r = new Report(rows);
    const json = JSON.stringify(r);
    const name = `${r}.json`;
    const [host] = upstreams;
    const [fallback] = new RoundRobin(["c.internal"]);
    return { json, name, host, fallback };
  },
});
