import { describe, expect, it } from "vitest";
import { DIGEST_HEX_CHARS, checkSources } from "../../core/check/index.ts";

/** Stage and job digests of a little project; `edit` rewrites one file's text first. */
function digests(files: Record<string, string>): Record<string, string> {
  const result = checkSources(files);
  return Object.fromEntries(result.code.map((c) => [c.ref ?? c.name, c.digest]));
}

const HELPERS = `
export const SCALE = 3;
export function scale(x: number): number {
  return x * SCALE;
}
export function unrelated(x: number): number {
  return x + 1;
}
`;

const STAGES = `
import { defineStage, defineJob } from "paxflow";
import { scale } from "./helpers.ts";

// the cost of one call
const cost = { runtimeMs: (n: number) => n / 1000, outputBytes: (n: number) => n };

function twice(x: number): number {
  return scale(x) * 2;
}

export const triple = defineStage({
  name: "triple",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 1000,
  cost,
  run: (x: number) => twice(x),
});

export const plain = defineStage({
  name: "plain",
  version: 2,
  caps: ["cpu"],
  timeoutMs: 1000,
  cost,
  run: (x: number) => x,
});

export const job = defineJob({
  name: "job",
  *run(x: number) {
    return yield* triple(x);
  },
});
`;

const base = { "/p/helpers.ts": HELPERS, "/p/stages.ts": STAGES };
const before = digests(base);
const edit = (file: keyof typeof base, from: string, to: string): Record<string, string> => {
  expect(base[file]).toContain(from);
  return digests({ ...base, [file]: base[file].replace(from, to) });
};

describe("code digest", () => {
  it("names every stage and job by name@version (a job without a version is 1), in hex", () => {
    expect(Object.keys(before).sort()).toEqual(["job@1", "plain@2", "triple@1"]);
    for (const d of Object.values(before)) expect(d).toMatch(new RegExp(`^[0-9a-f]{${DIGEST_HEX_CHARS}}$`));
    expect(new Set(Object.values(before)).size).toBe(3);
  });

  it("changes when a helper the stage reaches changes, in its own module or another", () => {
    expect(edit("/p/stages.ts", "scale(x) * 2", "scale(x) * 3")).toMatchObject({ "triple@1": expect.not.stringMatching(before["triple@1"]!), "plain@2": before["plain@2"] });
    // two hops away, in another module
    expect(edit("/p/helpers.ts", "return x * SCALE", "return x * SCALE + 0")["triple@1"]).not.toBe(before["triple@1"]);
    // a constant the helper reads
    expect(edit("/p/helpers.ts", "SCALE = 3", "SCALE = 4")["triple@1"]).not.toBe(before["triple@1"]);
    // the cost model, shared by both stages
    const cost = edit("/p/stages.ts", "n / 1000", "n / 100");
    expect(cost["triple@1"]).not.toBe(before["triple@1"]);
    expect(cost["plain@2"]).not.toBe(before["plain@2"]);
  });

  it("changes with the definition's own fields", () => {
    expect(edit("/p/stages.ts", "timeoutMs: 1000,\n  cost,\n  run: (x: number) => x", "timeoutMs: 2000,\n  cost,\n  run: (x: number) => x")["plain@2"]).not.toBe(before["plain@2"]);
  });

  it("does not change with comments, formatting or an unrelated function", () => {
    const comments = digests({
      "/p/helpers.ts": HELPERS.replace("return x * SCALE;", "// scales\n    return   x*SCALE; /* by SCALE */"),
      "/p/stages.ts": STAGES.replace("function twice", "/** doubles */\nfunction twice").replace("scale(x) * 2;", "scale(x)*2; // twice"),
    });
    expect(comments).toEqual(before);
    expect(edit("/p/helpers.ts", "return x + 1", "return x + 2")).toEqual(before);
  });

  it("does not move when a helper moves to another module", () => {
    const moved = digests({
      "/p/helpers.ts": `${HELPERS}\nexport function twice(x: number): number {\n  return scale(x) * 2;\n}\n`,
      "/p/stages.ts": STAGES.replace('import { scale } from "./helpers.ts";', 'import { twice } from "./helpers.ts";').replace(/function twice[^}]*}\n/, ""),
    });
    expect(moved["triple@1"]).toBe(before["triple@1"]);
  });

  it("counts a stage a job calls by its ref (name@version), not its code", () => {
    const changed = edit("/p/stages.ts", "scale(x) * 2", "scale(x) * 3");
    expect(changed["job@1"]).toBe(before["job@1"]);
    expect(edit("/p/stages.ts", "return yield* triple(x)", "return (yield* triple(x)) + 1")["job@1"]).not.toBe(before["job@1"]);
    // Calling another version of the stage is other code: a job in flight would replay other calls.
    expect(edit("/p/stages.ts", `name: "triple",\n  version: 1,`, `name: "triple",\n  version: 2,`)["job@1"]).not.toBe(before["job@1"]);
  });

  it("covers the factory a stage is built in", () => {
    const factory = (k: number) => ({
      "/p/f.ts": `import { defineStage } from "paxflow";\nconst K = ${k};\nfunction make(name: string) {\n  const k = K;\n  return defineStage({ name, version: 1, caps: ["cpu"], timeoutMs: 1, cost: { runtimeMs: () => 1, outputBytes: () => 1 }, run: (x: number) => x * k });\n}\nexport const made = make("made");\n`,
    });
    const one = checkSources(factory(1)).code;
    expect(one).toHaveLength(1);
    expect(one[0]!.ref).toBeUndefined(); // its name is not a constant: no lock entry
    expect(checkSources(factory(2)).code[0]!.digest).not.toBe(one[0]!.digest);
  });
});
