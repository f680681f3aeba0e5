// expect: purity/host@15
// Keying a cache by a validator's source text: fn.toString() returns source as the engine kept
// it (minified or not, bundler-dependent). The function's name is fine.
import { defineStage } from "../../../../core/index.ts";

const isEmail = (s: string) => /^[^@\s]+@[^@\s]+$/.test(s);
const isPhone = (s: string) => /^\+?\d{7,15}$/.test(s);
const VALIDATORS = { email: isEmail, phone: isPhone };

export const validateContacts = defineStage({
  name: "validate-contacts", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: (bytes) => bytes / 50_000, outputBytes: (bytes) => bytes },
  run: (contacts: { kind: "email" | "phone"; value: string }[]) => {
    const check = VALIDATORS.email;
    const cacheKey = check.toString();
    const results = contacts.map((c) => ({ ...c, valid: c.kind === "email" ? isEmail(c.value) : isPhone(c.value) }));
    return { validator: check.name, arity: check.length, cacheKey, results };
  },
});
