/**
 * Code identity at run time. `paxflow lock` records each stage and job version's code digest
 * (core/check/code-digest.ts) in `paxflow.lock.json`; a registry built with that lock
 * (withCodeDigests) knows the digest of the code it bundles. The leader records its registry's
 * digest in each `call.dispatched`, the call carries it to the backend (the stage Worker's RPC,
 * a runner's CallRequest), and the backend checks it against its own registry with
 * checkCodeIdentity before it runs anything: another digest for the same "name@version" is a
 * failed outcome `CodeMismatch` naming both digests, never a computation with other code.
 *
 * Jobs too: `job.accepted` records the accepting leader's digest of the job, and a commander
 * whose own code for the job has another one fails the job with CodeMismatch (checkJobIdentity,
 * core/jobs/advance.ts) rather than run or replay its body on other code.
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

/**
 * Code that is not the code it was started for: a stage call refused by a backend whose code for
 * the stage differs from the one the call was dispatched for, or a job whose commander's code for
 * the job differs from the one it was accepted on. Either way nothing ran on the other code.
 */
export type CodeMismatch = CallFailure & {
  readonly name: "CodeMismatch";
  readonly code: "code_mismatch";
  /** The digest of the code this backend (a stage) or commander (a job) bundles. */
  readonly registryDigest: string;
  /** The digest the call was dispatched for (a stage), or the job was accepted on (a job). */
  readonly callDigest: string;
} & ({ readonly kind: "stage"; readonly stage: string } | { readonly kind: "job"; readonly job: string });

export type CodeIdentityCheck = { readonly ok: true } | { readonly ok: false; readonly error: CodeMismatch };

/**
 * Whether a backend may run a call of `stage`: yes when its registry's digest and the call's are
 * equal, or when either is unknown (no lock on that side); else a CodeMismatch naming both.
 */
export function checkCodeIdentity(registryDigest: string | undefined, callDigest: string | undefined, stage: string): CodeIdentityCheck {
  return compare(registryDigest, callDigest, { kind: "stage", stage }, () => `stage ${stage} was dispatched for code ${callDigest}, but this backend bundles code ${registryDigest} under that name and version; not run (deploy the same build everywhere, and bump the stage's version when its code changes)`);
}

/**
 * Whether a commander may run (or replay) the body of a job accepted on code `acceptedDigest`
 * (job.accepted's `digest`) with its own code for `job` ("name@version"): the same rule as for a
 * stage call. A replay on other code could take other branches under the same recorded calls.
 */
export function checkJobIdentity(registryDigest: string | undefined, acceptedDigest: string | undefined, job: string): CodeIdentityCheck {
  return compare(registryDigest, acceptedDigest, { kind: "job", job }, () => `job ${job} was accepted on code ${acceptedDigest}, but this commander bundles code ${registryDigest} under that name and version; not run (a job runs to its end on the code it started with: deploy the same build everywhere, and bump the job's version when its code changes)`);
}

function compare(
  registryDigest: string | undefined,
  callDigest: string | undefined,
  subject: { readonly kind: "stage"; readonly stage: string } | { readonly kind: "job"; readonly job: string },
  explain: () => string,
): CodeIdentityCheck {
  if (registryDigest === undefined || callDigest === undefined || registryDigest === callDigest) return { ok: true };
  return { ok: false, error: { name: "CodeMismatch", code: "code_mismatch", ...subject, registryDigest, callDigest, message: `code_mismatch: ${explain()}` } };
}

/**
 * Whether a failure (as the log carries it, from whichever backend) is a CodeMismatch: by its
 * code and fields, never its message. A stage that throws an error named "CodeMismatch" has no
 * `code_mismatch` code with both digests, so it stays the stage's own failure.
 */
export function isCodeMismatch(failure: unknown): failure is CodeMismatch {
  if (typeof failure !== "object" || failure === null) return false;
  const f = failure as Record<string, unknown>;
  const str = (v: unknown) => typeof v === "string";
  return (
    f.name === "CodeMismatch" &&
    f.code === "code_mismatch" &&
    str(f.message) &&
    str(f.registryDigest) &&
    str(f.callDigest) &&
    (f.kind === "stage" ? str(f.stage) : f.kind === "job" && str(f.job))
  );
}
