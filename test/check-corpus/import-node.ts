// expect: purity/import@12 purity/import@13 purity/import@14 purity/import@15 purity/import@16
// Modules that are not checked: a node built-in, a bare package off the allow-list, dynamic import(), require.
import { readFileSync } from "node:fs";
import * as os from "node:os";
import leftPad from "left-pad";
import { defineStage } from "../../core/index.ts";

export const reader = defineStage({
  name: "reader", version: 1, caps: ["cpu"], timeoutMs: 100,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (path: string) => {
    const text = readFileSync(path, "utf8");
    const host = os.hostname();
    const padded = leftPad(text, 10);
    const later = import("./lib/pure-math.ts");
    const old = require("node:path");
    return [text, host, padded, later, old];
  },
});
