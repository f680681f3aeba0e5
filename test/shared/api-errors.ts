import { expect } from "vitest";

/** The statuses a client may retry unchanged (workers/http.ts says why). */
const RETRYABLE = new Set([408, 425, 429, 502, 503, 504]);

/**
 * Asserts an API error as every route answers one: `status`, JSON `{ error: { code, message,
 * retryable } }` with `code`, a message that names each of `mentions` and carries no stack, and
 * `retryable` true exactly for the statuses a retry can fix. Returns the response (headers).
 */
export async function expectError(response: Response, status: number, code: string, ...mentions: string[]): Promise<Response> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/json");
  const { error } = JSON.parse(text) as { error: { code: string; message: string; retryable: boolean } };
  expect(error.code, text).toBe(code);
  for (const mention of mentions) expect(error.message, text).toContain(mention);
  expect(error.message).not.toMatch(/\n\s+at /);
  expect(error.retryable, text).toBe(RETRYABLE.has(status));
  return response;
}
