// expect: none
// A recursive-descent arithmetic parser and evaluator: expr -> term -> factor -> expr (mutual recursion),
// state kept in a local cursor object created per call.
import { defineStage } from "../../../core/index.ts";

type Cursor = { src: string; pos: number };

function skip(c: Cursor): void {
  while (c.src.charAt(c.pos) === " ") c.pos++;
}

function expr(c: Cursor): number {
  let v = term(c);
  for (;;) {
    skip(c);
    const op = c.src.charAt(c.pos);
    if (op !== "+" && op !== "-") return v;
    c.pos++;
    const r = term(c);
    v = op === "+" ? v + r : v - r;
  }
}

function term(c: Cursor): number {
  let v = factor(c);
  for (;;) {
    skip(c);
    const op = c.src.charAt(c.pos);
    if (op !== "*" && op !== "/") return v;
    c.pos++;
    const r = factor(c);
    v = op === "*" ? v * r : v / r;
  }
}

function factor(c: Cursor): number {
  skip(c);
  if (c.src.charAt(c.pos) === "(") {
    c.pos++;
    const v = expr(c);
    skip(c);
    if (c.src.charAt(c.pos) !== ")") throw new Error("expected )");
    c.pos++;
    return v;
  }
  if (c.src.charAt(c.pos) === "-") { c.pos++; return -factor(c); }
  const m = /^\d+(\.\d+)?/.exec(c.src.slice(c.pos));
  if (!m) throw new Error("expected a number");
  c.pos += m[0].length;
  return Number(m[0]);
}

export const evaluate = defineStage({
  name: "pure-arith-eval", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes * 1e-4, outputBytes: () => 8 },
  run: (src: string) => {
    const c: Cursor = { src, pos: 0 };
    const v = expr(c);
    skip(c);
    if (c.pos !== src.length) throw new Error("trailing input");
    return v;
  },
});
