/** The `paxflow` package: what stage and job authors import. */
export { type Value, CodecError, decode, encode, encodedSize } from "./codec.ts";
export { type Call, type CallStep, type Effect, type Parallel, type Step } from "./sdk/effects.ts";
export { type Cap, type CostModel, type KernelArray, type KernelBinding, type SimdKernel, type Stage, type StageSpec, DefinitionError, KNOWN_CAPS, defineStage } from "./sdk/stage.ts";
export { type Job, type JobSpec, all, defineJob } from "./sdk/job.ts";
export { type CallInput, Stored } from "./sdk/stored.ts";
export { type Registry, createRegistry, digestOf, findJob, jobNames, jobRef, versionsOf, withCodeDigests } from "./sdk/registry.ts";
export { type CodeIdentityCheck, type CodeLock, type CodeMismatch, checkCodeIdentity, checkJobIdentity, isCodeMismatch } from "./sdk/code-identity.ts";
export {
  type CallFailure,
  type JobFailure,
  type Outcome,
  type PendingCall,
  type RecordedCall,
  type ReplayResult,
  CallError,
  ancestorCycle,
  formatChain,
  formatCycle,
  replay,
} from "./sdk/replay.ts";
export { type LocalResult, runLocally } from "./sdk/local.ts";
