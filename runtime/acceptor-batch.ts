import { type QuorumConfig, type ToAcceptor, configFingerprint } from "../core/paxos/index.ts";
import { PaxflowError } from "./errors.ts";

/**
 * Shape checks for what arrives at an acceptor over RPC, before any of it is stepped: a batch
 * that is not an array of well-formed protocol messages is refused whole, so a malformed
 * message can never leave the messages before it half-applied.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown, min: number): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= min;

function ballotProblem(v: unknown): string | null {
  if (!isObject(v)) return "ballot must be an object {round, proposer}";
  if (!isCount(v.round, 0)) return "ballot.round must be an integer >= 0";
  if (typeof v.proposer !== "string") return "ballot.proposer must be a string";
  return null;
}

function entryProblem(v: unknown): string | null {
  if (!isObject(v) || !Array.isArray(v.commands)) return "entry must be an object {commands: [...]}";
  for (const [i, c] of v.commands.entries()) {
    if (!isObject(c) || (c.kind !== "app" && c.kind !== "reconfigure") || typeof c.id !== "string") {
      return `entry.commands[${i}] must be {kind: "app" | "reconfigure", id: string, ...}`;
    }
    if (c.kind === "reconfigure" && !isObject(c.config)) return `entry.commands[${i}].config must be an object`;
  }
  return null;
}

function messageProblem(m: unknown): string | null {
  if (!isObject(m)) return "not an object";
  const ballot = () => ballotProblem(m.ballot);
  switch (m.type) {
    case "prepare":
      return ballot() ?? (isCount(m.fromSlot, 1) ? null : "fromSlot must be an integer >= 1");
    case "accept":
      return (
        ballot() ??
        (isCount(m.slot, 1) ? null : "slot must be an integer >= 1") ??
        (isCount(m.commitThrough, 0) ? null : "commitThrough must be an integer >= 0") ??
        entryProblem(m.entry)
      );
    case "commit":
      return ballot() ?? (isCount(m.through, 0) ? null : "through must be an integer >= 0");
    case "learn":
      return isCount(m.fromSlot, 1) ? null : "fromSlot must be an integer >= 1";
    case "compact": {
      const s = m.snapshot;
      if (!isObject(s) || !isCount(s.through, 1) || !Array.isArray(s.configs)) {
        return "snapshot must be {through: integer >= 1, configs: [...], app}";
      }
      return null;
    }
    default:
      return `unknown type ${JSON.stringify(m.type)} (expected prepare, accept, commit, learn or compact)`;
  }
}

/** Most messages one batch may carry (a commander sends at most a few per slot in flight). */
export const MAX_BATCH_MESSAGES = 100_000;

/** Returns the batch typed, or throws an "invalid-batch" error naming the first problem. */
export function parseBatch(acceptor: string, value: unknown): ToAcceptor[] {
  if (!Array.isArray(value)) throw new PaxflowError("invalid-batch", `acceptor ${acceptor}: a batch must be an array of messages`);
  if (value.length > MAX_BATCH_MESSAGES) {
    throw new PaxflowError("invalid-batch", `acceptor ${acceptor}: a batch carries at most ${MAX_BATCH_MESSAGES} messages, got ${value.length}`);
  }
  for (const [i, message] of value.entries()) {
    const problem = messageProblem(message);
    if (problem) throw new PaxflowError("invalid-batch", `acceptor ${acceptor}: message ${i} of the batch is malformed: ${problem}; nothing in the batch was applied`);
  }
  return value as ToAcceptor[];
}

/** The identity of a cluster: its bootstrap configuration, which every commander must share. */
export const clusterFingerprint = (initial: QuorumConfig): string => configFingerprint(initial);

/**
 * An acceptor's check of the fingerprint that comes with a batch. Returns the fingerprint to
 * store when the acceptor has none yet (first use); throws "cluster-mismatch" when it differs.
 */
export function checkCluster(acceptor: string, stored: string | null, given: unknown): string | null {
  if (typeof given !== "string" || given === "") {
    throw new PaxflowError("invalid-batch", `acceptor ${acceptor}: a batch must come with the cluster fingerprint (a non-empty string)`);
  }
  if (stored === null) return given;
  if (stored === given) return null;
  throw new PaxflowError(
    "cluster-mismatch",
    `acceptor ${acceptor} belongs to a cluster bootstrapped as "${stored}", but this commander's bootstrap configuration is "${given}": ` +
      "ACCEPTORS_PER_SHARD, PHASE1_QUORUM, PHASE2_QUORUM and ALPHA must not change on a live cluster " +
      "(restore their previous values, or start a new cluster under new Durable Object names)",
  );
}
