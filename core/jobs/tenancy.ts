/**
 * Who may see a job. A tenant is a client token's name: a job belongs to the token that
 * submitted it (`submittedBy`), and its sub-jobs to the same one (state.ts copies it down the
 * tree). Only that tenant and admin tokens may read, follow or cancel it; to anyone else it
 * does not exist, so the API answers exactly as for an unknown id and existence does not leak.
 * A job logged without a submitter (before submitters were recorded) is visible to admins only.
 */
import type { Canceller } from "./decisions.ts";

/** The client asking: its token's name, and whether the token has the admin scope (every tenant's jobs). */
export type Viewer = { readonly kind: "tenant"; readonly name: string } | { readonly kind: "admin"; readonly name: string };

export const mayAccess = (job: { readonly submittedBy?: string }, viewer: Viewer): boolean => viewer.kind === "admin" || job.submittedBy === viewer.name;

/** A client's cancel, as the log records it: the token's name only. */
export const cancelledBy = (viewer: Viewer): Canceller => ({ kind: "client", token: viewer.name });
