// expect: none
// Imports from ./core/index.ts and ./core are checked like any project module (diagnostics land in
// core/index.ts); only "paxflow" or this package's own core directory is the trusted SDK.
import { defineStage } from "../../../core/index.ts";
import { bump, now } from "./core/index.ts";
import { now as nowDir } from "./core";

export const a = defineStage({
  name: "a", version: 1, caps: ["cpu"], timeoutMs: 10,
  cost: { runtimeMs: () => 1, outputBytes: () => 8 },
  run: (x: number) => x + now() + bump() + nowDir(),
});
