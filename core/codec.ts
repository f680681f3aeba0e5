/**
 * The one binary codec for every payload that crosses a boundary (stage inputs and outputs,
 * job inputs and results, log entries that carry them). CBOR via cbor-x: JSON-like data plus
 * typed arrays as RFC 8746 tags, so a Float32Array arrives as a Float32Array with its exact
 * bits instead of a detour through JSON numbers. cbor-x detects runtimes that forbid eval
 * (Workers) and decodes without generated code there.
 */
import { Decoder, Encoder } from "cbor-x";

/** What stages and jobs may take and return. */
export type Value =
  | null
  | boolean
  | number
  | string
  | readonly Value[]
  | { readonly [key: string]: Value }
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

// Records (cbor-x's shared-structure extension) would make bytes depend on encoder history;
// plain maps keep the encoding a function of the value alone.
const options = { useRecords: false, mapsAsObjects: true, tagUint8Array: true } as const;
const encoder = new Encoder(options);
const decoder = new Decoder(options);

export class CodecError extends Error {
  override readonly name = "CodecError";
}

const MAX_DEPTH = 512;

const isTypedArray = (v: object): boolean => ArrayBuffer.isView(v) && !(v instanceof DataView);

/**
 * Refuses what is not a paxflow value, naming where it is: CBOR could encode a Map, a Date or
 * a class instance, but the other side would get something else back (or an empty object).
 */
function checkValue(value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new CodecError(`${path} is nested deeper than ${MAX_DEPTH} levels (a cycle?)`);
  if (value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string") return;
  if (value === undefined) throw new CodecError(`${path} is undefined; use null, or leave the field out`);
  if (typeof value !== "object") throw new CodecError(`${path} is a ${typeof value}, not a paxflow value`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new CodecError(`${path}[${i}] is a hole in a sparse array`);
      checkValue(value[i], `${path}[${i}]`, depth + 1);
    }
    return;
  }
  if (isTypedArray(value)) return;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new CodecError(`${path} is a ${proto?.constructor?.name ?? "non-plain object"}; use plain objects, arrays and typed arrays`);
  }
  for (const key of Object.keys(value)) {
    if (key === "__proto__") throw new CodecError(`${path} has the key "__proto__", which no side could read back`);
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) continue; // like JSON: an undefined field is an absent field
    checkValue(field, `${path}.${key}`, depth + 1);
  }
}

export function encode(value: unknown): Uint8Array {
  checkValue(value, "value", 0);
  try {
    return encoder.encode(value);
  } catch (error) {
    throw new CodecError(`value cannot be encoded: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function decode<T = Value>(bytes: Uint8Array): T {
  try {
    return decoder.decode(bytes) as T;
  } catch (error) {
    throw new CodecError(`bytes are not a paxflow value: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Size of the encoded value in bytes: the `n` every cost model is a function of. */
export const encodedSize = (value: unknown): number => encode(value).byteLength;

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
