/**
 * The shape check of a log entry that claims to be a decision. Commanders write decisions, but a
 * learner applies whatever the log holds, and every replica applies the same log: an entry that
 * made the job state throw would stop all of them at that slot for good. So the state machine
 * only ever sees entries that pass this check; the others are counted and skipped (the same on
 * every replica, so they stay in step).
 */
import { isCodeMismatch } from "../sdk/code-identity.ts";
import type { DecisionType, Ending } from "./decisions.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => typeof v === "string";
const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const positiveInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;

const payload = (v: unknown) => isObj(v) && count(v.bytes) && (str(v.inline) || str(v.r2));
const failure = (v: unknown) => isObj(v) && str(v.name) && str(v.message);
const candidate = (v: unknown) => isObj(v) && str(v.node) && num(v.finishAt) && num(v.waitMs) && num(v.transferMs) && num(v.runMs);
const JOB_ERROR_KINDS = new Set(["error", "nondeterministic", "unknown", "wait-cycle", "too-deep", "cancelled"]);
const jobError = (v: unknown) => isObj(v) && JOB_ERROR_KINDS.has(v.kind as string) && str(v.name) && str(v.message) && (v.mismatch === undefined || isCodeMismatch(v.mismatch));
const ENDINGS: ReadonlySet<string> = new Set<Ending>(["silent", "refused", "orphaned"]);
const NODE_KINDS = new Set(["inline", "worker", "runner"]);
const speed = (v: unknown) =>
  isObj(v) && num(v.cpu) && (v.simd === undefined || num(v.simd)) && (v.stages === undefined || (isObj(v.stages) && Object.values(v.stages).every(num)));
const nodeSpec = (v: unknown) =>
  isObj(v) &&
  str(v.id) &&
  NODE_KINDS.has(v.kind as string) &&
  (v.url === undefined || str(v.url)) &&
  Array.isArray(v.caps) &&
  v.caps.every(str) &&
  speed(v.speed) &&
  positiveInt(v.slots) &&
  num(v.latencyMs) &&
  num(v.bandwidthMBps);
/** Entries logged before cancellers were recorded have no `by` (decodeDecision in decisions.ts). */
const canceller = (v: unknown) =>
  v === undefined || (isObj(v) && (v.kind === "client" ? str(v.token) : v.kind === "plane" || v.kind === "unrecorded"));
const optionalNum = (v: unknown) => v === undefined || num(v);
const load = (v: unknown) =>
  isObj(v) &&
  count(v.queue) &&
  count(v.inFlight) &&
  num(v.bytesIn) &&
  num(v.bytesOut) &&
  optionalNum(v.recentComputeMs) &&
  optionalNum(v.recentTransferMs) &&
  optionalNum(v.probeMs);
const call = (d: Obj) => str(d.job) && count(d.seq) && positiveInt(d.attempt);

const CHECKS: Record<DecisionType, (d: Obj) => boolean> = {
  "job.accepted": (d) =>
    str(d.job) &&
    str(d.name) &&
    (d.version === undefined || positiveInt(d.version)) &&
    (d.digest === undefined || str(d.digest)) &&
    payload(d.input) &&
    num(d.at) &&
    (d.idempotencyKey === undefined || str(d.idempotencyKey)) &&
    (d.submittedBy === undefined || str(d.submittedBy)) &&
    (d.parent === undefined || (isObj(d.parent) && str(d.parent.job) && count(d.parent.seq))),
  "call.dispatched": (d) =>
    call(d) &&
    str(d.stage) &&
    payload(d.input) &&
    str(d.node) &&
    num(d.at) &&
    candidate(d.predicted) &&
    Array.isArray(d.alternatives) &&
    d.alternatives.every(candidate) &&
    str(d.reason) &&
    str(d.by) &&
    (d.verify === undefined || str(d.verify)) &&
    (d.digest === undefined || str(d.digest)),
  "call.result": (d) =>
    call(d) &&
    str(d.node) &&
    isObj(d.outcome) &&
    (d.outcome.ok === true ? payload(d.outcome.value) : d.outcome.ok === false && failure(d.outcome.error)) &&
    num(d.startedAt) &&
    num(d.finishedAt) &&
    num(d.at),
  "call.timeout": (d) => call(d) && str(d.node) && num(d.at) && str(d.reason) && (d.ending === undefined || ENDINGS.has(d.ending as string)),
  "job.finished": (d) =>
    str(d.job) && num(d.at) && optionalNum(d.call) && isObj(d.outcome) && (d.outcome.ok === true ? payload(d.outcome.output) : d.outcome.ok === false && jobError(d.outcome.error)),
  "job.cancelled": (d) => str(d.job) && num(d.at) && str(d.reason) && canceller(d.by),
  "node.registered": (d) => nodeSpec(d.node) && num(d.at) && optionalNum(d.signedAt),
  "node.unresponsive": (d) => str(d.node) && num(d.at) && str(d.reason),
  "node.back": (d) => str(d.node) && num(d.at) && load(d.load),
  "node.quarantined": (d) => str(d.node) && num(d.at) && str(d.reason),
  "node.removed": (d) => str(d.node) && num(d.at) && str(d.reason),
};

/** Whether `data` names a decision type (well formed or not): the entries the job state machine owns. */
export const claimsDecision = (data: unknown): data is Obj & { type: string } => isObj(data) && Object.hasOwn(CHECKS, data.type as string);

/** Whether a log entry that claims a decision type has that decision's shape. */
export const wellFormedDecision = (data: Obj & { type: string }): boolean => CHECKS[data.type as keyof typeof CHECKS](data);
