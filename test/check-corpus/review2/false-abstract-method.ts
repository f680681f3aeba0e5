// expect: none
import { defineStage } from "../../../core/index.ts";
abstract class Shape {
  abstract area(): number;
  describe(): string { return "area=" + this.area().toFixed(2); }
}
class Square extends Shape { constructor(readonly side: number) { super(); } area(): number { return this.side * this.side; } }
export const s = defineStage({ name: "min/abstract", version: 1, caps: ["cpu"], timeoutMs: 1000, cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (input: { side: number }) => new Square(input.side).describe(),
});
