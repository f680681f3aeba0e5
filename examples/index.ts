/**
 * Every example in one registry, with the SIMD stages paxflow ships (kernels/): what the
 * Worker deploys (examples/worker.ts gives it to definePaxflow), and what
 * `runLocally(registry, "<job name>", input)` runs against.
 *
 *   job                  module
 *   word-count           ./word-count.ts
 *   numeric-pipeline     ./numeric-pipeline.ts
 *   monte-carlo/pi       ./monte-carlo.ts
 *   dag                  ./dag.ts
 *   payloads/roundtrip   ./payloads.ts (large values from runner to runner: npm run bench:payload)
 *   simd/stats           ../kernels/index.ts (with the stages simd/map, reduce, matmul, scan, histogram)
 *
 * The registry carries the code digests of ./paxflow.lock.json (`npx paxflow lock` writes it;
 * docs/versions.md): a backend refuses a call dispatched for other code than it bundles.
 */
import { createRegistry, withCodeDigests } from "paxflow";
import * as kernels from "../kernels/index.ts";
import * as dag from "./dag.ts";
import * as monteCarlo from "./monte-carlo.ts";
import * as numeric from "./numeric-pipeline.ts";
import * as payloads from "./payloads.ts";
import * as wordCount from "./word-count.ts";
import lock from "./paxflow.lock.json" with { type: "json" };

/** The modules the registry collects (the tests' registry adds their shapes to them: test/shared/registry.ts). */
export const modules = [wordCount, numeric, monteCarlo, dag, kernels, payloads] as const;

export const registry = withCodeDigests(createRegistry(...modules), lock);
