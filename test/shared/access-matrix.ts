/**
 * What the authorization matrix expects: for a route's declared rule (workers/access.ts) and a
 * caller, whether the request must be refused and how. Used by the matrix test
 * (test/workerd/authorization-matrix.test.ts) and the HTTP fuzzer (test/shared/http-fuzz.ts),
 * so both hold the API to the same table.
 */
import type { Access } from "../../workers/access.ts";
import type { Scope } from "../../workers/auth.ts";

/** Who sends the request. A runner signs as `own` (the node the request names) or as another node. */
export type Caller =
  | { readonly kind: "nobody" }
  | { readonly kind: "token"; readonly name: string; readonly scopes: readonly Scope[] }
  | { readonly kind: "runner"; readonly own: boolean };

/** The answer the rule demands: let through to the route, or refused with this status. */
export type Expected = { readonly allowed: true } | { readonly allowed: false; readonly status: 401 | 403 };

const ALLOWED: Expected = { allowed: true };
const UNAUTHENTICATED: Expected = { allowed: false, status: 401 };
const FORBIDDEN: Expected = { allowed: false, status: 403 };

const holds = (scopes: readonly Scope[], scope: Scope) => scopes.includes(scope) || scopes.includes("admin");

export function expected(access: Access, caller: Caller): Expected {
  switch (access.who) {
    case "anyone":
      return ALLOWED;
    case "client":
      // A runner's signature is not a bearer token.
      return caller.kind === "token" ? (holds(caller.scopes, access.scope) ? ALLOWED : FORBIDDEN) : UNAUTHENTICATED;
    case "runner":
      return caller.kind === "runner" ? (caller.own ? ALLOWED : FORBIDDEN) : UNAUTHENTICATED;
    case "runner-or-client":
      if (caller.kind === "runner") return ALLOWED;
      return caller.kind === "token" ? (holds(caller.scopes, access.scope) ? ALLOWED : FORBIDDEN) : UNAUTHENTICATED;
  }
}

/** Whether an answer's status is what `expectation` demands (any answer of the route's own, when allowed). */
export function conforms(expectation: Expected, status: number): boolean {
  return expectation.allowed ? status !== 401 && status !== 403 : status === expectation.status;
}
