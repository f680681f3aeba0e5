/**
 * When a stage Worker call ran, as the log records it (and the scheduler learns from).
 *
 * workerd's clock moves only on I/O: inside the Worker, a call that computes without I/O reads
 * the same time before and after, deployed or local, so the Worker's own `finishedAt` would
 * teach the scheduler that the Worker computes in no time (and locally, where the Worker shares
 * the API's one thread, every CPU call then went there). The commander's clock moved while it
 * waited for the answer: the call finished no earlier than the answer came. It started no
 * earlier than it was sent, nor than the Worker says (after it read its input).
 */
export function workerRunSpan(run: { readonly startedAt: number; readonly finishedAt: number }, sentAt: number, answeredAt: number): { startedAt: number; finishedAt: number } {
  const startedAt = Math.max(run.startedAt, sentAt);
  return { startedAt, finishedAt: Math.max(run.finishedAt, answeredAt, startedAt) };
}
