// expect: purity/outer-read@18 purity/outer-read@20
// A module-level blocklist filled by an exported register() at run time: a stage consulting it
// depends on who registered what, and when. The literal default list is never written: fine.
import { defineStage } from "../../../../core/index.ts";

const blockedDomains: string[] = [];
const DISPOSABLE = ["mailinator.com", "10minutemail.com"];

export function registerBlockedDomain(domain: string): void {
  blockedDomains.push(domain.toLowerCase());
}

export const screenSignup = defineStage({
  name: "screen-signup", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 32 },
  run: (s: { email: string }) => {
    const domain = s.email.split("@")[1]?.toLowerCase() ?? "";
    const blocked = blockedDomains.includes(domain);
    const disposable = DISPOSABLE.includes(domain);
    const count = blockedDomains.length;
    return { allowed: !blocked && !disposable, disposable, count };
  },
});
