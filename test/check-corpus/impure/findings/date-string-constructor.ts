// expect: purity/host@12 purity/host@14 purity/host@16
// new Date(string) parses like Date.parse: non-ISO text ("March 7, 2024", "07/03/2024 10:00") is
// implementation-defined and read as local time. Annex B getYear() is local time too.
import { defineStage } from "../../../../core/index.ts";

interface Delivery { id: string; promised: string; shippedAtMs: number }

export const lateDeliveries = defineStage({
  name: "late-deliveries", version: 1, caps: ["cpu"], timeoutMs: 50,
  cost: { runtimeMs: (bytes) => bytes / 20_000, outputBytes: (bytes) => bytes },
  run: (ds: Delivery[]) => {
    const launch = new Date("March 7, 2024").getTime();
    return ds.map((d) => {
      const promised = new Date(d.promised);
      const shipped = new Date(d.shippedAtMs);
      const yy = shipped.getYear();
      const utcYear = shipped.getUTCFullYear();
      return { id: d.id, late: d.shippedAtMs > promised.getTime(), afterLaunch: d.shippedAtMs > launch, yy, utcYear };
    });
  },
});
