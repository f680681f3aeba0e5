/**
 * The tests' Worker entry (vitest.config.ts's workerd projects, and the local cluster of the e2e
 * tests, bench and chaos): paxflow over the tests' registry (the examples and the test shapes).
 */
import { definePaxflow } from "../workers/define-paxflow.ts";
import { registry } from "./shared/registry.ts";

const paxflow = definePaxflow({ registry });

export default paxflow.fetchHandler;
export const { Acceptor, Commander, RateLimiter, StageWorker } = paxflow;
