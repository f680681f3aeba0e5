/** `paxflow dev`'s local secrets (cli/dev-vars.ts): the .dev.vars format, --var, and which source wins. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { DevVarError, localVars, parseDevVars, readDevVars, varFlag } from "../../cli/dev-vars.ts";
import { LOCAL_API_TOKEN, LOCAL_RUNNER_KEY, LocalCluster } from "../../cli/local-cluster.ts";
import { TEST_APP } from "../shared/local-app.ts";

const TOKENS = "ci=ci-token-0123456789abcdefghij=submit+read,ops=ops-token-0123456789abcdefghij=admin";

describe(".dev.vars", () => {
  it("reads KEY=VALUE lines as wrangler's dotenv does: comments, export, quotes, = inside values", () => {
    const text = [
      "\uFEFF# local secrets",
      "",
      `API_TOKENS=${TOKENS}`,
      "export RUNNER_KEY = 'a key with spaces # and a hash'   # trailing comment",
      "PLAIN=  value  # comment",
      "HASHED=abc#def",
      'DOUBLE="line one\\nline two"',
      "SINGLE='kept \\n as written'",
      "BACKTICK=`it's \"quoted\"`",
      "EMPTY=",
      'MULTI="first',
      "second",
      'third"',
      "dotted.key-name=1",
      "REPEATED=first",
      "REPEATED=second\r",
    ].join("\n");
    expect(parseDevVars(text, ".dev.vars")).toEqual({
      API_TOKENS: TOKENS,
      RUNNER_KEY: "a key with spaces # and a hash",
      PLAIN: "value",
      HASHED: "abc",
      DOUBLE: "line one\nline two",
      SINGLE: "kept \\n as written",
      BACKTICK: `it's "quoted"`,
      EMPTY: "",
      MULTI: "first\nsecond\nthird",
      "dotted.key-name": "1",
      REPEATED: "second",
    });
  });

  it("refuses a malformed line naming the file and line, never echoing the line's value", () => {
    const refused = (text: string) => {
      try {
        parseDevVars(text, "/p/.dev.vars");
      } catch (error) {
        expect(error).toBeInstanceOf(DevVarError);
        expect((error as DevVarError).code).toBe("invalid-dev-var");
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused("A=1\nsecret-token-pasted-alone")).toBe("/p/.dev.vars:2: expected KEY=VALUE");
    expect(refused("A=1\n\nBAD KEY=secret-value")).toBe("/p/.dev.vars:3: expected KEY=VALUE");
    expect(refused("=secret-value")).toBe('/p/.dev.vars:1: "" is not a variable name (letters, digits, _ . - only)');
    expect(refused("KEY$=secret-value")).toBe('/p/.dev.vars:1: "KEY$" is not a variable name (letters, digits, _ . - only)');
    expect(refused('A=1\nOPEN="secret-value\nB=2')).toBe("/p/.dev.vars:2: the value of OPEN opens a \" quote that is never closed");
    expect(refused("A='secret-value' extra")).toBe("/p/.dev.vars:1: text after the closing ' of A's value");
    for (const text of ["A=1\nsecret-token-pasted-alone", "=secret-value", 'OPEN="secret-value']) expect(refused(text)).not.toContain("secret");
  });

  it("is read from the project directory, and is nothing when absent", () => {
    const dir = mkdtempSync(join(tmpdir(), "paxflow-dev-vars-"));
    try {
      expect(readDevVars(dir)).toEqual({});
      writeFileSync(join(dir, ".dev.vars"), "RUNNER_KEY=from-the-file\n");
      expect(readDevVars(dir)).toEqual({ RUNNER_KEY: "from-the-file" });
      writeFileSync(join(dir, ".dev.vars"), "RUNNER_KEY\n");
      expect(() => readDevVars(dir)).toThrow(`${join(dir, ".dev.vars")}:1: expected KEY=VALUE`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("--var KEY=VALUE", () => {
  it("collects repeated flags, the value taken whole, the last of a key winning", () => {
    let vars = varFlag(`API_TOKENS=${TOKENS}`, {});
    vars = varFlag("VERIFY_FRACTION=1", vars);
    vars = varFlag("VERIFY_FRACTION=0.5", vars);
    vars = varFlag("EMPTY=", vars);
    expect(vars).toEqual({ API_TOKENS: TOKENS, VERIFY_FRACTION: "0.5", EMPTY: "" });
  });

  it("refuses a flag without KEY= as commander shows argument errors", () => {
    for (const raw of ["RUNNER_KEY", "=value", "BAD KEY=value"]) {
      expect(() => varFlag(raw, {}), raw).toThrow(InvalidArgumentError);
      expect(() => varFlag(raw, {}), raw).toThrow("expected KEY=VALUE");
    }
  });
});

describe("which source wins", () => {
  const file = { API_TOKENS: TOKENS, RUNNER_KEY: "file-key", VERIFY_FRACTION: "1" };

  it("--var, then the environment, then .dev.vars, for each secret on its own", () => {
    expect(localVars({ flags: {}, env: {}, file })).toEqual({
      vars: { API_TOKENS: TOKENS, RUNNER_KEY: "file-key" },
      sources: { API_TOKENS: ".dev.vars", RUNNER_KEY: ".dev.vars" },
    });
    expect(localVars({ flags: {}, env: { RUNNER_KEY: "env-key", PATH: "/bin" }, file })).toEqual({
      vars: { API_TOKENS: TOKENS, RUNNER_KEY: "env-key" },
      sources: { API_TOKENS: ".dev.vars", RUNNER_KEY: "the environment" },
    });
    expect(localVars({ flags: { RUNNER_KEY: "flag-key", SHARDS: "3" }, env: { RUNNER_KEY: "env-key", API_TOKENS: "env-tokens" }, file })).toEqual({
      vars: { API_TOKENS: "env-tokens", RUNNER_KEY: "flag-key", SHARDS: "3" },
      sources: { API_TOKENS: "the environment", RUNNER_KEY: "--var" },
    });
  });

  it("counts an empty value as not set, and gives nothing when nothing is set", () => {
    expect(localVars({ flags: { RUNNER_KEY: "" }, env: { RUNNER_KEY: "" }, file: { RUNNER_KEY: "file-key" } }).vars).toEqual({ RUNNER_KEY: "file-key" });
    expect(localVars({ flags: {}, env: {}, file: {} })).toEqual({ vars: {}, sources: {} });
  });

  it("is what the cluster uses: its runners' key, and its own token beside the given ones", () => {
    const defaults = new LocalCluster({ app: TEST_APP, port: 1, persistTo: "/tmp/unused" });
    expect([defaults.token, defaults.runnerKey]).toEqual([LOCAL_API_TOKEN, LOCAL_RUNNER_KEY]);
    const given = new LocalCluster({ app: TEST_APP, port: 1, persistTo: "/tmp/unused", vars: localVars({ flags: {}, env: {}, file }).vars });
    expect(given.runnerKey).toBe("file-key");
    // Its own requests need a token: one made up per cluster, never the well-known local one.
    expect(given.token).not.toBe(LOCAL_API_TOKEN);
    expect(given.token.length).toBeGreaterThanOrEqual(24);
    expect(new LocalCluster({ app: TEST_APP, port: 1, persistTo: "/tmp/unused", vars: { API_TOKENS: TOKENS } }).token).not.toBe(given.token);
  });
});
