/**
 * Listing jobs across shards, newest first. Every shard orders its jobs by (acceptedAt, id)
 * descending and answers those strictly before a position, so a page is the first `limit` of
 * the merged answers, and the next page starts after the last one shown.
 */
import type { Env } from "../durable-objects/env.ts";
import type { JobSummary, ListJobsQuery } from "../runtime/jobs/contract.ts";
import { ApiError } from "./http.ts";
import { JobId } from "./schemas.ts";
import { askEveryShard } from "./shard-calls.ts";

type Position = NonNullable<ListJobsQuery["before"]>;

const toBase64Url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const fromBase64Url = (text: string) => atob(text.replaceAll("-", "+").replaceAll("_", "/"));

export const encodeCursor = (position: Position): string => toBase64Url(JSON.stringify({ acceptedAt: position.acceptedAt, id: position.id }));

export function decodeCursor(cursor: string): Position {
  let position: unknown;
  try {
    position = JSON.parse(fromBase64Url(cursor));
  } catch {
    position = null;
  }
  const { acceptedAt, id } = (position ?? {}) as { acceptedAt?: unknown; id?: unknown };
  if (typeof acceptedAt !== "number" || !JobId.safeParse(id).success) {
    throw new ApiError(400, "invalid_field", "query parameter cursor: not a cursor this API gave out (use `next` of the previous page)");
  }
  return { acceptedAt, id: id as string };
}

const newestFirst = (a: JobSummary, b: JobSummary): number => b.acceptedAt - a.acceptedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export async function listJobs(env: Env, query: ListJobsQuery): Promise<{ jobs: JobSummary[]; next?: string }> {
  // One more than a page from each shard: if the merge holds more than a page, there is a next one.
  const replies = await askEveryShard(env, (commander) => commander.listJobs({ ...query, limit: query.limit + 1 }));
  const merged = replies.flatMap((reply) => reply.jobs).sort(newestFirst);
  const jobs = merged.slice(0, query.limit);
  const last = jobs.at(-1);
  return merged.length > query.limit && last ? { jobs, next: encodeCursor(last) } : { jobs };
}
