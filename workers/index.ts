import type { Env } from "../durable-objects/env.ts";
import { app } from "./api.ts";

export { Acceptor } from "../durable-objects/acceptor.ts";
export { Commander } from "../durable-objects/commander.ts";
export { RateLimiter } from "../durable-objects/rate-limiter.ts";
export { StageWorker } from "./stage-worker.ts";
export type { Env };

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
