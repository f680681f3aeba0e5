import { ruleFor } from "../../workers/access.ts";
import { TEST_RUNNER_KEY, TEST_TOKENS } from "./test-secrets.ts";

export { TEST_API_TOKENS, TEST_RUNNER_KEY, TEST_TOKENS } from "./test-secrets.ts";

/** The Authorization header of a test token (admin unless named). */
export const bearer = (who: keyof typeof TEST_TOKENS = "admin") => ({ authorization: `Bearer ${TEST_TOKENS[who]}` });

/** Whether the route the router picks for this request takes a runner's signature only. */
export async function isRunnerRoute(request: Request): Promise<boolean> {
  const { app } = await import("./app.ts");
  return ruleFor(app, request)?.access.who === "runner";
}

/**
 * The node a runner request acts for, as a runner would sign it: the `/v1/nodes/<id>/…` of its
 * path, else a registration body's `id`.
 */
export function nodeIdOf(path: string, body: unknown): string {
  const inPath = /^\/v1\/nodes\/([^/?]+)\//.exec(path)?.[1];
  if (inPath !== undefined) return safeDecode(inPath);
  if (typeof body === "string") {
    try {
      return nodeIdOf(path, JSON.parse(body) as unknown);
    } catch {
      return "anonymous";
    }
  }
  const id = (body as { id?: unknown } | null | undefined)?.id;
  return typeof id === "string" ? id : "anonymous";
}

/**
 * The request as a runner would send it: signed for the node id its route names (the path's, or
 * a registration body's `id`), unless it already carries a signature. Other requests pass as they are.
 */
export async function signedIfRunnerRoute(request: Request, runnerKey: string = TEST_RUNNER_KEY): Promise<Request> {
  if (request.headers.has("x-paxflow-signature") || !(await isRunnerRoute(request))) return request;
  const body = new Uint8Array(await request.clone().arrayBuffer());
  const id = nodeIdOf(new URL(request.url).pathname, new TextDecoder().decode(body));
  // An id no header can carry (non-ASCII, or spaces at its ends) cannot sign: no runner could send it.
  if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(id)) return request;
  const { deriveRunnerSecret, newNonce, signRequest } = await import("../../runtime/runner-signature.ts");
  const headers = await signRequest({ runnerId: id, secret: await deriveRunnerSecret(runnerKey, id), method: request.method, url: request.url, body, now: Date.now(), nonce: newNonce() });
  const signed = new Headers(request.headers);
  for (const [k, v] of Object.entries(headers)) signed.set(k, v);
  return new Request(request.url, { method: request.method, headers: signed, body: body.byteLength > 0 ? body : null });
}

/** A runner request signed as `as` with `secret` (default: the secret the test key derives for `as`), at `now`, with `nonce`. */
export async function runnerRequest(method: string, path: string, as: string, body?: unknown, over: { secret?: string; now?: number; nonce?: string } = {}): Promise<Request> {
  const { deriveRunnerSecret, newNonce, signRequest } = await import("../../runtime/runner-signature.ts");
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers = await signRequest({
    runnerId: as,
    secret: over.secret ?? (await deriveRunnerSecret(TEST_RUNNER_KEY, as)),
    method,
    url: `http://paxflow.test${path}`,
    body: text,
    now: over.now ?? Date.now(),
    nonce: over.nonce ?? newNonce(),
  });
  return new Request(`http://paxflow.test${path}`, { method, headers: { "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body: text }) });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
