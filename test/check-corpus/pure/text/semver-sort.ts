// expect: none
// Sort semantic versions: parse with a non-global regex, compare numerically, sort a spread copy; invalid ones last.
import { defineStage } from "../../../../core/index.ts";

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

type Parsed = { raw: string; nums: [number, number, number]; pre: string } | { raw: string; nums: null; pre: "" };

function parse(raw: string): Parsed {
  const m = SEMVER.exec(raw.trim());
  return m ? { raw, nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ?? "" } : { raw, nums: null, pre: "" };
}

function compare(a: Parsed, b: Parsed): number {
  if (!a.nums || !b.nums) return a.nums ? -1 : b.nums ? 1 : 0;
  for (let i = 0; i < 3; i++) if (a.nums[i] !== b.nums[i]) return a.nums[i]! - b.nums[i]!;
  if (a.pre === b.pre) return 0;
  if (!a.pre) return 1;
  if (!b.pre) return -1;
  return a.pre < b.pre ? -1 : 1;
}

export const sortVersions = defineStage({
  name: "pure-semver-sort", version: 1, caps: ["cpu"], timeoutMs: 200,
  cost: { runtimeMs: (bytes) => bytes * 3e-6, outputBytes: (bytes) => bytes },
  run: (versions: string[]) => [...versions.map(parse)].sort(compare).map((p) => p.raw),
});
