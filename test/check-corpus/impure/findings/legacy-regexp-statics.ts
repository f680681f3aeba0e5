// expect: purity/outer-read@11 purity/outer-read@12
// RegExp.$1 and RegExp.lastMatch (Annex B) reflect the LAST successful match anywhere in the
// realm: another request's regex can change them. The match result's own groups are fine.
import { defineStage } from "../../../../core/index.ts";

export const parseVersion = defineStage({
  name: "parse-version", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (ua: string) => {
    const m = /Chrome\/(\d+)\.(\d+)/.exec(ua);
    const major = RegExp.$1;
    const whole = RegExp.lastMatch;
    const fromGroups = m ? Number(m[1]) : 0;
    const minor = m?.[2] ?? "0";
    const mobile = /Mobile/.test(ua);
    return { major, whole, fromGroups, minor, mobile };
  },
});
