// expect: none
// Part of the cycle reported in cart.ts: the receipt "confirms the checkout" by running it again.
import { type Job, type Step, defineJob } from "../../../../core/index.ts";
import { type Cart, checkoutCart } from "./index.ts";

export const sendReceipt: Job<Cart, string> = defineJob({
  name: "send-receipt",
  *run(cart: Cart): Step<string> {
    const confirmation = yield* checkoutCart(cart);
    return `receipt for ${confirmation}`;
  },
});
