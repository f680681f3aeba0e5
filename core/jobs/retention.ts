/**
 * How long a finished job stays readable (JOB_RETENTION), measured on the log's own clock: the
 * latest `at` among the applied decisions (JobsState.appliedAt). Every replica that applied the
 * same prefix removes the same jobs, so a commander that takes over answers exactly as the one
 * before it, and a test drives expiry by applying decisions instead of by waiting.
 */
import type { JobId } from "./decisions.ts";

export const DEFAULT_JOB_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** A finished tree retired at `retiredAt` (its root's finishedAt) is gone once the log's clock reaches this. */
export const expiresAt = (retiredAt: number, retentionMs: number): number => retiredAt + retentionMs;

/** Trees retired at or before this instant are expired when the log's clock reads `appliedAt`. */
export const retentionCutoff = (appliedAt: number, retentionMs: number): number => appliedAt - retentionMs;

export const expired = (retiredAt: number, appliedAt: number, retentionMs: number): boolean => expiresAt(retiredAt, retentionMs) <= appliedAt;

/** One finished job as a store keeps it: the record, and the tree and slot it was retired with. */
export interface RetiredJob<Record> {
  readonly id: JobId;
  /** The tree's root (the job itself when top-level): a tree is stored and expired whole. */
  readonly root: JobId;
  /** The log's clock when the tree ended (JobsState.appliedAt): retention counts from there, for every job of the tree. */
  readonly retiredAt: number;
  /** The log slot whose decision ended the tree. */
  readonly slot: number;
  readonly record: Record;
}

/**
 * The rows a decision's retired trees (JobsState.retiredByLastApply) become, at `slot`, the log's
 * clock reading `retiredAt` (not the job's finishedAt: a decision applied before it in the same
 * step may carry a later time, and the job must not be born expired).
 */
export function retiredRows<R extends { readonly id: JobId }>(trees: readonly (readonly R[])[], slot: number, retiredAt: number): RetiredJob<R>[] {
  const rows: RetiredJob<R>[] = [];
  for (const tree of trees) {
    const root = tree[0];
    if (!root) continue;
    for (const record of tree) rows.push({ id: record.id, root: root.id, retiredAt, slot, record });
  }
  return rows;
}
