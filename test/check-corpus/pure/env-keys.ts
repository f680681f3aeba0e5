// expect: none
// Rename keys of a settings object (camelCase to SCREAMING_SNAKE) with Object.fromEntries/Object.entries and replace.
import { defineStage } from "../../../core/index.ts";

const toSnake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

export const envKeys = defineStage({
  name: "pure-env-keys", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 0.05, outputBytes: (bytes) => bytes * 1.2 },
  run: (settings: Record<string, string | number | boolean>) => {
    const env = Object.fromEntries(Object.entries(settings).map(([k, v]) => [toSnake(k), String(v)]));
    const lines = Object.keys(env).sort().map((k) => `${k}=${env[k]}`);
    return { env, dotenv: lines.join("\n") };
  },
});
