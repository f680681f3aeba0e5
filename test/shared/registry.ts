/**
 * The registry the tests deploy (test/worker.ts), start the local cluster's runners with, and
 * run locally: the examples' jobs and stages with their code digests (examples/paxflow.lock.json),
 * and the test shapes (./shapes.ts: chains, fan-outs, sub-jobs, failures, spins; bench and chaos
 * use them too), which have none.
 */
import { createRegistry, withCodeDigests } from "../../core/sdk/registry.ts";
import { modules } from "../../examples/index.ts";
import lock from "../../examples/paxflow.lock.json" with { type: "json" };
import * as shapes from "./shapes.ts";

export const registry = withCodeDigests(createRegistry(...modules, shapes), lock);
