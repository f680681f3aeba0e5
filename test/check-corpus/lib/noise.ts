// expect: purity/random@8 purity/clock@11
// Impure helpers in another module, reached from cross-file-impure.ts two calls deep.
export function jitter(x: number): number {
  return x + noise();
}

function noise(): number {
  return Math.random() - 0.5;
}

export const tick = (): number => performance.now();
