/**
 * The built-ins pure code may use, and why each is deterministic. `paxflow check` inverts the
 * usual lint: a call is pure only when the checker can follow it (code in checked modules) or
 * finds it here. Everything else is `purity/unknown-call`, so a built-in nobody thought about is
 * refused rather than trusted.
 *
 * "Deterministic" here means: the same arguments give the same result on Node and on workerd
 * (both run V8), in any time zone and locale, on the engine versions paxflow supports. Entries
 * that hold only under an accepted assumption say so in their reason.
 *
 * The checker runs without TypeScript's lib files (core/check/analyze.ts), so it cannot tell an
 * array's `slice` from a string's: methods are judged by name, and a name means the same effect
 * on every built-in class that has it. Where two classes differ (`slice` copies an array and
 * returns a new string), the entry takes the effect that keeps the analysis sound.
 */

/**
 * What a built-in's result holds, for the provenance analysis:
 * - `value`: a primitive, or a fresh value that holds nothing of its arguments or receiver;
 * - `copy`: a fresh container holding the receiver's (or first argument's) elements: a shallow copy;
 * - `element`: one of the receiver's elements;
 * - `view`: a view sharing the receiver's (or first argument's) memory;
 * - `callback`: what its callback returns (`map`, `reduce`);
 * - `receiver`: the receiver (or first argument) itself;
 * - `shared`: state every caller shares (a built-in prototype).
 */
export type Effect = "value" | "copy" | "element" | "view" | "callback" | "receiver" | "shared";

export interface BuiltinMethod {
  effect: Effect;
  /** Writes its receiver (so the receiver must be fresh). */
  mutates: boolean;
  reason: string;
}

const m = (effect: Effect, reason: string, mutates = false): BuiltinMethod => ({ effect, mutates, reason });

const SPEC = "specified exactly by ECMAScript, no host input";
const FLOAT = "IEEE-754 arithmetic specified exactly by ECMAScript";
const FDLIBM =
  "not exact in the spec, but Node and workerd both run V8, whose Math library is a port of fdlibm " +
  "(bit-identical across V8 versions since 2016); a non-V8 backend would need re-checking";
const UNICODE =
  "locale-independent; case and normalisation data come from each engine's Unicode tables, and " +
  "Unicode's stability policy keeps assigned characters' mappings fixed (accepted risk: characters newer than one of the engines)";
const SORT = "stable since ES2019; deterministic for a consistent comparator (the comparator is checked as pure code)";

/** Methods called on values whose class the checker cannot see (arrays, strings, maps, typed arrays, dates, ...). */
export const BUILTIN_METHODS: ReadonlyMap<string, BuiltinMethod> = new Map<string, BuiltinMethod>([
  // Arrays, typed arrays, strings: reading
  ...["indexOf", "lastIndexOf", "includes", "join", "some", "every", "findIndex", "findLastIndex", "forEach", "has", "charAt", "charCodeAt",
    "codePointAt", "endsWith", "startsWith", "padEnd", "padStart", "repeat", "replace", "replaceAll", "search", "split", "substring", "substr",
    "trim", "trimStart", "trimEnd", "trimLeft", "trimRight", "match", "matchAll", "isWellFormed", "toWellFormed", "toFixed", "toPrecision", "toExponential",
    "valueOf", "toString", "hasOwnProperty", "propertyIsEnumerable", "test", "exec", "getTime", "toISOString", "toJSON", "toUTCString",
    "encode", "decode", "encodeInto", "getInt8", "getUint8", "getInt16", "getUint16", "getInt32", "getUint32", "getFloat32", "getFloat64",
    "getBigInt64", "getBigUint64", "getUTCFullYear", "getUTCMonth", "getUTCDate", "getUTCDay", "getUTCHours", "getUTCMinutes",
    "getUTCSeconds", "getUTCMilliseconds", "isPrototypeOf",
  ].map((name): [string, BuiltinMethod] => [name, m("value", SPEC)]),
  ...["toLowerCase", "toUpperCase", "normalize"].map((name): [string, BuiltinMethod] => [name, m("value", UNICODE)]),
  // Fresh containers holding the receiver's elements
  ...["slice", "concat", "filter", "toReversed", "toSpliced", "with", "flat", "keys", "values", "entries"].map((name): [string, BuiltinMethod] => [name, m("copy", `${SPEC}; a shallow copy: its elements are the receiver's`)]),
  ["toSorted", m("copy", `${SORT}; a shallow copy`)],
  ["subarray", m("view", `${SPEC}; a view over the receiver's buffer`)],
  // Elements
  ...["at", "find", "findLast", "get", "next", "return", "throw"].map((name): [string, BuiltinMethod] => [name, m("element", `${SPEC}; hands out an element the receiver holds`, ["next", "return", "throw"].includes(name))]),
  ...["pop", "shift"].map((name): [string, BuiltinMethod] => [name, m("element", `${SPEC}; removes and returns an element`, true)]),
  // Callbacks
  ...["map", "flatMap", "reduce", "reduceRight"].map((name): [string, BuiltinMethod] => [name, m("callback", `${SPEC}; the callback is checked as pure code`)]),
  // Writers
  ...["push", "unshift", "splice", "fill", "copyWithin", "set", "add", "delete", "clear", "setTime", "setUTCFullYear", "setUTCMonth", "setUTCDate",
    "setUTCHours", "setUTCMinutes", "setUTCSeconds", "setUTCMilliseconds", "setInt8", "setUint8", "setInt16", "setUint16", "setInt32", "setUint32",
    "setFloat32", "setFloat64", "setBigInt64", "setBigUint64",
  ].map((name): [string, BuiltinMethod] => [name, m(name === "set" || name === "add" || name === "fill" || name === "copyWithin" ? "receiver" : "value", `${SPEC}; writes its receiver`, true)]),
  ["sort", m("receiver", `${SORT}; sorts its receiver in place`, true)],
  ["reverse", m("receiver", `${SPEC}; reverses its receiver in place`, true)],
]);

/** Methods whose result depends on the host (locale, time zone, engine text). */
export const HOST_METHODS: ReadonlyMap<string, string> = new Map([
  ...["toLocaleString", "toLocaleDateString", "toLocaleTimeString", "toLocaleUpperCase", "toLocaleLowerCase", "localeCompare"].map(
    (name): [string, string] => [name, "depends on the host's locale and ICU data (use a fixed format, or compare with < and >)"],
  ),
  ...["getHours", "getMinutes", "getSeconds", "getMilliseconds", "getDate", "getDay", "getMonth", "getFullYear", "getYear", "getTimezoneOffset",
    "setHours", "setMinutes", "setSeconds", "setMilliseconds", "setDate", "setMonth", "setFullYear", "setYear", "toDateString", "toTimeString", "toGMTString",
  ].map((name): [string, string] => [name, "reads or writes local time, which depends on the host's time zone (use the getUTC*/setUTC* methods)"]),
  ["deref", "observes garbage collection (WeakRef)"],
]);

/** Properties whose value depends on the host. */
export const HOST_PROPERTIES: ReadonlyMap<string, string> = new Map([
  ["stack", "is engine-generated text that differs between Node and workerd and between builds"],
]);

export interface BuiltinGlobal {
  /** What calling (or constructing) it returns, relative to its first argument. */
  effect: Effect;
  /** Writes its first argument. */
  writesFirstArg?: boolean;
  reason: string;
}

const g = (effect: Effect, reason: string, writesFirstArg = false): BuiltinGlobal => ({ effect, reason, ...(writesFirstArg ? { writesFirstArg } : {}) });
const TYPED = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"];

/**
 * Global paths pure code may use, called, constructed or read. A namespace (`Math`) is usable as
 * a value when at least one of its members is listed; its members are judged one by one.
 */
export const BUILTIN_GLOBALS: ReadonlyMap<string, BuiltinGlobal> = new Map<string, BuiltinGlobal>([
  ["arguments", g("copy", "the function's own arguments (modules are strict: no aliasing of parameters)")],
  ...["undefined", "NaN", "Infinity"].map((name): [string, BuiltinGlobal] => [name, g("value", "a constant")]),
  ...["abs", "sign", "floor", "ceil", "round", "trunc", "fround", "max", "min", "sqrt", "cbrt", "hypot", "imul", "clz32"].map(
    (name): [string, BuiltinGlobal] => [`Math.${name}`, g("value", FLOAT)],
  ),
  ["Math.pow", g("value", "exact for integer results; otherwise V8's own pow, the same on Node and workerd")],
  ...["sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "exp", "expm1", "log", "log1p", "log2", "log10"].map(
    (name): [string, BuiltinGlobal] => [`Math.${name}`, g("value", FDLIBM)],
  ),
  ...["PI", "E", "LN2", "LN10", "LOG2E", "LOG10E", "SQRT2", "SQRT1_2"].map((name): [string, BuiltinGlobal] => [`Math.${name}`, g("value", "a constant")]),
  ...["EPSILON", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER", "MAX_VALUE", "MIN_VALUE", "POSITIVE_INFINITY", "NEGATIVE_INFINITY", "NaN"].map(
    (name): [string, BuiltinGlobal] => [`Number.${name}`, g("value", "a constant")],
  ),
  ...["isFinite", "isInteger", "isSafeInteger", "isNaN", "parseFloat", "parseInt"].map((name): [string, BuiltinGlobal] => [`Number.${name}`, g("value", SPEC)]),
  ...["isFinite", "isNaN", "parseFloat", "parseInt", "Number", "String", "Boolean", "BigInt", "encodeURIComponent", "decodeURIComponent", "encodeURI", "decodeURI", "atob", "btoa"].map(
    (name): [string, BuiltinGlobal] => [name, g("value", `${SPEC} (String of an object calls its toString, which is checked where it is project code)`)],
  ),
  ["BigInt.asIntN", g("value", SPEC)],
  ["BigInt.asUintN", g("value", SPEC)],
  ["String.fromCharCode", g("value", SPEC)],
  ["String.fromCodePoint", g("value", SPEC)],
  ["String.raw", g("value", SPEC)],
  ["JSON.stringify", g("value", `${SPEC}: key order is insertion order, numbers print shortest-round-trip`)],
  ["JSON.parse", g("value", `${SPEC}; only its error message is engine text (see purity/host for caught errors)`)],
  ["structuredClone", g("value", "a deep copy: nothing in it is shared with its argument")],
  ["Object.keys", g("value", `${SPEC}: integer keys ascending, then insertion order`)],
  ["Object.values", g("copy", `${SPEC}; its elements are the argument's`)],
  ["Object.entries", g("copy", `${SPEC}; its values are the argument's`)],
  ["Object.fromEntries", g("copy", `${SPEC}; its values are the argument's`)],
  ["Object.assign", g("receiver", `${SPEC}; writes its first argument`, true)],
  ["Object.freeze", g("receiver", `${SPEC}; makes its argument read-only`, true)],
  ["Object.isFrozen", g("value", SPEC)],
  ["Object.seal", g("receiver", `${SPEC}; seals its argument`, true)],
  ["Object.preventExtensions", g("receiver", `${SPEC}; makes its argument non-extensible`, true)],
  ["Object.isSealed", g("value", SPEC)],
  ["Object.isExtensible", g("value", SPEC)],
  ["Object.defineProperty", g("receiver", `${SPEC}; writes its first argument`, true)],
  ["Object.defineProperties", g("receiver", `${SPEC}; writes its first argument`, true)],
  ["Object.getOwnPropertyDescriptor", g("copy", `${SPEC}; the descriptor's value is the argument's`)],
  ["Object.getOwnPropertyDescriptors", g("copy", `${SPEC}; the descriptors' values are the argument's`)],
  ["Object.getOwnPropertySymbols", g("value", `${SPEC}: creation order`)],
  ["Object.getPrototypeOf", g("shared", `${SPEC}; a prototype is shared by every object of its class (writing it is purity/outer-write)`)],
  ["Object.hasOwn", g("value", SPEC)],
  ["Object.is", g("value", SPEC)],
  ["Object.getOwnPropertyNames", g("value", SPEC)],
  ["Object.create", g("value", `${SPEC}; a fresh object (its prototype's members are read through it)`)],
  ["Array.isArray", g("value", SPEC)],
  ["Array.from", g("copy", `${SPEC}; a shallow copy (a map callback is checked as pure code)`)],
  ["Array.of", g("copy", `${SPEC}; holds its arguments`)],
  ["Array", g("copy", `${SPEC}; new Array(n) is fresh, Array(a, b) holds its arguments`)],
  ["Map", g("copy", `${SPEC}; iteration is insertion order; new Map(entries) holds the entries' values`)],
  ["Set", g("copy", `${SPEC}; iteration is insertion order`)],
  ["Date", g("value", "only with one argument (a timestamp or ISO string): no argument reads the clock, several are local time")],
  ["Date.UTC", g("value", SPEC)],
  ["RegExp", g("value", `${SPEC}; a global or sticky regex keeps lastIndex, checked like any other state`)],
  ["ArrayBuffer", g("value", SPEC)],
  ["ArrayBuffer.isView", g("value", SPEC)],
  ["DataView", g("view", `${SPEC}; a view over its argument's memory`)],
  ...TYPED.map((name): [string, BuiltinGlobal] => [name, g("copy", `${SPEC}; new ${name}(buffer) is a view over the buffer, new ${name}(array) a copy`)]),
  ...TYPED.map((name): [string, BuiltinGlobal] => [`${name}.from`, g("copy", SPEC)]),
  ...TYPED.map((name): [string, BuiltinGlobal] => [`${name}.of`, g("copy", SPEC)]),
  ...TYPED.map((name): [string, BuiltinGlobal] => [`${name}.BYTES_PER_ELEMENT`, g("value", "a constant")]),
  ["TextEncoder", g("value", "UTF-8 only, specified exactly by the Encoding standard")],
  ["TextDecoder", g("value", "UTF-8 by default; other labels are in the Encoding standard's fixed tables")],
  ...["Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError"].map(
    (name): [string, BuiltinGlobal] => [name, g("value", "an error with the message you give it (its stack is host text: purity/host)")],
  ),
  ["Symbol", g("value", "a fresh symbol, unique to this activation")],
  ...["iterator", "asyncIterator", "hasInstance", "toPrimitive", "toStringTag", "species"].map((name): [string, BuiltinGlobal] => [`Symbol.${name}`, g("value", "a well-known symbol, the same in every realm")]),
]);

/** Global paths whose result depends on the host (a prefix match: `Intl` covers `Intl.NumberFormat`). */
export const HOST_GLOBALS: ReadonlyMap<string, string> = new Map([
  ["Intl", "formats by the host's locale, time zone and ICU data"],
  ["Date.parse", "parses non-ISO formats in an implementation-defined way"],
  ["Error.captureStackTrace", "records engine-generated stack text"],
  ["Error.prepareStackTrace", "changes how the engine formats stacks, for everyone"],
  ["Error.stackTraceLimit", "changes how the engine records stacks, for everyone"],
]);

/** Why a global is not on the allowlist, for ones users reach for. */
export const REFUSED_GLOBALS: ReadonlyMap<string, string> = new Map([
  ["Proxy", "its traps run arbitrary code on every access, which the checker cannot follow"],
  ["Reflect", "reaches properties and functions by values computed at run time"],
  ["Symbol.for", "reads and writes the realm-wide symbol registry"],
  ["SharedArrayBuffer", "is memory other threads may write"],
  ["Atomics", "reads and writes memory shared with other threads"],
  ["WeakMap", "is keyed by object identity, which replay and retries do not preserve"],
  ["WeakSet", "is keyed by object identity, which replay and retries do not preserve"],
  ["Promise", "schedules work on the event loop; stages are synchronous and jobs wait only through yield*"],
]);

/**
 * Globals pure code may not touch at all, with the rule they break. Paths are matched by longest
 * prefix after host-global prefixes (globalThis., self., window., global.) are stripped.
 */
export type PurityRule = "purity/io" | "purity/clock" | "purity/random" | "purity/dynamic-code" | "purity/import";

export const SENSITIVE: ReadonlyMap<string, [PurityRule, string]> = new Map<string, [PurityRule, string]>([
  ["Date.now", ["purity/clock", "reads the clock"]],
  ["performance.now", ["purity/clock", "reads the clock"]],
  ["performance.timeOrigin", ["purity/clock", "reads the clock"]],
  ["performance", ["purity/io", "accesses the host"]],
  ["Math.random", ["purity/random", "is random"]],
  ["crypto.getRandomValues", ["purity/random", "is random"]],
  ["crypto.randomUUID", ["purity/random", "is random"]],
  ["crypto", ["purity/io", "accesses the host's crypto"]],
  ["eval", ["purity/dynamic-code", "evaluates code"]],
  ["Function", ["purity/dynamic-code", "evaluates code"]],
  ["WebAssembly", ["purity/dynamic-code", "compiles code"]],
  ["require", ["purity/import", "loads a module that is not checked"]],
  ["WeakRef", ["purity/io", "observes garbage collection"]],
  ["Atomics.wait", ["purity/io", "blocks on shared memory"]],
  ["Atomics.waitAsync", ["purity/io", "waits on shared memory"]],
  ["FinalizationRegistry", ["purity/io", "observes garbage collection"]],
  ...[
    "fetch", "caches", "setTimeout", "setInterval", "setImmediate", "clearTimeout", "clearInterval", "clearImmediate",
    "queueMicrotask", "requestAnimationFrame", "requestIdleCallback", "scheduler", "process", "navigator", "WebSocket",
    "XMLHttpRequest", "EventSource", "indexedDB", "localStorage", "sessionStorage", "document", "location", "env",
    "Deno", "Bun", "postMessage", "importScripts", "addEventListener", "removeEventListener", "dispatchEvent",
    "BroadcastChannel", "Worker", "SharedWorker", "MessageChannel", "Buffer", "__dirname", "__filename", "module",
    "exports", "globalThis", "self", "window", "global", "console",
  ].map((name): [string, [PurityRule, string]] => [name, ["purity/io", name === "console" ? "does I/O" : "accesses the host"]]),
]);
/** Names of the global object itself: `globalThis.Math` is `Math`. */
export const HOST_PREFIX = new Set(["globalThis", "self", "window", "global"]);

/** Refused globals that also write their first argument (reported as a write too; allowlisted ones say so in BUILTIN_GLOBALS). */
export const WRITES_FIRST_ARG = new Set([
  "Object.setPrototypeOf",
  "Reflect.set", "Reflect.defineProperty", "Reflect.deleteProperty", "Reflect.setPrototypeOf",
  "Atomics.store", "Atomics.add", "Atomics.sub", "Atomics.and", "Atomics.or", "Atomics.xor", "Atomics.exchange", "Atomics.compareExchange",
]);
/** Array methods whose callback receives the receiver's elements (so writes through them write the receiver). */
export const ITERATION_METHODS = new Set([
  "map", "forEach", "filter", "find", "findIndex", "findLast", "findLastIndex", "some", "every", "flatMap", "reduce", "reduceRight", "sort", "toSorted",
]);

/** The allowlist entry of a global path, or the nearest namespace that makes it a usable value. */
export function builtinGlobal(path: string): BuiltinGlobal | "namespace" | undefined {
  const hit = BUILTIN_GLOBALS.get(path);
  if (hit) return hit;
  for (const key of BUILTIN_GLOBALS.keys()) if (key.startsWith(`${path}.`)) return "namespace";
  return undefined;
}

/** The host-dependence of a global path (`Intl.NumberFormat` under `Intl`), if any. */
export function hostGlobal(segments: readonly string[]): string | undefined {
  for (let n = segments.length; n > 0; n--) {
    const why = HOST_GLOBALS.get(segments.slice(0, n).join("."));
    if (why) return why;
  }
  return undefined;
}

/** Why a refused global is refused, for the message. */
export function refusedGlobal(segments: readonly string[]): string | undefined {
  for (let n = segments.length; n > 0; n--) {
    const why = REFUSED_GLOBALS.get(segments.slice(0, n).join("."));
    if (why) return why;
  }
  return undefined;
}
