// expect: purity/random@8 purity/random@11
// Ids minted by a module-level helper object that wraps crypto.getRandomValues and
// crypto.randomUUID: each call differs. Deriving the id from the input is fine.
import { defineStage } from "../../../../core/index.ts";

const ids = {
  short(): string {
    const buf = crypto.getRandomValues(new Uint8Array(6));
    return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
  },
  long: () => crypto.randomUUID(),
};

export const createTicket = defineStage({
  name: "create-ticket", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 128 },
  run: (t: { subject: string; reporter: string; seq: number }) => {
    const ref = ids.short();
    const trace = ids.long();
    const stable = `${t.reporter}-${t.seq.toString(36).padStart(6, "0")}`;
    return { ref, trace, stable, subject: t.subject.trim() };
  },
});
