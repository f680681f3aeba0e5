/**
 * A value a job holds without reading it: what `yield* stage.stored(input)` returns. A job that
 * only hands a large value on (to another call, or as its result) takes it this way, and the
 * commander then keeps only the value's reference (its R2 key, size and digest) while the bytes go
 * from the runner that made them to R2 and from R2 to the runner that reads them: encoded once by
 * their producer, decoded once by their consumer. A job that needs to look at a value takes it
 * the ordinary way (`yield* stage(input)`), and the commander decodes it for the job.
 *
 * A Stored is opaque on purpose: nothing on it reads the value, so whether it is a reference (in
 * the plane) or the value itself (runLocally, or a call the commander ran inline) makes no
 * difference to the job. It may be a call's whole input or a job's whole result, not part of one
 * (the codec refuses it inside an array or object: the other side would need to fetch it).
 */
import type { Value } from "../codec.ts";

/** Where a stored value's encoded bytes are (core/jobs/payload.ts, the R2 form of a Payload). */
export interface StoredRef {
  readonly r2: string;
  readonly bytes: number;
}

/** A reference, with its value once a shell loaded it (loadStored), or a value alone. */
type Held = { readonly ref: StoredRef; readonly value?: Value } | { readonly value: Value };

const HELD = new WeakMap<object, Held>();

export class Stored<T extends Value = Value> {
  /** The type of the value, for the compiler only (nothing holds it). */
  declare private readonly type: T;

  private constructor(held: Held) {
    HELD.set(this, held);
    Object.freeze(this);
  }

  /** A reference to bytes in the payload store. */
  static ref<T extends Value>(ref: StoredRef): Stored<T> {
    return new Stored<T>({ ref: { r2: ref.r2, bytes: ref.bytes } });
  }

  /** The value itself, where it is at hand (runLocally, an inline call's result). */
  static of<T extends Value>(value: T): Stored<T> {
    return new Stored<T>({ value });
  }
}

/** What a call may take as its input: a value, or a value held as a Stored. */
export type CallInput<I extends Value = Value> = I | Stored<I>;

export const isStored = (x: unknown): x is Stored => typeof x === "object" && x !== null && HELD.has(x);

/** The reference a Stored holds, if it holds one rather than the value. */
export function storedRef(x: unknown): StoredRef | undefined {
  const held = isStored(x) ? HELD.get(x)! : undefined;
  return held && "ref" in held ? held.ref : undefined;
}

/** Whether the value is here: always for Stored.of, once loaded for a reference. */
export const isLoaded = (x: Stored): boolean => HELD.get(x)!.value !== undefined;

/**
 * Gives a reference its value, read by a shell from the payload store because the job needs it
 * after all (replay compares it with a call's input, or feeds it to a call that reads it). Every
 * holder of the same Stored sees it: the log's record and the job's generator alike.
 */
export function loadStored(x: Stored, value: Value): void {
  const held = HELD.get(x)!;
  if ("ref" in held) HELD.set(x, { ref: held.ref, value });
}

export class StoredValueError extends Error {
  override readonly name = "StoredValueError";
}

/**
 * The value of a call input: itself, or what a Stored holds. A Stored reference has no value
 * here (its bytes are in the payload store): callers that can meet one check storedRef first.
 */
export function plainValue(x: CallInput): Value {
  if (!isStored(x)) return x;
  const held = HELD.get(x)!;
  if (held.value !== undefined) return held.value;
  const { ref } = held as { readonly ref: StoredRef };
  throw new StoredValueError(`the value stored under ${ref.r2} (${ref.bytes} bytes) is not loaded here`);
}
