// expect: job/cycle@13
// The input reaches the next job through const aliases (`const request = quote`): still the same
// input, so price-quote -> apply-discounts -> price-quote always waits on itself.
import { type Job, type Step, defineJob } from "../../../core/index.ts";

type Quote = { sku: string; qty: number };

export const priceQuote: Job<Quote, number> = defineJob({
  name: "price-quote",
  *run(quote: Quote): Step<number> {
    const request = quote;
    const forDiscounts = request as Quote;
    const discount = yield* applyDiscounts(forDiscounts);
    return quote.qty * 10 - discount;
  },
});

export const applyDiscounts: Job<Quote, number> = defineJob({
  name: "apply-discounts",
  *run(quote: Quote): Step<number> {
    const base = yield* priceQuote(quote);
    return base > 100 ? 5 : 0;
  },
});
