// expect: purity/io@8 purity/io@14 purity/io@15 purity/io@16
// Network and timers in stage code and in a job body.
import { defineJob, defineStage } from "../../core/index.ts";

export const download = defineStage({
  name: "download", version: 1, caps: ["cpu"], timeoutMs: 5_000,
  cost: { runtimeMs: () => 100, outputBytes: () => 1024 },
  run: (url: string) => fetch(url),
});

export const later = defineJob({
  name: "later",
  *run(x: number) {
    setTimeout(() => x, 10);
    queueMicrotask(() => {});
    const ws = new WebSocket("wss://example.invalid");
    return yield* download(String(x) + String(ws));
  },
});
