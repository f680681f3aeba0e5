/**
 * Job ids: "j-" and 24 hex digits (96 bits), chosen by the API. Sub-jobs append ".<seq>" per
 * level (core/jobs/advance.ts childId) and live in their tree's shard, so routing uses the root.
 */
import type { JobId } from "../core/jobs/decisions.ts";
import { sha256Hex } from "../runtime/jobs/payload-store.ts";
import { shardOf } from "./routing.ts";

export const JOB_ID = /^j-[0-9a-f]{24}(?:\.\d+)*$/;

const ID_HEX_DIGITS = 24;

export const randomJobId = (): JobId =>
  `j-${Array.from(crypto.getRandomValues(new Uint8Array(ID_HEX_DIGITS / 2)), (b) => b.toString(16).padStart(2, "0")).join("")}`;

/**
 * The id an idempotency key names: always the same for that key from that submitter (a retried
 * submit finds its job), another for another tenant's same key (so neither learns of the other).
 * The pair is hashed as JSON, so no choice of name and key can pass for another pair.
 */
export async function keyedJobId(submittedBy: string, idempotencyKey: string): Promise<JobId> {
  const hex = await sha256Hex(new TextEncoder().encode(JSON.stringify([submittedBy, idempotencyKey])));
  return `j-${hex.slice(0, ID_HEX_DIGITS)}`;
}

export const shardOfJob = (id: JobId, shards: number): number => shardOf(id.split(".")[0]!, shards);
