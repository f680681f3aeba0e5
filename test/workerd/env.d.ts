import type { Env as PaxflowEnv } from "../../durable-objects/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends PaxflowEnv {}
  }
}

export {};
