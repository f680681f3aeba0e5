/** A runner's results on their way to the plane (runners/result-reports.ts): batched, one request out at a time. */
import { describe, expect, it } from "vitest";
import { MAX_RESULTS_PER_BATCH, type ResultReport } from "../../core/jobs/protocol.ts";
import { RESULT_BATCH_BYTES, ReportsRefused, ResultReports } from "../../runners/result-reports.ts";

const report = (seq: number, value = "AQ=="): ResultReport => ({ job: "j-1", seq, attempt: 1, outcome: { ok: true, value }, startedAt: 1, finishedAt: 2 });

/** A plane whose answers the test releases one request at a time. */
function plane() {
  const requests: { seqs: number[]; answer: (replies: { accepted: boolean; reason?: string }[] | Error) => void }[] = [];
  const reports = new ResultReports(
    (batch) =>
      new Promise((resolve, reject) => {
        requests.push({ seqs: batch.map((r) => r.seq), answer: (x) => (x instanceof Error ? reject(x) : resolve(x)) });
      }),
  );
  return { reports, requests };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("result reports", () => {
  it("sends the first result at once, and everything that finished while it was out in the next request, answered in order", async () => {
    const { reports, requests } = plane();
    const first = reports.report(report(0));
    const rest = [1, 2, 3].map((seq) => reports.report(report(seq)));
    await settle();
    expect(requests.map((r) => r.seqs)).toEqual([[0]]);
    requests[0]!.answer([{ accepted: true }]);
    expect(await first).toEqual({ sent: true, accepted: true });
    await settle();
    expect(requests.map((r) => r.seqs)).toEqual([[0], [1, 2, 3]]);
    requests[1]!.answer([{ accepted: true }, { accepted: false, reason: "the call already had a result" }, { accepted: true }]);
    expect(await Promise.all(rest)).toEqual([
      { sent: true, accepted: true },
      { sent: true, accepted: false, reason: "the call already had a result" },
      { sent: true, accepted: true },
    ]);
  });

  it(`puts at most ${MAX_RESULTS_PER_BATCH} results and RESULT_BATCH_BYTES in one request, and a larger single result alone`, async () => {
    const { reports, requests } = plane();
    void reports.report(report(0));
    const many = MAX_RESULTS_PER_BATCH + 5;
    for (let seq = 1; seq <= many; seq++) void reports.report(report(seq));
    const huge = "A".repeat(RESULT_BATCH_BYTES);
    void reports.report(report(many + 1, huge));
    await settle();
    const answerAll = async (i: number) => {
      requests[i]!.answer(requests[i]!.seqs.map(() => ({ accepted: true })));
      await settle();
    };
    await answerAll(0);
    expect(requests[1]!.seqs).toHaveLength(MAX_RESULTS_PER_BATCH);
    await answerAll(1);
    expect(requests[2]!.seqs).toEqual([MAX_RESULTS_PER_BATCH + 1, MAX_RESULTS_PER_BATCH + 2, MAX_RESULTS_PER_BATCH + 3, MAX_RESULTS_PER_BATCH + 4, MAX_RESULTS_PER_BATCH + 5]);
    await answerAll(2);
    expect(requests[3]!.seqs).toEqual([many + 1]);
  });

  it("answers every result of a failed request with why, says whether the plane refused it, and goes on with the next", async () => {
    const { reports, requests } = plane();
    const refused = reports.report(report(0));
    await settle();
    const later = reports.report(report(1));
    requests[0]!.answer(new ReportsRefused("HTTP 409 conflict: no"));
    expect(await refused).toEqual({ sent: false, refused: true, why: "HTTP 409 conflict: no" });
    await settle();
    requests[1]!.answer([]);
    expect(await later).toEqual({ sent: false, refused: false, why: "the plane's answer has 0 replies for 1 results" });
  });
});
