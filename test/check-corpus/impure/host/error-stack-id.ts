// expect: purity/host@16
// Deriving a "call site id" from new Error().stack: stack text (frames, paths, columns) is
// produced by the engine and the host. A literal error's own message and name are fine.
import { defineStage } from "../../../../core/index.ts";

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export const tagRequest = defineStage({
  name: "tag-request", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (req: { path: string; method: string }) => {
    const site = new Error("probe").stack ?? "";
    const probe = new Error(`bad method ${req.method}`);
    const label = `${probe.name}: ${probe.message}`;
    return { id: hash32(site), route: hash32(`${req.method} ${req.path}`), label };
  },
});
