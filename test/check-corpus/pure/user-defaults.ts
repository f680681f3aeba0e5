// expect: none
// Destructuring with defaults and rest, Object.assign into a fresh literal, array spread; then writing top-level fields of the copies.
import { defineStage } from "../../../core/index.ts";

type Prefs = { theme?: string; lang?: string; pageSize?: number; [k: string]: string | number | boolean | undefined };

const DEFAULTS = Object.freeze({ theme: "light", lang: "en", pageSize: 25 });

export const withDefaults = defineStage({
  name: "pure-user-defaults", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.02, outputBytes: (bytes) => bytes + 96 },
  run: ({ prefs, roles }: { prefs: { [k: string]: string | number | boolean }; roles: string[] }) => {
    const { theme = DEFAULTS.theme, ...rest }: Prefs = prefs;
    const merged: { theme: string; lang: string; pageSize: number } = Object.assign({}, DEFAULTS, {
      lang: typeof rest.lang === "string" ? rest.lang : DEFAULTS.lang,
      pageSize: typeof rest.pageSize === "number" ? rest.pageSize : DEFAULTS.pageSize,
    });
    merged.theme = theme === "dark" ? "dark" : "light";
    merged.pageSize = Math.min(100, Math.max(5, merged.pageSize));
    rest.migrated = true;
    const allRoles = [...roles, "viewer"];
    allRoles[0] = allRoles[0]?.toLowerCase() ?? "viewer";
    return { prefs: merged, roles: [...new Set(allRoles)], extra: Object.keys(rest).length };
  },
});
