import type { Env as PaxflowEnv } from "../../durable-objects/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends PaxflowEnv {}
    // Types `exports` from "cloudflare:workers" (the Worker's own entry, e.g. exports.default.fetch).
    interface GlobalProps {
      mainModule: typeof import("../worker.ts");
    }
  }
}

export {};
