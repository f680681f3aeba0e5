// expect: purity/outer-write@14 purity/outer-write@15
// `{ ...settings }` is a fresh object, but its `flags` and `limits` fields still point into the
// input: writing the copy's top-level fields is fine, writing through them is not.
import { defineStage } from "../../../../core/index.ts";

interface Settings { theme: string; flags: Record<string, boolean>; limits: { uploadMb: number } }

export const applyPlanDefaults = defineStage({
  name: "apply-plan-defaults", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: (bytes) => bytes + 64 },
  run: (input: { plan: "free" | "pro"; settings: Settings }) => {
    const next = { ...input.settings };
    next.theme = next.theme || "light";
    next.flags.betaEditor = input.plan === "pro";
    next.limits.uploadMb = input.plan === "pro" ? 500 : 25;
    const limits = { ...input.settings.limits };
    limits.uploadMb = Math.max(limits.uploadMb, 10);
    const flags = { ...input.settings.flags, darkMode: true };
    flags.legacyNav = false;
    return { ...next, flags, limits };
  },
});
