/**
 * What every OpenAPI route shares: validation failures as the API's JSON errors, response
 * declarations, and the generated document (which also describes the command-plane routes
 * that api.ts serves without schemas).
 */
import { OpenAPIHono, type RouteConfig, createRoute, type z } from "@hono/zod-openapi";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import type { Registry } from "../core/sdk/registry.ts";
import { ANYONE, type Access, type BodyRule, guard } from "./access.ts";
import { type App, fail, formatPath } from "./http.ts";
import { ErrorBody, JOB_NAME_DESCRIPTION } from "./schemas.ts";

const LOCATION: Partial<Record<keyof ValidationTargets, string>> = { query: "query parameter ", param: "path parameter ", header: "header " };

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** Routes answer schema failures with 400 naming every field at fault. */
export const newApi = () =>
  new OpenAPIHono<App>({
    defaultHook: (result, c) => {
      if (result.success) return;
      // zod-validator hands the hook what it validated, though Hono's type leaves it out.
      const data = (result as { data?: unknown }).data;
      const where = LOCATION[result.target] ?? "";
      const [first] = result.error.issues;
      const code =
        first && first.path.length === 0 && first.code === "invalid_type" && where === ""
          ? "invalid_body"
          : first && first.path.length > 0 && valueAt(data, first.path) === undefined
            ? "missing_field"
            : "invalid_field";
      const message = result.error.issues.map((issue) => `${where}${formatPath("", issue.path) || "request body"}: ${issue.message}`).join("; ");
      return fail(c, 400, code, message);
    },
  });

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

const ERROR_MEANING = {
  400: "a field, parameter, header or the path itself is invalid (the message names it)",
  401: "no credentials, or credentials that do not verify (a bearer token, or a runner's signature)",
  403: "the credentials are valid but may not do this (a token without the route's scope, a runner acting for another node)",
  404: "no such job, node, payload or route",
  409: "the idempotency key already names a job with another name or input, or a registration is not newer than the node's current one",
  411: "a streamed body was sent without Content-Length",
  413: "the body is over the limit (the message names the variable)",
  415: "the body is not sent as application/json",
  429: "the token submits more jobs a second than JOBS_PER_SECOND allows (retry after Retry-After), or MAX_NODES runners are registered",
  500: "the cluster is misconfigured",
  503: "no commander of a shard could answer, or the shard runs MAX_RUNNING_JOBS jobs already (overloaded, too_many_running: retry after Retry-After)",
} as const;

type ErrorStatus = keyof typeof ERROR_MEANING;

export const errors = <S extends ErrorStatus>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((status) => [status, json(ErrorBody, ERROR_MEANING[status])])) as Record<
    S,
    ReturnType<typeof json<typeof ErrorBody>>
  >;

/** How the document names each way to authenticate (components.securitySchemes). */
const SECURITY_SCHEMES = {
  bearer: { type: "http", scheme: "bearer", description: "a client token from API_TOKENS; the route's scope is in its description" },
  runnerSignature: { type: "apiKey", in: "header", name: "x-paxflow-signature", description: "a runner's HMAC signature (docs/runner-protocol.md)" },
} as const;

/** The document's `security` for a route's access rule. */
export function documentedSecurity(access: Access): Record<string, string[]>[] {
  switch (access.who) {
    case "anyone":
      return [];
    case "client":
      return [{ bearer: [access.scope] }];
    case "runner":
      return [{ runnerSignature: [] }];
    case "runner-or-client":
      return [{ runnerSignature: [] }, { bearer: [access.scope] }];
  }
}

/**
 * A route with its authorization declared where it is defined: its guard (workers/access.ts)
 * runs before any other middleware, and the document says who may call it.
 */
export const securedRoute = <P extends string, R extends Omit<RouteConfig, "path" | "middleware" | "security"> & { path: P }>(
  access: Access,
  body: BodyRule,
  config: R,
  ...middleware: MiddlewareHandler<App>[]
) =>
  createRoute({
    ...config,
    middleware: [guard(access, body), ...middleware],
    security: documentedSecurity(access),
    responses: { ...config.responses, ...(access.who === "anyone" ? {} : errors(401, 403)) },
  });

/** Serves the document (the command-plane routes register themselves in api.ts). */
export function serveDocument(api: OpenAPIHono<App>): void {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) api.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  // Served like any route, with its guard: `api.doc` would add a route that declares no authorization.
  // Generated once per registry, not per request: generation walks every route's schemas (about
  // 90 ms locally, on the thread that also serves every Durable Object), and neither changes
  // while the isolate lives.
  const documents = new WeakMap<Registry, string>();
  api.get("/v1/openapi.json", guard(ANYONE), (c) => {
    const registry = c.get("registry");
    let text = documents.get(registry);
    if (text === undefined) {
      const document = api.getOpenAPIDocument({
        openapi: "3.0.3",
        info: { title: "paxflow", version: "0.1.0", description: "Jobs, nodes and the Paxos command plane. Errors are always {error: {code, message, retryable}}." },
      });
      // The jobs this deployment bundles: its registry's (api.ts createApp).
      const job = (document.components?.schemas?.SubmitJob as { properties?: Record<string, { description?: string }> } | undefined)?.properties?.job;
      if (job) job.description = `${JOB_NAME_DESCRIPTION}; deployed here: ${[...registry.jobs.keys()].join(", ")}`;
      text = JSON.stringify(document);
      documents.set(registry, text);
    }
    return c.body(text, 200, { "content-type": "application/json" });
  });
}
