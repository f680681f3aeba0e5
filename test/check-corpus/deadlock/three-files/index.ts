// expect: none
// The package's index: every checkout job re-exported from one place.
export * from "./cart.ts";
export * from "./charge.ts";
export * from "./receipt.ts";
