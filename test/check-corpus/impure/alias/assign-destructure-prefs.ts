// expect: purity/outer-write@14 purity/outer-write@15
// Object.assign({}, profile) copies one level: the destructured `prefs` is still the input's
// object. Object.assign with the input's own field as target writes the input directly.
import { defineStage } from "../../../../core/index.ts";

interface Profile { name: string; prefs: { lang: string; tz: string }; notify: { email: boolean } }
const DEFAULT_NOTIFY = { email: true };

export const normalizeProfile = defineStage({
  name: "normalize-profile", version: 2, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes },
  run: (profile: Profile) => {
    const { name, prefs } = Object.assign({}, profile);
    prefs.lang = prefs.lang.toLowerCase();
    Object.assign(profile.notify, DEFAULT_NOTIFY);
    let display = name;
    display = display.trim();
    const notify = Object.assign({}, profile.notify, DEFAULT_NOTIFY);
    notify.email = notify.email && display.length > 0;
    const deep = structuredClone(profile);
    deep.prefs.tz = deep.prefs.tz || "UTC";
    return { ...deep, name: display, notify };
  },
});
