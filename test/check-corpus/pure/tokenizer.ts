// expect: none
// An expression tokenizer: a sticky regex created inside run (fresh per call), char-class checks, token objects.
import { defineStage } from "../../../core/index.ts";

type Tok = { kind: "num" | "ident" | "op" | "paren"; text: string; pos: number };

const isDigit = (c: string) => c >= "0" && c <= "9";
const isAlpha = (c: string) => /^[A-Za-z_]$/.test(c);

export const tokenize = defineStage({
  name: "pure-tokenize", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 2e-4, outputBytes: (bytes) => bytes * 12 },
  run: (src: string) => {
    const toks: Tok[] = [];
    const number = /\d+(?:\.\d+)?/y;
    let i = 0;
    while (i < src.length) {
      const c = src.charAt(i);
      if (c === " " || c === "\t") { i++; continue; }
      if (isDigit(c)) {
        number.lastIndex = i;
        const m = number.exec(src);
        const text = m ? m[0] : c;
        toks.push({ kind: "num", text, pos: i });
        i += text.length;
      } else if (isAlpha(c)) {
        let j = i;
        while (j < src.length && (isAlpha(src.charAt(j)) || isDigit(src.charAt(j)))) j++;
        toks.push({ kind: "ident", text: src.slice(i, j), pos: i });
        i = j;
      } else if ("()".includes(c)) { toks.push({ kind: "paren", text: c, pos: i }); i++; }
      else { toks.push({ kind: "op", text: c, pos: i }); i++; }
    }
    return toks;
  },
});
