// expect: purity/host@14 purity/host@15 purity/host@16 purity/host@17
// A Date turned into text implicitly: template literals, String(), `+ ""` and Array.join call
// Date.prototype.toString, which is local time with a host-chosen zone name. ISO text is fine.
import { defineStage } from "../../../../core/index.ts";

interface Shipment { id: string; shippedAt: number; deliveredAt: number }

export const shipmentNotice = defineStage({
  name: "shipment-notice", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 512 },
  run: (s: Shipment) => {
    const shipped = new Date(s.shippedAt);
    const delivered = new Date(s.deliveredAt);
    const line = `Shipment ${s.id} left on ${shipped}`;
    const arrived = String(delivered);
    const log = "delivered=" + delivered;
    const both = [shipped, delivered].join(" -> ");
    const iso = `${s.id} ${shipped.toISOString()} ${delivered.toISOString()}`;
    const days = Math.round((s.deliveredAt - s.shippedAt) / 86_400_000);
    return { line, arrived, log, both, iso, days };
  },
});
