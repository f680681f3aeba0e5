// expect: purity/clock@4 purity/outer-write@6
// A project folder that happens to be named `core` is project code, not the paxflow SDK: it is followed.
let hits = 0;
export const now = (): number => Date.now();
export const bump = (): number => {
  return ++hits;
};
