/**
 * A runner's results on their way to the plane: one request out at a time, carrying every
 * result that finished while the last was out (POST /v1/nodes/:id/results/batch). The plane
 * answers a request once its results are chosen (a Paxos round), so a runner finishing calls
 * faster than that sends them in ever larger batches, one round each, and a slow trickle still
 * goes one by one at once. One request per result had a fast runner keep thousands of them open
 * on the plane, queued on its thread (local workerd has one for everything) ahead of every other
 * request, heartbeats included.
 */
import { MAX_RESULTS_PER_BATCH, type ResultReport } from "../core/jobs/protocol.ts";

/** Bytes of reports one request carries at most (the plane's MAX_RESULT_BYTES is 8 MiB by default); a larger single report goes alone. */
export const RESULT_BATCH_BYTES = 4 << 20;

/** What the plane said of one result: its reply, or why there is none (the whole request failed: `refused` when the plane answered 4xx). */
export type ReportAnswer =
  | { readonly sent: true; readonly accepted: boolean; readonly reason?: string }
  | { readonly sent: false; readonly refused: boolean; readonly why: string };

/** The plane answered the request with a 4xx: no retry helps. */
export class ReportsRefused extends Error {
  override readonly name = "ReportsRefused";
}

/** Sends one batch; resolves with a reply per report in order, or throws why none came (ReportsRefused, or it gave up retrying). */
export type SendBatch = (reports: readonly ResultReport[]) => Promise<readonly { readonly accepted: boolean; readonly reason?: string }[]>;

interface Waiting {
  readonly report: ResultReport;
  readonly bytes: number;
  readonly answered: (answer: ReportAnswer) => void;
}

export class ResultReports {
  private readonly waiting: Waiting[] = [];
  private sending = false;

  constructor(private readonly sendBatch: SendBatch) {}

  /** Queues a result; resolves once the plane answered for it, or its request failed for good. */
  report(report: ResultReport): Promise<ReportAnswer> {
    return new Promise((answered) => {
      this.waiting.push({ report, bytes: JSON.stringify(report).length, answered });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const batch = this.next();
      try {
        const replies = await this.sendBatch(batch.map((w) => w.report));
        for (const [i, w] of batch.entries()) {
          const reply = replies[i];
          w.answered(reply ? { sent: true, ...reply } : { sent: false, refused: false, why: `the plane's answer has ${replies.length} replies for ${batch.length} results` });
        }
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        for (const w of batch) w.answered({ sent: false, refused: error instanceof ReportsRefused, why });
      }
    }
    this.sending = false;
  }

  /** The oldest results that fit in one request (at least one). */
  private next(): Waiting[] {
    let bytes = 0;
    let n = 0;
    while (n < this.waiting.length && n < MAX_RESULTS_PER_BATCH && (n === 0 || bytes + this.waiting[n]!.bytes <= RESULT_BATCH_BYTES)) {
      bytes += this.waiting[n]!.bytes;
      n++;
    }
    return this.waiting.splice(0, n);
  }
}
