/**
 * Headers every answer carries, the dashboard's pages and the API's JSON alike (one set, so no
 * answer is left out by a route that forgot it):
 *
 * - a Content-Security-Policy that lets a page load only this origin's files (the dashboard has
 *   no inline script or style, and no data: URLs) and be framed by no one, so another site cannot
 *   overlay it (clickjacking) or inject markup that runs;
 * - `X-Content-Type-Options: nosniff`, so an answer is never read as a type it does not declare
 *   (a stored payload as a script, a JSON error as HTML);
 * - `Referrer-Policy: no-referrer`, so a page's address (a job id, a route) leaves with no link.
 *
 * test/workerd/security-headers.test.ts checks them on pages and API answers;
 * test/e2e/dashboard.test.ts checks that the pages work under them and refuse a cross-origin frame.
 */
import type { MiddlewareHandler } from "hono";
import type { App } from "./http.ts";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join("; ");

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

export const securityHeaders: MiddlewareHandler<App> = async (c, next) => {
  await next();
  // c.header copies a Response whose headers are immutable (a page from the ASSETS binding) first.
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
};
