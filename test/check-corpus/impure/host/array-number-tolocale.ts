// expect: purity/host@13 purity/host@16
// Array.prototype.toLocaleString calls each element's toLocaleString, and Date's toLocaleString
// uses the host's locale and zone. join() of numbers and toFixed are fine.
import { defineStage } from "../../../../core/index.ts";

interface Sample { at: number; celsius: number }

export const sensorDigest = defineStage({
  name: "sensor-digest", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: (bytes) => bytes / 20_000, outputBytes: () => 512 },
  run: (samples: Sample[]) => {
    const temps = samples.map((s) => s.celsius);
    const shown = temps.toLocaleString();
    const plain = temps.map((t) => t.toFixed(1)).join(", ");
    const last = samples.at(-1);
    const when = last ? new Date(last.at).toLocaleString("en-US") : "-";
    const whenIso = last ? new Date(last.at).toISOString() : "-";
    return { shown, plain, when, whenIso, max: Math.max(...temps) };
  },
});
