/**
 * paxflow in your own Worker: give it the registry of your stages and jobs, export what it
 * returns from your Worker entry (the file wrangler's `main` names).
 *
 *   import { createRegistry } from "paxflow";
 *   import { definePaxflow } from "paxflow/worker";
 *   import * as stages from "./stages.ts";
 *
 *   const paxflow = definePaxflow({ registry: createRegistry(stages) });
 *   export default paxflow.fetchHandler;
 *   export const { Acceptor, Commander, RateLimiter, StageWorker } = paxflow;
 *
 * The Durable Object and entrypoint classes must be exported under these names: wrangler.toml's
 * bindings name them (class_name, entrypoint), and workerd constructs them by export name.
 */
import type { Hono } from "hono";
import type { Registry } from "../core/sdk/registry.ts";
import { Acceptor } from "../durable-objects/acceptor.ts";
import { Commander as CommanderBase } from "../durable-objects/commander.ts";
import type { Env } from "../durable-objects/env.ts";
import { RateLimiter } from "../durable-objects/rate-limiter.ts";
import { createApp } from "./api.ts";
import type { App } from "./http.ts";
import { StageWorker as StageWorkerBase } from "./stage-worker.ts";

export type { Env };

export interface PaxflowOptions {
  /** The stages and jobs this deployment bundles (createRegistry(...your modules)): nothing else can run. */
  readonly registry: Registry;
}

export interface Paxflow {
  /** The Worker's default export: the API, the dashboard's pages. */
  readonly fetchHandler: ExportedHandler<Env>;
  /** The same API as a Hono app (tests call app.fetch(request, env)). */
  readonly app: Hono<App>;
  readonly registry: Registry;
  readonly Acceptor: typeof Acceptor;
  readonly Commander: new (ctx: DurableObjectState, env: Env) => CommanderBase;
  readonly RateLimiter: typeof RateLimiter;
  readonly StageWorker: new (ctx: ExecutionContext, env: Env) => StageWorkerBase;
}

/** The fetch handler and the classes of a paxflow Worker whose stages and jobs are `registry`'s. */
export function definePaxflow({ registry }: PaxflowOptions): Paxflow {
  const app = createApp(registry);
  class Commander extends CommanderBase {
    constructor(ctx: DurableObjectState, env: Env) {
      super(ctx, env, registry);
    }
  }
  class StageWorker extends StageWorkerBase {
    protected readonly registry = registry;
  }
  return {
    fetchHandler: { fetch: app.fetch } satisfies ExportedHandler<Env>,
    app,
    registry,
    Acceptor,
    Commander,
    RateLimiter,
    StageWorker,
  };
}
