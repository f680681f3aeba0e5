import type { NodeId } from "../../core/jobs/decisions.ts";
import type { CallRecord, StageCall, Verification } from "../../core/jobs/state.ts";

/** The call as a stage call (its attempts, its verification), failing the test when it is not one. */
export function stage(call: CallRecord | undefined): StageCall {
  if (call?.kind !== "stage") throw new Error(`not a stage call: ${JSON.stringify(call)}`);
  return call;
}

/** How a stage call was verified, once it has its result: undefined when it was not chosen (or is not done). */
export function verifiedOf(call: CallRecord | undefined): Verification | undefined {
  const { state } = stage(call);
  return state.is === "done" ? state.verified : undefined;
}

/** The nodes that agreed on a verified call's result; undefined when no two did. */
export function agreedBy(call: CallRecord | undefined): readonly NodeId[] | undefined {
  const verified = verifiedOf(call);
  return verified?.settled === "agreed" ? verified.by : undefined;
}

/** The answer a stage call took (its node and times), failing the test when it has none. */
export function taken(call: CallRecord | undefined): Extract<StageCall["state"], { is: "done" }> {
  const { state } = stage(call);
  if (state.is !== "done") throw new Error(`call has no result: ${JSON.stringify(call)}`);
  return state;
}
