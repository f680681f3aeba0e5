/** Marks SDK objects so a registry can find them among a module's exports. */
export const KIND = Symbol.for("paxflow.kind");

/**
 * Turns `fn` into an object carrying `props`. defineProperty, not assignment: a function's
 * own `name` and `length` are read-only, and stages and jobs have a `name` of their own.
 */
export function callable<F extends (...args: never[]) => unknown, P extends object>(fn: F, kind: "stage" | "job", props: P): F & P {
  for (const [key, value] of Object.entries(props)) {
    Object.defineProperty(fn, key, { value, enumerable: true, writable: false, configurable: false });
  }
  Object.defineProperty(fn, KIND, { value: kind });
  return Object.freeze(fn) as F & P;
}
