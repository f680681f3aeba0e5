// expect: none
// An order pipeline dispatching to notification jobs through a table: none of them ever runs the
// pipeline again, so there is no cycle at all, whatever the table holds.
import { type Job, type Step, defineJob } from "../../../core/index.ts";

type Order = { id: string; channel: "email" | "sms" };

export const sendEmail: Job<Order, string> = defineJob({ name: "send-email", *run(o: Order): Step<string> { return `mail ${o.id}`; } });
export const sendSms: Job<Order, string> = defineJob({ name: "send-sms", *run(o: Order): Step<string> { return `sms ${o.id}`; } });

const NOTIFIERS = { email: sendEmail, sms: sendSms };

export const confirmOrder: Job<Order, string> = defineJob({
  name: "confirm-order",
  *run(order: Order): Step<string> {
    return yield* NOTIFIERS[order.channel](order);
  },
});
