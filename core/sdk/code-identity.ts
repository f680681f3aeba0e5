/**
 * Code identity at run time. `paxflow lock` records each stage version's code digest
 * (core/check/code-digest.ts) in `paxflow.lock.json`; a registry built with that lock
 * (withCodeDigests) knows the digest of the code it bundles. The leader records its registry's
 * digest in each `call.dispatched`, the call carries it to the backend (the stage Worker's RPC,
 * a runner's CallRequest), and the backend checks it against its own registry with
 * checkCodeIdentity before it runs anything: another digest for the same "name@version" is a
 * failed outcome `CodeMismatch` naming both digests, never a computation with other code.
 *
 * Either side may not know a digest: a call from a leader without a lock (or logged before
 * digests were recorded), or a backend whose registry has no lock. Then the call runs: there is
 * nothing to compare, and a deployment without a lock behaves as before.
 */
import type { CallFailure } from "./replay.ts";

/** `paxflow.lock.json`: stage and job digests by "name@version" (job entries of older locks, by bare name, match nothing). */
export interface CodeLock {
  readonly stages: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, string>>;
}

/** A call refused because the backend's code for its stage is not the code it was dispatched for. */
export interface CodeMismatch extends CallFailure {
  readonly name: "CodeMismatch";
  readonly code: "code_mismatch";
  readonly stage: string;
  /** The digest of the code this backend bundles for the stage. */
  readonly registryDigest: string;
  /** The digest the leader dispatched the call for. */
  readonly callDigest: string;
}

export type CodeIdentityCheck = { readonly ok: true } | { readonly ok: false; readonly error: CodeMismatch };

/**
 * Whether a backend may run a call of `stage`: yes when its registry's digest and the call's are
 * equal, or when either is unknown (no lock on that side); else a CodeMismatch naming both.
 */
export function checkCodeIdentity(registryDigest: string | undefined, callDigest: string | undefined, stage: string): CodeIdentityCheck {
  if (registryDigest === undefined || callDigest === undefined || registryDigest === callDigest) return { ok: true };
  return {
    ok: false,
    error: {
      name: "CodeMismatch",
      code: "code_mismatch",
      stage,
      registryDigest,
      callDigest,
      message:
        `code_mismatch: stage ${stage} was dispatched for code ${callDigest}, but this backend bundles code ${registryDigest} under that name and version; ` +
        "not run (deploy the same build everywhere, and bump the stage's version when its code changes)",
    },
  };
}
