// expect: job/cycle@12
// Three jobs in three files, each importing the next through the index: checkout-cart ->
// charge-card -> send-receipt -> checkout-cart, every call with its own input, on every path.
import { type Job, type Step, defineJob } from "../../../../core/index.ts";
import { chargeCard } from "./index.ts";

export type Cart = { customer: string; totalCents: number };

export const checkoutCart: Job<Cart, string> = defineJob({
  name: "checkout-cart",
  *run(cart: Cart): Step<string> {
    return yield* chargeCard(cart);
  },
});
