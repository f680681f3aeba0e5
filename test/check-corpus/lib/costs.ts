// expect: purity/clock@5
// A cost model shared across stages; its impurity is reported here, where it is.
export const linear = {
  runtimeMs: (n: number) => n / 1000,
  outputBytes: (n: number) => n + performance.now() * 0,
};
