// expect: purity/outer-write@5 purity/outer-write@7 purity/outer-write@8
export const config = { currency: "EUR" };
export let calls = 0;
export const seen = new Map<string, number>();
export function configure(c: string) { config.currency = c; }
export function track(k: string) {
  calls++; }
export function remember(k: string) { seen.set(k, k.length); }
