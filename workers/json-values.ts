/**
 * Values as HTTP clients send and see them. In the log a value is a Payload: CBOR bytes inline,
 * or in R2 under their SHA-256 when large. JSON has fewer types than CBOR: a typed array comes
 * out as an array of numbers, a 64-bit one as decimal strings (JSON numbers round above 2^53),
 * and NaN or an infinity as null.
 */
import { type Value, CodecError, decode, encode } from "../core/codec.ts";
import { type Payload, fromBase64, inlinePayload, payloadKey } from "../core/jobs/payload.ts";
import type { Env } from "../durable-objects/env.ts";
import { parseJobsConfig } from "../durable-objects/jobs-config.ts";
import { r2Blobs } from "../durable-objects/r2-blobs.ts";
import { Payloads } from "../runtime/jobs/payload-store.ts";
import { ApiError } from "./http.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The same store and inline limit as the commanders, so both seal a value the same way. */
export const payloadStore = (env: Env): Payloads => new Payloads(r2Blobs(env.PAYLOADS), parseJobsConfig(env).inlinePayloadBytes, payloadKey);

export function toJson(value: Value): Json {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== "object") return value;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Array.from(value, String);
  if (ArrayBuffer.isView(value)) return Array.from(value);
  if (Array.isArray(value)) return value.map(toJson);
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, toJson(field)]));
}

export const openJson = async (payloads: Payloads, payload: Payload): Promise<Json> => toJson(await payloads.open(payload));

/** A client's JSON as a Payload; `field` names it in the 400 when the codec refuses part of it. */
export async function sealJson(payloads: Payloads, field: string, value: unknown): Promise<Payload> {
  return payloads.seal({ value: value as Value, bytes: encodeAt(field, value) });
}

/**
 * A runner's base64 CBOR as a Payload. Decoded and encoded again: that refuses what is not a
 * paxflow value (a CBOR Date or Map), and stores the canonical bytes the commander would.
 */
export async function sealBase64(payloads: Payloads, field: string, base64: string): Promise<Payload> {
  let value: Value;
  try {
    value = decode(fromBase64(base64));
  } catch (error) {
    throw new ApiError(400, "invalid_field", `${field}: ${error instanceof CodecError ? error.message : "not valid base64"}`);
  }
  return payloads.seal({ value, bytes: encodeAt(field, value) });
}

/**
 * A value a runner stored with PUT /v1/payloads/:sha256, as a Payload, checked to be there at that
 * size (400 otherwise: the report is refused and the call gets no result from it). Its bytes are
 * not read: the runner encoded them, the runner that takes them decodes them. One small enough to
 * be inline is read back and inlined, so a value has the one form the commander would give it
 * (verification compares answers by their payloads).
 */
export async function storedPayload(env: Env, ref: { readonly r2: string; readonly bytes: number }): Promise<Payload> {
  const payloads = payloadStore(env);
  const head = await env.PAYLOADS.head(payloadKey(ref.r2));
  if (!head || head.size !== ref.bytes) {
    const found = head ? `${head.size} bytes` : "nothing";
    throw new ApiError(400, "payload_missing", `outcome.value: no payload of ${ref.bytes} bytes is stored under ${ref.r2} (found ${found}); upload it first with PUT /v1/payloads/${ref.r2}`);
  }
  const payload: Payload = { r2: ref.r2, bytes: ref.bytes };
  return ref.bytes > payloads.inlineLimit ? payload : inlinePayload(await payloads.bytes(payload));
}

function encodeAt(field: string, value: unknown): Uint8Array {
  try {
    return encode(value);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    // The codec names the path from "value"; the client knows it by its field.
    throw new ApiError(400, "invalid_field", error.message.replace(/^value/, field));
  }
}
