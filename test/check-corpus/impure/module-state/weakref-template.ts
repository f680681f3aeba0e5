// expect: purity/io@17
// A template cached behind a module-level WeakRef: whether deref() still finds it depends on
// when the garbage collector ran. Reading the never-written template constant is fine.
import { defineStage } from "../../../../core/index.ts";

const DEFAULT_TEMPLATE = { subject: "Welcome, {name}", body: "Hi {name}, thanks for joining." };
const templateRef = new WeakRef(DEFAULT_TEMPLATE);

function fill(s: string, name: string): string {
  return s.replaceAll("{name}", name);
}

export const welcomeEmail = defineStage({
  name: "welcome-email", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 512 },
  run: (user: { name: string; email: string }) => {
    const cached = templateRef.deref();
    const tpl = cached ?? DEFAULT_TEMPLATE;
    const direct = fill(DEFAULT_TEMPLATE.subject, user.name);
    return { to: user.email, subject: fill(tpl.subject, user.name), body: fill(tpl.body, user.name), direct };
  },
});
