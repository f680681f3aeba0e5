/**
 * Every example in one registry: what a deployment of the examples would bundle, and what
 * `runLocally(registry, "<job name>", input)` runs against.
 *
 *   job                  module
 *   word-count           ./word-count.ts
 *   numeric-pipeline     ./numeric-pipeline.ts
 *   monte-carlo/pi       ./monte-carlo.ts
 *   dag                  ./dag.ts
 *   shapes/*             ./shapes.ts (test and benchmark shapes)
 */
import { createRegistry } from "paxflow";
import * as dag from "./dag.ts";
import * as monteCarlo from "./monte-carlo.ts";
import * as numeric from "./numeric-pipeline.ts";
import * as shapes from "./shapes.ts";
import * as wordCount from "./word-count.ts";

export const registry = createRegistry(wordCount, numeric, monteCarlo, dag, shapes);
