/**
 * How a commander reaches the backends that are not itself. The Durable Object shell binds
 * these to the stage Worker (service binding RPC) and to fetch; Node tests bind them directly.
 */
import type { CallOutcome, NodeLoad } from "../../core/jobs/decisions.ts";
import type { Payload } from "../../core/jobs/payload.ts";
import type { CallRequest } from "../../core/jobs/protocol.ts";

export interface StageRun {
  readonly outcome: CallOutcome<Payload>;
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** A runner as the plane reaches it: its node id (what requests to it are signed for) and URL. */
export interface RunnerAddress {
  readonly id: string;
  readonly url: string;
}

export interface Backends {
  /** Runs a call on the stage Worker and answers with its result; `digest`: the code it was dispatched for (CallRequest.digest). */
  worker(stage: string, input: Payload, digest?: string): Promise<StageRun>;
  /** Hands a call to a runner; resolves once it accepted it (its result comes back later). */
  sendToRunner(runner: RunnerAddress, request: CallRequest): Promise<void>;
  /** Asks a runner for its current load (when it answers again after being unresponsive). */
  probeRunner(runner: RunnerAddress): Promise<NodeLoad>;
}
