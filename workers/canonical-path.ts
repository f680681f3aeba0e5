/**
 * One spelling per resource. The router decodes percent-encoding before it matches, so
 * `/v1/%6Aobs` reaches the `/v1/jobs` route; anything that looks at the path another way (a log
 * line, a cache, a proxy's rule, once the authorization check) would see a different resource.
 * Such paths are refused rather than normalised, as RFC 3986 §6.2.2 suggests a server may:
 * no client of this API needs them.
 */

/** RFC 3986 §2.3: characters that never need encoding. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** API paths have no trailing slash; outside it, the dashboard's pages may. */
const API = /^\/(v1|metrics)(\/|$)/;

/** Why the path of `url` is not canonical, or null when it is. */
export function nonCanonical(url: string): string | null {
  const path = pathOf(url);
  for (const m of path.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    const decoded = String.fromCharCode(parseInt(m[1]!, 16));
    if (UNRESERVED.test(decoded)) return `the path encodes "${decoded}" as ${m[0]}, which needs no encoding`;
  }
  if (path.includes("//")) return "the path has an empty segment (//)";
  if (path.split("/").some((s) => s === "." || s === "..")) return "the path has a dot segment (. or ..)";
  if (path.length > 1 && path.endsWith("/") && API.test(path)) return "the path ends with /, and no API route does";
  return null;
}

/** The path as sent: after the authority, before the query or fragment (no URL parser: it would normalise). */
function pathOf(url: string): string {
  const afterScheme = url.indexOf("://");
  const start = afterScheme < 0 ? 0 : url.indexOf("/", afterScheme + 3);
  if (start < 0) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}
