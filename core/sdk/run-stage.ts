/**
 * How every backend invokes a stage's `run` (the CPU runner, the gpu-runner's CPU path, the
 * stage Worker, the commander's inline calls, runLocally and the in-process plane): one
 * function, so a stage sees the same input wherever it runs.
 *
 * With `freezeInput`, the input is deep-frozen first: the purity checker is static and can miss
 * a mutation (through an alias, a helper it cannot see into), and a stage that sorts its input in
 * place would corrupt the value a retry or a verifying attempt reads. Frozen, the write throws
 * at once (stage modules are ES modules, so strict mode: writes to frozen objects throw
 * TypeError), and the call fails with InputMutationError naming the stage. Freezing walks the
 * whole input, so it is a dev and test mode (PAXFLOW_FREEZE_INPUTS), off by default in
 * production deploys; docs/writing-jobs.md, "Defence in depth at run time".
 */
import type { Value } from "../codec.ts";
import { ConfigError } from "../paxos/config.ts";

/** The one name of the freeze mode's setting: an environment variable on Node, a [vars] entry in workerd. */
export const FREEZE_INPUTS_SETTING = "PAXFLOW_FREEZE_INPUTS";

/** PAXFLOW_FREEZE_INPUTS is neither "1", "0" nor empty. */
export class FreezeInputsSettingError extends ConfigError {
  readonly code = "invalid-setting";
  readonly setting = FREEZE_INPUTS_SETTING;
  constructor(readonly value: string) {
    super(`${FREEZE_INPUTS_SETTING} must be "1" (freeze stage inputs), "0" or empty (do not), got "${value}"`);
  }
}

/** The setting's value: "1" on; "0", empty or unset off (the production default). */
export function freezeInputsFrom(raw: string | undefined): boolean {
  const text = raw?.trim() ?? "";
  if (text === "1") return true;
  if (text === "0" || text === "") return false;
  throw new FreezeInputsSettingError(raw!);
}

/**
 * Freezes `value` and everything reachable from it through arrays and plain objects, the shapes
 * a paxflow Value has (core/codec.ts); returns it. Typed arrays cannot be frozen (Object.freeze
 * throws on a non-empty one), so their elements stay writable: the freeze mode does not protect
 * typed-array contents. Other objects (Maps, Sets, class instances: never a decoded Value) are
 * left as they are, since freezing them would not stop their methods from changing them.
 */
export function deepFreeze<T>(value: T): T {
  // A frozen object is taken as frozen all the way down: decoded values are never frozen but by
  // deepFreeze (a payload's cached value, sent again to a retry, is not walked twice).
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/** A stage wrote to its frozen input: a bug the purity checker missed, reported as the call's failure. */
export class InputMutationError extends Error {
  override readonly name = "InputMutationError";
  readonly code = "input-mutated";
  constructor(
    readonly stage: string,
    cause: TypeError,
  ) {
    super(`stage "${stage}" changed its input, which stages must not do (a retry or a verifying run would read the changed value): ${cause.message}`, { cause });
  }
}

// V8's messages for a write to a frozen object or array (assign, add, delete, define; push, sort, splice).
const FROZEN_WRITE = /read[- ]only property|object is not extensible|Cannot delete property|Cannot (?:add|define) property/;

/**
 * Runs `stage` on `input`, deep-frozen first when `freezeInput` is set. A TypeError from a write
 * to the frozen input becomes InputMutationError; every other error propagates unchanged, for the
 * backend to report as the call's failure.
 */
export function runStage(stage: { readonly ref: string; readonly run: (input: never) => Value }, input: Value, options: { readonly freezeInput: boolean }): Value {
  if (!options.freezeInput) return stage.run(input as never);
  try {
    return stage.run(deepFreeze(input) as never);
  } catch (error) {
    if (error instanceof TypeError && FROZEN_WRITE.test(error.message)) throw new InputMutationError(stage.ref, error);
    throw error;
  }
}
