// expect: purity/outer-write@17 purity/outer-write@18
// A Batch built around a module-level array keeps that array: adding to it (directly or through
// the followed method) writes module state. A Batch around a fresh array is fine.
import { defineStage } from "../../../../core/index.ts";

class Batch {
  constructor(readonly items: string[]) {}
  add(item: string): number { this.items.push(item); return this.items.length; }
}
const pendingEmails: string[] = [];

export const queueWelcome = defineStage({
  name: "queue-welcome", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (signup: { email: string; referrer?: string }) => {
    const shared = new Batch(pendingEmails);
    shared.add(signup.email);
    new Batch(pendingEmails).items.push("ops@example.com");
    const mine = new Batch([]);
    mine.add(signup.email);
    if (signup.referrer) mine.add(signup.referrer);
    return mine.items;
  },
});
