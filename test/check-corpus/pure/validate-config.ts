// expect: none
// Config validation: throws its own Error with fixed messages; JSON.parse in try/catch returning a fixed value.
import { defineStage } from "../../../core/index.ts";

type Config = { port: number; hosts: string[]; retries: number };

export const validateConfig = defineStage({
  name: "pure-validate-config", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: (bytes) => 0.01 + bytes * 1e-6, outputBytes: (bytes) => bytes },
  run: (raw: string): Config | null => {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      return null;
    }
    if (typeof v !== "object" || v === null) throw new Error("config must be an object");
    const c = v as Partial<Config>;
    if (typeof c.port !== "number" || !Number.isInteger(c.port) || c.port < 1 || c.port > 65535) throw new RangeError("port out of range");
    if (!Array.isArray(c.hosts) || !c.hosts.every((h) => typeof h === "string")) throw new TypeError("hosts must be strings");
    return { port: c.port, hosts: c.hosts, retries: Number.isFinite(c.retries) ? Math.trunc(c.retries!) : 3 };
  },
});
