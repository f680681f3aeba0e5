/**
 * Runs a job to completion in-process: stages inline (their CPU `run`), sub-jobs recursively,
 * every payload through the codec as it would cross a boundary. The reference semantics the
 * distributed commander must match, and what examples and tests use.
 */
import { type Value, CodecError, decode, encode } from "../codec.ts";
import type { Call } from "./effects.ts";
import { type Registry, findJob, missingJob } from "./registry.ts";
import { runStage } from "./run-stage.ts";
import { plainValue } from "./stored.ts";
import { type JobFailure, JobRun, type Outcome, type RecordedCall, ancestorCycle, formatCycle } from "./replay.ts";

/**
 * Failures that are not results: a deployment that lacks a stage or job, a job that waits on
 * itself, or a nondeterministic job anywhere in the tree. They stop the whole tree instead of
 * being recorded, and no job can catch them.
 */
export type FatalFailure = { readonly kind: "unknown" | "wait-cycle"; readonly name: string; readonly message: string };

/** `calls` counts the calls this job made (a sub-job counts as one). */
export type LocalResult =
  | { readonly status: "done"; readonly output: Value; readonly calls: number }
  | { readonly status: "failed"; readonly error: JobFailure | FatalFailure; readonly calls: number };

type Executed = { readonly outcome: Outcome } | { readonly fatal: JobFailure | FatalFailure };

const roundTrip = (value: Value): Value => decode(encode(value));

/**
 * `job` is a name (its latest version in the registry) or "name@version"; a job's sub-job calls
 * name the exact version of the job object they call.
 */
export function runLocally(registry: Registry, job: string, input: Value, ancestors: readonly Call[] = []): LocalResult {
  const definition = findJob(registry, job);
  if (!definition) {
    const missing = missingJob(registry, job);
    return { status: "failed", error: { kind: "unknown", name: missing.name, message: missing.name === "UnknownJob" ? `no job named "${job}"` : missing.message }, calls: 0 };
  }
  const log: RecordedCall[] = [];
  let calls = 0;
  const self: Call = { kind: "job", target: definition.ref, input };
  const run = new JobRun(definition, input);
  for (;;) {
    const result = run.advanceTo(log);
    if (result.status === "failed") return { ...result, calls };
    // Nothing here is a reference: every Stored holds its value.
    if (result.status === "needs") throw new Error(`runLocally(${job}): a Stored reference reached a local run`);
    if (result.status === "done") {
      try {
        return { status: "done", output: roundTrip(plainValue(result.output)), calls };
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        return { status: "failed", error: { kind: "error", name: error.name, message: `job "${job}" returned ${error.message}` }, calls };
      }
    }
    for (const { seq, call } of result.pending) {
      calls++;
      const executed = execute(registry, call, [...ancestors, self]);
      if ("fatal" in executed) return { status: "failed", error: executed.fatal, calls };
      log[seq] = { call, outcome: executed.outcome };
    }
  }
}

const failure = (error: unknown): Outcome => ({
  ok: false,
  error: { name: error instanceof Error ? error.name : "Error", message: error instanceof Error ? error.message : String(error) },
});

function execute(registry: Registry, call: Call, ancestors: readonly Call[]): Executed {
  if (call.kind === "job") {
    const cycle = ancestorCycle(ancestors, call);
    if (cycle) return { fatal: { kind: "wait-cycle", name: "WaitCycleError", message: `sub-job waits on itself: ${formatCycle(cycle)}` } };
    const result = runLocally(registry, call.target, plainValue(call.input), ancestors);
    if (result.status === "done") return { outcome: { ok: true, value: result.output } };
    // A sub-job's own error is its result, which the parent may catch; anything else stops all.
    return result.error.kind === "error" ? { outcome: failure(Object.assign(new Error(result.error.message), { name: result.error.name })) } : { fatal: result.error };
  }
  const stage = registry.stages.get(call.target);
  if (!stage) return { fatal: { kind: "unknown", name: "UnknownStage", message: `no stage named "${call.target}" is deployed` } };
  try {
    // The reference run, for tests and examples: always in the freeze mode (run-stage.ts).
    return { outcome: { ok: true, value: roundTrip(runStage(stage, roundTrip(plainValue(call.input)), { freezeInput: true })) } };
  } catch (error) {
    return { outcome: failure(error) };
  }
}
