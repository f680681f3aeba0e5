/**
 * `paxflow check`: static analysis of stages and jobs. Node-only (it loads the TypeScript
 * compiler); code that runs in Workers should import ../sdk/caps.ts, not this module.
 */
export { checkFiles, checkSources, isSdkPath, resolveRelative } from "./analyze.ts";
export type { CheckHost, CheckOptions, CheckResult, CodeIdentity } from "./analyze.ts";
export { DIGEST_HEX_CHARS, codeDigest, codeTexts } from "./code-digest.ts";
export { type Cap, KNOWN_CAPS } from "../sdk/caps.ts";
export { RULES } from "./rules.ts";
export type { Diagnostic, RuleId, Severity } from "./rules.ts";
export { LOCK_FILE, changedMessage, formatLock, parseLock, updateLock, verifyLock } from "./lock.ts";
export type { LockUpdate } from "./lock.ts";
