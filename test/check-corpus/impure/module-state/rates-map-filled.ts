// expect: purity/outer-read@17
// Exchange rates in a module-level Map that updateRate() fills at run time: converting with it
// depends on the updates so far. A literal Map of currency symbols that nothing writes is fine.
import { defineStage } from "../../../../core/index.ts";

const exchangeRates = new Map<string, number>();
const SYMBOLS = new Map([["EUR", "€"], ["USD", "$"], ["GBP", "£"]]);

export function updateRate(currency: string, perEuro: number): void {
  exchangeRates.set(currency, perEuro);
}

export const convertPrice = defineStage({
  name: "convert-price", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 48 },
  run: (p: { euroCents: number; to: string; rates: Record<string, number> }) => {
    const live = exchangeRates.get(p.to) ?? 1;
    const given = p.rates[p.to] ?? 1;
    const symbol = SYMBOLS.get(p.to) ?? p.to;
    return { live: Math.round(p.euroCents * live), given: Math.round(p.euroCents * given), symbol };
  },
});
