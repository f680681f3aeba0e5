/**
 * The registry the tests deploy (test/worker.ts), start the local cluster's runners with, and
 * run locally: the examples' jobs and stages, and the test shapes (./shapes.ts: chains,
 * fan-outs, sub-jobs, failures, spins; bench and chaos use them too).
 */
import { createRegistry } from "../../core/sdk/registry.ts";
import { modules } from "../../examples/index.ts";
import * as shapes from "./shapes.ts";

export const registry = createRegistry(...modules, shapes);
