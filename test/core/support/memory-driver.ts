/**
 * The in-memory shard of runtime/jobs/memory-shard.ts with the examples' registry, as the
 * in-memory jobs conformance run and the driver-level tests use it.
 */
import { registry } from "../../shared/registry.ts";
import * as shard from "../../../runtime/jobs/memory-shard.ts";
import type { Backends } from "../../../runtime/jobs/backends.ts";
import type { Payloads } from "../../../runtime/jobs/payload-store.ts";

export type { MemoryShard } from "../../../runtime/jobs/memory-shard.ts";

export type MemoryShardOptions = Omit<shard.MemoryShardOptions, "registry">;

export const memoryShard = (options: MemoryShardOptions): shard.MemoryShard => shard.memoryShard({ registry, ...options });

export const workerBackend = (payloads: Payloads): Backends["worker"] => shard.workerBackend(registry, payloads);
