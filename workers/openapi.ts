/**
 * What every OpenAPI route shares: validation failures as the API's JSON errors, response
 * declarations, and the generated document (which also describes the command-plane routes
 * that api.ts serves without schemas).
 */
import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { ValidationTargets } from "hono";
import { type App, fail, formatPath } from "./http.ts";
import { ClusterView, CommandBody, CommandReply, ErrorBody } from "./schemas.ts";

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
  400: "a field, parameter or header is invalid (the message names it)",
  404: "no such job, node, payload or route",
  409: "the idempotency key already names a job with another name or input, or a registration is not newer than the node's current one",
  413: "the body is over the limit (the message names the variable)",
  415: "the body is not sent as application/json",
  429: "the token submits more jobs a second than JOBS_PER_SECOND allows (retry after Retry-After), or MAX_NODES runners are registered",
  500: "the cluster is misconfigured",
  503: "no commander of a shard could answer (overloaded: retry after Retry-After)",
} as const;

type ErrorStatus = keyof typeof ERROR_MEANING;

export const errors = <S extends ErrorStatus>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((status) => [status, json(ErrorBody, ERROR_MEANING[status])])) as Record<
    S,
    ReturnType<typeof json<typeof ErrorBody>>
  >;

/** Registers the command-plane routes in the document and serves it. */
export function serveDocument(api: OpenAPIHono<App>): void {
  api.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/cluster",
    tags: ["cluster"],
    summary: "Every shard's leader, commanders and acceptors with their health",
    responses: { 200: json(ClusterView, "the cluster"), ...errors(500) },
  });
  api.openAPIRegistry.registerPath({
    method: "post",
    path: "/v1/commands",
    tags: ["cluster"],
    summary: "Commit a command to its key's shard log",
    request: { body: { required: true, content: { "application/json": { schema: CommandBody } } } },
    responses: { 200: json(CommandReply, "chosen; the same id again answers the same slot"), ...errors(400, 413, 500, 503) },
  });
  api.doc("/v1/openapi.json", {
    openapi: "3.0.3",
    info: { title: "paxflow", version: "0.1.0", description: "Jobs, nodes and the Paxos command plane. Errors are always {error: {code, message}}." },
  });
}
