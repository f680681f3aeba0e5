// expect: none
// Part of the cycle reported in cart.ts.
import { type Job, type Step, defineJob } from "../../../../core/index.ts";
import { type Cart, sendReceipt } from "./index.ts";

export const chargeCard: Job<Cart, string> = defineJob({
  name: "charge-card",
  *run(cart: Cart): Step<string> {
    return yield* sendReceipt(cart);
  },
});
