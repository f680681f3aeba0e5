/** Stable rule ids of `paxflow check`, with a one-line description each. */
export const RULES = {
  "purity/io": "I/O or host access (fetch, timers, process, globalThis, console, ...) in pure code",
  "purity/clock": "reads a clock (Date.now, new Date(), Date(), performance.now) in pure code",
  "purity/random": "randomness (Math.random, crypto.getRandomValues, crypto.randomUUID) in pure code",
  "purity/outer-write": "writes to something not provably fresh: the input, module or captured state, or what a shallow copy, a view or a container shares with them (the message shows where the value came from)",
  "purity/outer-read": "reads mutable module state: a module-level let/var the module reassigns, or a module-level object that code outside module initialisation writes",
  "purity/host": "depends on the host: locale (toLocaleString, localeCompare, Intl), time zone (local-time Date getters and constructors), engine text (stack, a caught engine error's message)",
  "purity/unknown-call": "calls or uses something the checker can neither follow (code in checked modules) nor find on the allowlist of deterministic built-ins (core/check/builtins.ts)",
  "purity/this": "uses `this` in pure code",
  "purity/dynamic-code": "eval, Function, WebAssembly or computed access to a sensitive global in pure code",
  "purity/import": "pure code uses a module that is not checked (bare import off the allow-list, unresolved relative import, import(), require)",
  "job/yield": "a job yields something other than a stage call, all(...) or a sub-job call",
  "job/not-generator": "a job's run is not a generator function",
  "stage/cost": "a stage lacks a cost model with runtimeMs and outputBytes functions",
  "stage/timeout": "a stage lacks a positive numeric timeoutMs",
  "stage/sync": "a stage's run is async or a generator; it must be a plain synchronous function of its input",
  "stage/caps": "a stage's caps are not a non-empty list of known capability tags",
  "job/cycle": "jobs call each other in a cycle (possible deadlock; an error when every call passes the caller's own input unchanged on every path)",
  "lock/changed": "a stage version's code digest is not the one paxflow.lock.json records for it (bump the version), or two definitions share a name@version",
  "lock/missing": "a stage version or job is not in paxflow.lock.json yet (run `paxflow lock`)",
  "purity/unreadable": "a stage's run, cost function, kernel.bind or kernel.read, or a job's run, is not a function the checker can read (define it inline or as a named function)",
} as const;

export type RuleId = keyof typeof RULES;
export type Severity = "error" | "warning";

export interface Diagnostic {
  /** Path as given to the checker (the CLI makes it relative to the working directory). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  rule: RuleId;
  severity: Severity;
  message: string;
}
