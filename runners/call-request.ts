/**
 * Checks a POST /v1/calls body field by field, so a plane (or a person with curl) that sends
 * a bad one learns which field is wrong instead of getting a failed call much later.
 */
import type { CallRequest } from "../core/jobs/protocol.ts";

export interface BadField {
  readonly code: "invalid_body" | "missing_field" | "invalid_field";
  /** Dotted path of the offending field ("input.r2"); absent when the body as a whole is wrong. */
  readonly field?: string;
  readonly message: string;
}

export type Parsed = { readonly ok: true; readonly request: CallRequest } | { readonly ok: false; readonly error: BadField };

const SHA256_HEX = /^[0-9a-f]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;

/** Bytes a padded base64 string decodes to, without decoding it. */
const base64Length = (text: string): number => (text.length / 4) * 3 - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0);

export function parseCallRequest(body: unknown): Parsed {
  const fail = (code: BadField["code"], field: string | undefined, message: string): Parsed => ({
    ok: false,
    error: field === undefined ? { code, message } : { code, field, message },
  });
  if (!isObject(body)) return fail("invalid_body", undefined, "body must be a JSON object (a CallRequest)");
  const { job, seq, attempt, stage, input, deadlineAt, digest } = body;
  const missing = (["job", "seq", "attempt", "stage", "input", "deadlineAt"] as const).find((f) => body[f] === undefined);
  if (missing) return fail("missing_field", missing, `${missing} is required`);
  if (typeof job !== "string" || job === "") return fail("invalid_field", "job", "job must be a non-empty string");
  if (!isCount(seq, 0)) return fail("invalid_field", "seq", "seq must be an integer >= 0");
  if (!isCount(attempt, 1)) return fail("invalid_field", "attempt", "attempt must be an integer >= 1");
  if (typeof stage !== "string" || stage === "") return fail("invalid_field", "stage", 'stage must be a non-empty string ("name@version")');
  if (typeof deadlineAt !== "number" || !Number.isFinite(deadlineAt)) return fail("invalid_field", "deadlineAt", "deadlineAt must be a number (epoch ms)");
  if (digest !== undefined && (typeof digest !== "string" || digest === "")) return fail("invalid_field", "digest", "digest must be a non-empty string (the stage's code digest) when present");
  const code = digest === undefined ? {} : { digest };
  if (!isObject(input)) return fail("invalid_field", "input", "input must be an object: { inline, bytes } or { r2, bytes }");
  if (!isCount(input.bytes, 0)) return fail(input.bytes === undefined ? "missing_field" : "invalid_field", "input.bytes", "input.bytes must be an integer >= 0");
  if ((input.inline === undefined) === (input.r2 === undefined)) {
    return fail("invalid_field", "input", "input must have exactly one of inline (base64 CBOR) and r2 (SHA-256 hex)");
  }
  if (input.inline !== undefined) {
    if (typeof input.inline !== "string" || !BASE64.test(input.inline)) return fail("invalid_field", "input.inline", "input.inline must be padded base64");
    if (base64Length(input.inline) !== input.bytes) {
      return fail("invalid_field", "input.bytes", `input.bytes is ${input.bytes} but input.inline holds ${base64Length(input.inline)} bytes`);
    }
    return { ok: true, request: { job, seq, attempt, stage, deadlineAt, input: { inline: input.inline, bytes: input.bytes }, ...code } };
  }
  if (typeof input.r2 !== "string" || !SHA256_HEX.test(input.r2)) return fail("invalid_field", "input.r2", "input.r2 must be a SHA-256 as 64 lowercase hex digits");
  return { ok: true, request: { job, seq, attempt, stage, deadlineAt, input: { r2: input.r2, bytes: input.bytes }, ...code } };
}
