// expect: job/cycle@19
// An order pipeline picks its shipping job from an array by the order's priority. Express shipping
// hands the very same order back to fulfil-order, which always picks a shipping job again: fulfil-order
// -> express-shipping -> fulfil-order with the same order, a certain deadlock.
import { type Job, type Step, defineJob, defineStage } from "../../../core/index.ts";

type Order = { id: string; priority: number; items: string[] };

export const reserveStock = defineStage({
  name: "reserve-stock", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (order: Order) => order.items.length,
});

export const fulfilOrder: Job<Order, string> = defineJob({
  name: "fulfil-order",
  *run(order: Order): Step<string> {
    yield* reserveStock(order);
    return yield* SHIPPING[order.priority]!(order);
  },
});

export const standardShipping: Job<Order, string> = defineJob({
  name: "standard-shipping",
  *run(order: Order): Step<string> {
    return `ground:${order.id}`;
  },
});

export const expressShipping: Job<Order, string> = defineJob({
  name: "express-shipping",
  *run(order: Order): Step<string> {
    // "re-run fulfilment to re-check stock before the courier comes": the same order, every time
    return yield* fulfilOrder(order);
  },
});

const SHIPPING = [standardShipping, expressShipping];
