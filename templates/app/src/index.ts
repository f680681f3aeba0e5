/**
 * The Worker: paxflow's API, command plane and stage Worker, running the stages and jobs in
 * ./stages.ts. wrangler.toml names the exports below.
 */
import { definePaxflow } from "paxflow/worker";
import { registry } from "./stages.ts";

const paxflow = definePaxflow({ registry });

export default paxflow.fetchHandler;
export const { Acceptor, Commander, RateLimiter, StageWorker } = paxflow;
