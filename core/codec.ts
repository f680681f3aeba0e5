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

export function encode(value: unknown): Uint8Array {
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
