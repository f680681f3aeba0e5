/**
 * The examples app's Worker entry (wrangler.toml `main`): paxflow over the examples' registry,
 * exactly as your own Worker would use it.
 */
import { definePaxflow } from "paxflow/worker";
import { registry } from "./index.ts";

const paxflow = definePaxflow({ registry });

export default paxflow.fetchHandler;
export const { Acceptor, Commander, RateLimiter, StageWorker } = paxflow;
