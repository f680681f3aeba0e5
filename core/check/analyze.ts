/**
 * Static checks for paxflow stages and jobs, over sources supplied by a host (the CLI reads
 * files; tests pass strings). Uses the real TypeScript parser and checker (no lib files: every
 * name the project does not declare is a host global), with our own resolution of relative
 * imports so helpers in other project files are followed.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { KNOWN_CAPS } from "../sdk/caps.ts";
import {
  BUILTIN_METHODS, HOST_METHODS, HOST_PREFIX, HOST_PROPERTIES, ITERATION_METHODS, type PurityRule, SENSITIVE, WRITES_FIRST_ARG, builtinGlobal, hostGlobal, refusedGlobal,
} from "./builtins.ts";
import { codeDigest } from "./code-digest.ts";
import { ELEMENT_TYPES, ELEMENT_TYPES_FILE } from "./element-types.ts";
import { findJobCycles, type JobEdge } from "./job-cycles.ts";
import type { Diagnostic, RuleId, Severity } from "./rules.ts";
import { type FnNode, extendsOf, isAssignmentOperator, isFn, isMemberFn, shortText, unwrap, within } from "./syntax.ts";

export interface CheckOptions {
  /** Allow console.* in pure code. */
  allowConsole?: boolean;
  /** Bare module specifiers pure code may use besides "paxflow" (e.g. a vetted pure library). */
  allowModules?: readonly string[];
}

export interface CheckHost {
  /** Contents of an absolute, "/"-separated path, or undefined if there is no such file. */
  readFile(file: string): string | undefined;
}

export interface CheckResult {
  /** Every file analysed: the roots plus the project files they import (relatively). */
  files: string[];
  diagnostics: Diagnostic[];
  /** The code identity of every stage and job defined in those files (code-digest.ts), in file order. */
  code: CodeIdentity[];
}

/** A stage's or job's code digest, and where it is defined. */
export interface CodeIdentity {
  kind: "stage" | "job";
  name: string;
  /** Its `version` when it is a constant (a job without one is version 1). */
  version?: number;
  /** How the registry and the log name it, "name@version"; absent when the name or version is not a constant. */
  ref?: string;
  digest: string;
  file: string;
  line: number;
}

const SOURCE_EXT = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;
/** This package's own core directory (the one holding sdk/stage.ts), "/"-separated. */
const CORE_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url))).split(path.sep).join("/");
const SDK_PATH = /^(?:|\/index(?:\.[cm]?[jt]sx?)?|\/sdk(?:\/.*)?)$/;

/**
 * Whether a resolved path is the paxflow SDK (never followed: it is trusted, and impure by design).
 * Only this package's own core directory counts: a project folder that happens to be named `core`
 * is project code and is checked like any other.
 */
export const isSdkPath = (p: string): boolean => {
  const q = p.replace(/\/+$/, "");
  return q.startsWith(CORE_DIR) && SDK_PATH.test(q.slice(CORE_DIR.length));
};
const isRelative = (spec: string): boolean => spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/");

function isSdkSpecifier(spec: string, fromFile: string): boolean {
  if (spec === "paxflow" || spec.startsWith("paxflow/")) return true;
  return isRelative(spec) && isSdkPath(path.posix.resolve(path.posix.dirname(fromFile), spec));
}

/** Resolves a relative import to a project file, or undefined (bare, SDK or missing). */
export function resolveRelative(spec: string, fromFile: string, exists: (p: string) => boolean): string | undefined {
  if (!isRelative(spec)) return undefined;
  const base = path.posix.resolve(path.posix.dirname(fromFile), spec);
  if (isSdkPath(base)) return undefined;
  const candidates = [base];
  if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, ".ts"), base.replace(/\.js$/, ".tsx"));
  if (/\.mjs$/.test(base)) candidates.push(base.replace(/\.mjs$/, ".mts"));
  if (/\.cjs$/.test(base)) candidates.push(base.replace(/\.cjs$/, ".cts"));
  for (const ext of [".ts", ".tsx", ".mts", ".js", ".mjs", "/index.ts", "/index.js"]) candidates.push(base + ext);
  return candidates.find((c) => SOURCE_EXT.test(c) && !/\.d\.[cm]?ts$/.test(c) && !isSdkPath(c) && exists(c));
}

function extensionOf(file: string): ts.Extension {
  const m = /\.([cm]?[jt]sx?)$/.exec(file);
  switch (m?.[1]) {
    case "tsx": return ts.Extension.Tsx;
    case "mts": return ts.Extension.Mts;
    case "cts": return ts.Extension.Cts;
    case "js": return ts.Extension.Js;
    case "jsx": return ts.Extension.Jsx;
    case "mjs": return ts.Extension.Mjs;
    case "cjs": return ts.Extension.Cjs;
    default: return ts.Extension.Ts;
  }
}

// ---------------------------------------------------------------------------------------------

interface Entity {
  kind: "stage" | "job";
  name: string;
  call: ts.CallExpression;
  spec: ts.ObjectLiteralExpression | undefined;
  file: string;
  order: number;
}

interface Ctx {
  /** Whose code this is, for messages: "stage `square`", "job `j`", "cost model of stage `x`". */
  root: string;
  /** The function whose locals are "own locals" (the root, or the helper being walked). */
  fn: FnNode;
  /** Helper names from the root to fn. */
  chain: string[];
  job: Entity | undefined;
  visited: Set<ts.Node>;
}

type Resolved =
  | { kind: "global"; name: string }
  | { kind: "sdk"; name: string }
  | { kind: "allowed-import" }
  | { kind: "unchecked-import"; module: string; name: string }
  | { kind: "decl"; decl: ts.Declaration }
  | { kind: "unknown" };

type Target = { kind: "fn"; fn: FnNode } | { kind: "entity"; entity: Entity } | undefined;

interface Origin {
  /** Where the value comes from, and the way it travelled, for messages. */
  desc: string;
  /** The value is this parameter of this function (index -1: its `this`), or (level > 0) something it holds. */
  param?: { fn: FnNode; index: number; level: number };
  /** The module-level (or captured) declaration the value belongs to. */
  decl?: ts.Declaration;
  /** Other parameters the value may equally be (judged like this one, at their own call sites). */
  alt?: Origin[];
}

export function checkFiles(roots: readonly string[], host: CheckHost, options: CheckOptions = {}): CheckResult {
  const allowModules = new Set(["paxflow", ...(options.allowModules ?? [])]);
  const cache = new Map<string, string | undefined>();
  const read = (f: string): string | undefined => {
    if (f === ELEMENT_TYPES_FILE) return ELEMENT_TYPES;
    if (!cache.has(f)) cache.set(f, host.readFile(f));
    return cache.get(f);
  };
  const compilerOptions: ts.CompilerOptions = {
    noLib: true,
    types: [],
    allowJs: true,
    checkJs: false,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    jsx: ts.JsxEmit.Preserve,
  };
  const compilerHost: ts.CompilerHost = {
    getSourceFile: (f, lang) => {
      const text = read(f);
      return text === undefined ? undefined : ts.createSourceFile(f, text, lang, true);
    },
    getDefaultLibFileName: () => "/__paxflow_no_lib__.d.ts",
    writeFile: () => {},
    getCurrentDirectory: () => "/",
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (f) => read(f) !== undefined,
    readFile: read,
    resolveModuleNameLiterals: (literals, containingFile) =>
      literals.map((lit) => {
        const file = resolveRelative(lit.text, containingFile, (p) => read(p) !== undefined);
        return { resolvedModule: file ? { resolvedFileName: file, extension: extensionOf(file), isExternalLibraryImport: false } : undefined };
      }),
  };
  const program = ts.createProgram({ rootNames: [...roots, ELEMENT_TYPES_FILE], options: compilerOptions, host: compilerHost });
  const checker = program.getTypeChecker();
  const sourceFiles = program.getSourceFiles().filter((sf) => !sf.fileName.startsWith("/__paxflow"));

  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  /** Set while a first pass finds the stages' and jobs' root functions, whose diagnostics come in the second. */
  let muted = false;
  const report = (node: ts.Node, rule: RuleId, message: string, severity: Severity = "error"): void => {
    if (muted) return;
    const sf = node.getSourceFile();
    const start = node.getStart(sf);
    const key = `${sf.fileName}:${start}:${rule}${rule === "job/cycle" ? message : ""}`;
    if (reported.has(key)) return;
    reported.add(key);
    const { line, character } = sf.getLineAndCharacterOfPosition(start);
    diagnostics.push({ file: sf.fileName, line: line + 1, column: character + 1, rule, severity, message });
  };

  // ---- symbol resolution ----------------------------------------------------------------------

  function importInfo(decl: ts.Declaration | undefined): { module: string; name: string; file: string } | undefined {
    if (!decl) return undefined;
    let clause: ts.Node | undefined;
    let name = "*";
    if (ts.isImportSpecifier(decl)) {
      clause = decl.parent.parent.parent;
      name = (decl.propertyName ?? decl.name).text;
    } else if (ts.isImportClause(decl)) {
      clause = decl.parent;
      name = "default";
    } else if (ts.isNamespaceImport(decl)) {
      clause = decl.parent.parent;
    } else if (ts.isImportEqualsDeclaration(decl) && ts.isExternalModuleReference(decl.moduleReference)) {
      const e = decl.moduleReference.expression;
      return ts.isStringLiteral(e) ? { module: e.text, name: "*", file: decl.getSourceFile().fileName } : undefined;
    }
    if (clause && ts.isImportDeclaration(clause) && ts.isStringLiteral(clause.moduleSpecifier)) {
      return { module: clause.moduleSpecifier.text, name, file: clause.getSourceFile().fileName };
    }
    return undefined;
  }

  function resolveSymbol(sym: ts.Symbol | undefined, name: string): Resolved {
    if (!sym) return { kind: "global", name };
    if (sym.flags & ts.SymbolFlags.Alias) {
      const imp = importInfo(sym.declarations?.[0]);
      if (imp && isSdkSpecifier(imp.module, imp.file)) return { kind: "sdk", name: imp.name };
      const target = checker.getAliasedSymbol(sym);
      const decls = target.declarations ?? [];
      if (decls.length === 0 || target.flags & ts.SymbolFlags.Alias) {
        if (!imp) return { kind: "unknown" };
        if (allowModules.has(imp.module) || [...allowModules].some((m) => imp.module.startsWith(`${m}/`))) return { kind: "allowed-import" };
        return { kind: "unchecked-import", module: imp.module, name: imp.name === "*" || imp.name === "default" ? name : imp.name };
      }
      sym = target;
    }
    const decls = sym.declarations ?? [];
    if (decls.length === 0) return { kind: "global", name };
    const ambient = decls.every((d) => d.getSourceFile().isDeclarationFile || (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Ambient) !== 0);
    if (ambient) return { kind: "global", name };
    return { kind: "decl", decl: sym.valueDeclaration ?? decls[0]! };
  }

  function resolveIdentifier(id: ts.Identifier): Resolved {
    const sym = ts.isShorthandPropertyAssignment(id.parent) && id.parent.name === id
      ? checker.getShorthandAssignmentValueSymbol(id.parent)
      : checker.getSymbolAtLocation(id);
    return resolveSymbol(sym, id.text);
  }

  /** The SDK export an expression names (`defineStage`, `px.all`), if any. */
  function sdkName(expr: ts.Expression): string | undefined {
    const e = unwrap(expr);
    if (ts.isIdentifier(e)) {
      const r = resolveIdentifier(e);
      return r.kind === "sdk" ? r.name : undefined;
    }
    if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression)) {
      const r = resolveIdentifier(e.expression);
      return r.kind === "sdk" && r.name === "*" ? e.name.text : undefined;
    }
    return undefined;
  }

  // ---- stages and jobs ------------------------------------------------------------------------

  const entities = new Map<ts.CallExpression, Entity>();
  let order = 0;
  for (const sf of [...sourceFiles].sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0))) {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const which = sdkName(node.expression);
        if (which === "defineStage" || which === "defineJob") {
          const arg = node.arguments[0] ? unwrap(node.arguments[0]) : undefined;
          const spec = arg ? objectLiteralOf(arg) : undefined;
          const nameProp = spec ? prop(spec, "name") : undefined;
          let name = nameProp && ts.isPropertyAssignment(nameProp) ? constString(nameProp.initializer) : undefined;
          if (name === undefined) {
            let p: ts.Node = node.parent;
            while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p)) p = p.parent;
            const inFn = enclosingFn(node);
            name = ts.isVariableDeclaration(p) && ts.isIdentifier(p.name) ? p.name.text : inFn ? `built by ${fnName(inFn)}` : "<anonymous>";
          }
          entities.set(node, { kind: which === "defineStage" ? "stage" : "job", name, call: node, spec, file: sf.fileName, order: order++ });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  function prop(obj: ts.ObjectLiteralExpression, name: string): ts.ObjectLiteralElementLike | undefined {
    return obj.properties.find((p) => p.name !== undefined && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name);
  }

  /** The declaration a name-like expression refers to, following imports (undefined otherwise). */
  function declOf(e: ts.Expression): ts.Declaration | undefined {
    e = unwrap(e);
    let r: Resolved | undefined;
    if (ts.isIdentifier(e)) r = resolveIdentifier(e);
    else if (ts.isPropertyAccessExpression(e)) {
      r = resolveSymbol(checker.getSymbolAtLocation(e.name), e.name.text);
      if (r.kind !== "decl" && unwrap(e.expression).kind === ts.SyntaxKind.ThisKeyword) return memberOfThis(e);
    }
    return r?.kind === "decl" ? r.decl : undefined;
  }

  /** `this.m` inside a class or object literal's member: the member named m (TypeScript types an object literal's `this` only in some modes). */
  function memberOfThis(e: ts.PropertyAccessExpression): ts.Declaration | undefined {
    let p: ts.Node | undefined = e.parent;
    while (p && !(isFn(p) && !ts.isArrowFunction(p)) && !ts.isSourceFile(p)) p = p.parent;
    const owner = p && isMemberFn(p) ? p.parent : undefined;
    if (!owner || !(ts.isClassLike(owner) || ts.isObjectLiteralExpression(owner))) return undefined;
    const members = ts.isClassLike(owner) ? owner.members : owner.properties;
    return (members as ts.NodeArray<ts.Declaration & { name?: ts.PropertyName }>).find((m) => m.name !== undefined && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) && m.name.text === e.name.text);
  }

  /** Follows `const x = <init>` chains to the defining expression. */
  function definingExpr(e: ts.Expression, depth = 0): ts.Expression {
    e = unwrap(e);
    if (depth > 8 || !(ts.isIdentifier(e) || ts.isPropertyAccessExpression(e))) return e;
    const d = declOf(e);
    if (d && ts.isVariableDeclaration(d) && d.initializer && ts.isIdentifier(d.name)) return definingExpr(d.initializer, depth + 1);
    if (d && ts.isPropertyAssignment(d)) return definingExpr(d.initializer, depth + 1);
    if (d && ts.isExportAssignment(d)) return definingExpr(d.expression, depth + 1);
    return e;
  }

  function objectLiteralOf(e: ts.Expression): ts.ObjectLiteralExpression | undefined {
    const d = definingExpr(e);
    return ts.isObjectLiteralExpression(d) ? d : undefined;
  }

  function constString(e: ts.Expression): string | undefined {
    const d = definingExpr(e);
    return ts.isStringLiteral(d) || ts.isNoSubstitutionTemplateLiteral(d) ? d.text : undefined;
  }

  /** A numeric constant, NaN for a non-numeric literal, undefined when it cannot be told statically. */
  function constNumber(e: ts.Expression, depth = 0): number | undefined {
    const d = depth > 8 ? e : definingExpr(e);
    if (ts.isNumericLiteral(d)) return Number(d.text);
    if (ts.isStringLiteral(d) || ts.isNoSubstitutionTemplateLiteral(d) || ts.isArrayLiteralExpression(d) || ts.isObjectLiteralExpression(d) || isFn(d)) return Number.NaN;
    if (d.kind === ts.SyntaxKind.TrueKeyword || d.kind === ts.SyntaxKind.FalseKeyword || d.kind === ts.SyntaxKind.NullKeyword) return Number.NaN;
    if (ts.isIdentifier(d) && (d.text === "Infinity" || d.text === "NaN" || d.text === "undefined") && resolveIdentifier(d).kind === "global") return d.text === "Infinity" ? Infinity : Number.NaN;
    if (ts.isPrefixUnaryExpression(d)) {
      const v = constNumber(d.operand, depth + 1);
      if (v === undefined) return undefined;
      return d.operator === ts.SyntaxKind.MinusToken ? -v : d.operator === ts.SyntaxKind.PlusToken ? v : undefined;
    }
    if (ts.isBinaryExpression(d)) {
      const a = constNumber(d.left, depth + 1);
      const b = constNumber(d.right, depth + 1);
      if (a === undefined || b === undefined) return undefined;
      switch (d.operatorToken.kind) {
        case ts.SyntaxKind.PlusToken: return a + b;
        case ts.SyntaxKind.MinusToken: return a - b;
        case ts.SyntaxKind.AsteriskToken: return a * b;
        case ts.SyntaxKind.SlashToken: return a / b;
        case ts.SyntaxKind.AsteriskAsteriskToken: return a ** b;
        default: return undefined;
      }
    }
    return undefined;
  }

  /** What a reference denotes: a project function to follow, or a stage/job. */
  function targetOfExpr(e: ts.Expression, depth = 0): Target {
    e = unwrap(e);
    if (isFn(e)) return { kind: "fn", fn: e };
    if (ts.isCallExpression(e)) {
      const ent = entities.get(e);
      if (ent) return { kind: "entity", entity: ent };
      // A factory's result (`const next = makeCounter()`): the function (or stage) it returns.
      const f = depth > 8 ? undefined : targetOfExpr(e.expression, depth + 1);
      return f?.kind === "fn" ? returnedTarget(f.fn, depth + 1) : undefined;
    }
    if (depth > 8 || !(ts.isIdentifier(e) || ts.isPropertyAccessExpression(e))) return undefined;
    const d = declOf(e);
    return d ? targetOfDecl(d, depth + 1) : undefined;
  }

  function returnedTarget(fn: FnNode, depth: number): Target {
    if (!fn.body || depth > 8) return undefined;
    if (!ts.isBlock(fn.body)) return targetOfExpr(fn.body, depth);
    let found: Target;
    const collect = (n: ts.Node): void => {
      if (found) return;
      if (ts.isReturnStatement(n) && n.expression) found = targetOfExpr(n.expression, depth);
      else if (!isFn(n) && !ts.isClassLike(n)) ts.forEachChild(n, collect);
    };
    ts.forEachChild(fn.body, collect);
    return found;
  }

  function targetOfDecl(d: ts.Declaration, depth = 0): Target {
    if (isFn(d)) return d.body ? { kind: "fn", fn: d } : undefined;
    if (ts.isVariableDeclaration(d) && ts.isIdentifier(d.name) && d.initializer) {
      // A let/var may be reassigned: it denotes one function only when every value it takes does.
      const values = isConst(d) ? [d.initializer] : valuesOf(d.name);
      return values?.length === 1 ? targetOfExpr(values[0]!, depth) : undefined;
    }
    if (ts.isPropertyAssignment(d)) return targetOfExpr(d.initializer, depth);
    if (ts.isShorthandPropertyAssignment(d)) {
      const vs = checker.getShorthandAssignmentValueSymbol(d);
      const r = resolveSymbol(vs, d.name.text);
      return r.kind === "decl" && r.decl !== d && depth < 8 ? targetOfDecl(r.decl, depth + 1) : undefined;
    }
    if (ts.isExportAssignment(d)) return targetOfExpr(d.expression, depth);
    return undefined;
  }

  function fnName(fn: FnNode): string {
    if ((ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn)) && fn.name) return fn.name.text;
    if (ts.isConstructorDeclaration(fn)) return `${ts.isClassLike(fn.parent) && fn.parent.name ? fn.parent.name.text : "class"} constructor`;
    if ((ts.isMethodDeclaration(fn) || ts.isGetAccessor(fn) || ts.isSetAccessor(fn)) && ts.isClassLike(fn.parent) && fn.parent.name && ts.isIdentifier(fn.name)) {
      return `${fn.parent.name.text}.${fn.name.text}`;
    }
    if ((ts.isMethodDeclaration(fn) || ts.isGetAccessor(fn) || ts.isSetAccessor(fn)) && (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name))) {
      const owner = fn.parent.parent;
      return ts.isVariableDeclaration(owner) && ts.isIdentifier(owner.name) ? `${owner.name.text}.${fn.name.text}` : fn.name.text;
    }
    let p: ts.Node = fn.parent;
    while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p)) p = p.parent;
    if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) {
      const owner = p.parent.parent;
      return ts.isVariableDeclaration(owner) && ts.isIdentifier(owner.name) ? `${owner.name.text}.${p.name.text}` : p.name.text;
    }
    return "<anonymous>";
  }

  // ---- static member paths (for globals and their aliases) ------------------------------------

  interface StaticPath {
    segments: string[];
    /** A computed key we could not evaluate ended the path. */
    dynamic: boolean;
  }

  function keyOf(e: ts.ElementAccessExpression): string | undefined {
    return constString(e.argumentExpression);
  }

  /** The global path an expression denotes (`Math.random`, through `const m = Math` aliases), if any. */
  function staticPath(e: ts.Expression, depth = 0): StaticPath | undefined {
    e = unwrap(e);
    if (depth > 8) return undefined;
    if (ts.isIdentifier(e)) {
      const r = resolveIdentifier(e);
      if (r.kind === "global") return { segments: [r.name], dynamic: false };
      if (r.kind !== "decl") return undefined;
      const d = r.decl;
      if (ts.isVariableDeclaration(d) && ts.isIdentifier(d.name) && d.initializer && isConst(d)) return staticPath(d.initializer, depth + 1);
      if (ts.isBindingElement(d) && ts.isObjectBindingPattern(d.parent) && ts.isVariableDeclaration(d.parent.parent) && d.parent.parent.initializer && isConst(d.parent.parent)) {
        const base = staticPath(d.parent.parent.initializer, depth + 1);
        const key = d.propertyName ? (ts.isIdentifier(d.propertyName) || ts.isStringLiteral(d.propertyName) ? d.propertyName.text : undefined) : ts.isIdentifier(d.name) ? d.name.text : undefined;
        if (!base || base.dynamic) return base;
        return key === undefined ? { segments: base.segments, dynamic: true } : { segments: [...base.segments, key], dynamic: false };
      }
      return undefined;
    }
    if (ts.isCallExpression(e) && e.arguments.length >= 2) {
      // Reflect.get(Date, "now") is Date.now
      const callee = staticPath(e.expression, depth + 1);
      if (!callee || callee.dynamic || stripHost(callee.segments).join(".") !== "Reflect.get") return undefined;
      const base = staticPath(e.arguments[0]!, depth + 1);
      if (!base || base.dynamic) return base;
      const key = constString(e.arguments[1]!);
      return key === undefined ? { segments: base.segments, dynamic: true } : { segments: [...base.segments, key], dynamic: false };
    }
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      const base = staticPath(e.expression, depth);
      if (!base || base.dynamic) return base;
      const key = ts.isPropertyAccessExpression(e) ? e.name.text : keyOf(e);
      return key === undefined ? { segments: base.segments, dynamic: true } : { segments: [...base.segments, key], dynamic: false };
    }
    return undefined;
  }

  function isConst(d: ts.VariableDeclaration): boolean {
    return ts.isVariableDeclarationList(d.parent) && (d.parent.flags & ts.NodeFlags.Const) !== 0;
  }

  // ---- locality and aliasing ------------------------------------------------------------------

  type Binding =
    | { kind: "local"; decl: ts.Declaration }
    | { kind: "param"; name: string; index: number; destructured: boolean; decl: ts.Declaration }
    | { kind: "outer"; desc: string; decl?: ts.Declaration }
    | { kind: "none" };

  /** A function only ever called from inside functions (never by module-level code, never passed around). */
  function perCallFactory(f: FnNode): boolean {
    const sites = sitesOf(f);
    return !sites.escaped && sites.calls.length > 0 && sites.calls.every((c) => enclosingFn(c) !== undefined);
  }

  function classify(id: ts.Identifier, fn: FnNode): Binding {
    const r = resolveIdentifier(id);
    if (r.kind === "global") return { kind: "outer", desc: `global \`${id.text}\`` };
    if (r.kind === "unchecked-import" || r.kind === "allowed-import" || r.kind === "sdk") return { kind: "outer", desc: `imported \`${id.text}\`` };
    if (r.kind !== "decl") return { kind: "none" };
    const d = r.decl;
    // A named function referred to from inside itself (`nextSeq.n = ...`) is one object every call shares.
    if (isFn(d) && within(fn, d)) return { kind: "outer", desc: `the function \`${id.text}\` itself (one object, shared by every call)`, decl: d };
    if (!within(d, fn)) {
      let p: ts.Node | undefined = d.parent;
      while (p && !isFn(p) && !ts.isSourceFile(p)) p = p.parent;
      // A closure's captured variable is as fresh as the factory's activation: one made by a call
      // inside a function (`const c = makeCounter()` in run) is that caller's own.
      if (p && isFn(p) && perCallFactory(p)) return { kind: "local", decl: d };
      return { kind: "outer", desc: p && !ts.isSourceFile(p) ? `captured variable \`${id.text}\`` : `module-level \`${id.text}\``, decl: d };
    }
    let p: ts.Node = d;
    while (ts.isBindingElement(p) || ts.isObjectBindingPattern(p) || ts.isArrayBindingPattern(p)) p = p.parent;
    if (ts.isParameter(p) && p.parent === fn) return { kind: "param", name: id.text, index: fn.parameters.indexOf(p), destructured: p !== d, decl: d };
    return { kind: "local", decl: d };
  }

  /**
   * Provenance: where a value may come from, level by level. Level 0 is the value itself (what a
   * write to one of its fields writes), level 1 its elements or fields, level 2 theirs; the last
   * level stands for itself and everything deeper. Undefined means fresh: allocated in this
   * activation. A shallow copy (`[...xs]`) is fresh at level 0 and shares xs's deeper levels; a
   * view (`subarray`) is its receiver; an element read (`xs[0]`) is the container one level down.
   */
  const LEVELS = 4;
  type Prov = readonly (Origin | undefined)[];
  const FRESH: Prov = new Array<Origin | undefined>(LEVELS).fill(undefined);
  const same = (o: Origin | undefined): Prov => new Array<Origin | undefined>(LEVELS).fill(o);
  /** Either origin; a definite one (module state, the input) over a parameter's, which is judged later and may turn out fresh. */
  const either = (x: Origin | undefined, y: Origin | undefined): Origin | undefined => {
    if (x === undefined || (x.param && y && !y.param)) return y;
    if (!y || !x.param || !y.param) return x;
    const known = [x, ...(x.alt ?? [])];
    const fresh = [y, ...(y.alt ?? [])].filter((o) => !known.some((k) => k.param!.fn === o.param!.fn && k.param!.index === o.param!.index && k.param!.level === o.param!.level));
    if (fresh.length === 0) return x;
    // Past eight parameters the value is not followed further: not fresh, to be safe.
    if (known.length + fresh.length > 8) return { desc: "one of more parameters than the checker follows" };
    return { ...x, alt: [...(x.alt ?? []), ...fresh.map(({ alt: _, ...o }) => o)] };
  };
  /** An origin and its alternatives, one by one. */
  const alternatives = (o: Origin): Origin[] => [{ ...o, alt: undefined }, ...(o.alt ?? [])];
  const join = (a: Prov, b: Prov): Prov => a.map((x, i) => either(x, b[i]));
  const elementsOf = (p: Prov): Prov => [...p.slice(1), p[LEVELS - 1]];
  /** A fresh container whose elements have provenance `inner`. */
  const holding = (inner: Prov): Prov => [undefined, ...inner.slice(0, LEVELS - 2), either(inner[LEVELS - 2], inner[LEVELS - 1])];
  const shallowCopy = (p: Prov): Prov => [undefined, ...p.slice(1)];
  const via = (o: Origin | undefined, how: string): Origin | undefined => (o && !o.desc.includes(how) ? { ...o, desc: `${o.desc} ${how}` } : o);
  const viaAll = (p: Prov, how: string): Prov => p.map((o) => via(o, how));
  const lineOf = (n: ts.Node): number => n.getSourceFile().getLineAndCharacterOfPosition(n.getStart()).line + 1;

  /** Job bodies get private copies of their input and of every result (replay hands out fresh ones). */
  const jobRoots = new Set<FnNode>();

  /** Per function judged from (a parameter of f is f's own, but a callback's element inside g), per declaration. */
  const provCache = new Map<FnNode, Map<ts.Node, Prov | "pending">>();
  const returnsInProgress = new Set<FnNode>();

  function returnExprs(fn: FnNode): ts.Expression[] {
    if (!fn.body) return [];
    if (!ts.isBlock(fn.body)) return [fn.body];
    const out: ts.Expression[] = [];
    const collect = (n: ts.Node): void => {
      if (ts.isReturnStatement(n)) {
        if (n.expression) out.push(n.expression);
      } else if (!isFn(n) && !ts.isClassLike(n)) ts.forEachChild(n, collect);
    };
    ts.forEachChild(fn.body, collect);
    return out;
  }

  /** A generator's `yield`s with a value (not those of nested functions). */
  function yieldExprs(fn: FnNode): ts.YieldExpression[] {
    const out: ts.YieldExpression[] = [];
    const collect = (n: ts.Node): void => {
      if (ts.isYieldExpression(n) && n.expression) out.push(n);
      if (!isFn(n) && !ts.isClassLike(n)) ts.forEachChild(n, collect);
    };
    if (fn.body) ts.forEachChild(fn.body, collect);
    return out;
  }

  /** The function whose `this` a `this` keyword denotes (arrows see through). */
  function thisOwner(node: ts.Node): FnNode | ts.PropertyDeclaration | ts.ClassStaticBlockDeclaration | undefined {
    let p: ts.Node | undefined = node.parent;
    while (p && !(isFn(p) && !ts.isArrowFunction(p)) && !ts.isPropertyDeclaration(p) && !ts.isClassStaticBlockDeclaration(p) && !ts.isSourceFile(p)) p = p.parent;
    return p && !ts.isSourceFile(p) ? (p as FnNode) : undefined;
  }

  const paramOrigin = (fn: FnNode, index: number, level: number, name: string): Origin => ({
    desc: `${index === -1 ? `the \`this\` of \`${fnName(fn)}\`` : `parameter \`${name}\``}${level > 0 ? " (what it holds)" : ""}`,
    param: { fn, index, level },
  });
  const paramProv = (fn: FnNode, index: number, name: string): Prov =>
    jobRoots.has(fn) ? FRESH : FRESH.map((_, level) => paramOrigin(fn, index, level, name));

  const PRIMITIVE = ts.TypeFlags.NumberLike | ts.TypeFlags.StringLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.BigIntLike |
    ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void | ts.TypeFlags.ESSymbolLike | ts.TypeFlags.EnumLike;
  function isPrimitive(t: ts.Type): boolean {
    if (t.isUnion()) return t.types.every(isPrimitive);
    return (t.flags & PRIMITIVE) !== 0;
  }

  /** Where a value may come from (see Prov), judged from inside `fn`. */
  function prov(expr: ts.Expression, fn: FnNode): Prov {
    const e = unwrap(expr);
    // A number, string or boolean holds nothing anyone could write (its declared type says so;
    // `any` and unresolved built-in types do not count).
    if (isPrimitive(checker.getTypeAtLocation(e))) return FRESH;
    if (ts.isIdentifier(e)) {
      const b = classify(e, fn);
      if (b.kind === "param") return b.destructured ? provOfDecl(b.decl, fn) : join(paramProv(fn, b.index, b.name), storedInto(b.decl, fn));
      if (b.kind === "outer") return same({ desc: b.desc, ...(b.decl ? { decl: b.decl } : {}) });
      if (b.kind === "local") return viaAll(provOfDecl(b.decl, fn), `(through \`${e.text}\`, line ${lineOf(b.decl)})`);
      return FRESH;
    }
    if (e.kind === ts.SyntaxKind.ThisKeyword) {
      const owner = thisOwner(e);
      if (!owner || ts.isConstructorDeclaration(owner) || ts.isPropertyDeclaration(owner)) return FRESH; // a new instance
      if (ts.isClassStaticBlockDeclaration(owner)) return same({ desc: "a class's static state" });
      return isMemberFn(owner) ? paramProv(owner, -1, "this") : same({ desc: "`this`" });
    }
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      const base = prov(e.expression, fn);
      // `x.buffer` is the memory x itself views.
      if (ts.isPropertyAccessExpression(e) && e.name.text === "buffer") return base;
      const assigned = ts.isPropertyAccessExpression(e) && !base[0] ? assignedBefore(e, fn) : undefined;
      return assigned ? prov(assigned, fn) : elementsOf(base);
    }
    if (ts.isConditionalExpression(e)) return join(prov(e.whenTrue, fn), prov(e.whenFalse, fn));
    if (ts.isBinaryExpression(e)) {
      const k = e.operatorToken.kind;
      if (k === ts.SyntaxKind.QuestionQuestionToken || k === ts.SyntaxKind.BarBarToken || k === ts.SyntaxKind.AmpersandAmpersandToken) return join(prov(e.left, fn), prov(e.right, fn));
      if (k === ts.SyntaxKind.EqualsToken && ts.isIdentifier(unwrap(e.left))) return prov(e.left, fn); // `m.set(k, l = [])`: m holds l, and what l gets later
      if (k === ts.SyntaxKind.CommaToken || isAssignmentOperator(k)) return prov(e.right, fn);
      return FRESH;
    }
    if (ts.isArrayLiteralExpression(e)) {
      let inner = FRESH;
      for (const el of e.elements) {
        if (ts.isOmittedExpression(el)) continue;
        inner = join(inner, ts.isSpreadElement(el) ? viaAll(elementsOf(prov(el.expression, fn)), `(spread at line ${lineOf(el)}, a shallow copy)`) : prov(el, fn));
      }
      return holding(inner);
    }
    if (ts.isObjectLiteralExpression(e)) {
      let inner = FRESH;
      for (const p of e.properties) {
        if (ts.isPropertyAssignment(p)) inner = join(inner, prov(p.initializer, fn));
        else if (ts.isShorthandPropertyAssignment(p)) inner = join(inner, prov(p.name, fn));
        else if (ts.isSpreadAssignment(p) && spreadShares(p, e)) inner = join(inner, viaAll(elementsOf(prov(p.expression, fn)), `(spread at line ${lineOf(p)}, a shallow copy)`));
      }
      return holding(inner);
    }
    if (ts.isYieldExpression(e)) return FRESH; // a job's result is its own copy
    if (ts.isNewExpression(e)) return provOfNew(e, fn);
    if (ts.isCallExpression(e)) return provOfCall(e, fn);
    return FRESH;
  }

  /**
   * Whether `{ ...x, ... }` shares anything with x: some field of x's declared type that is not a
   * primitive and is not overwritten by a later property of the literal (`{ ...u, tags: [...u.tags] }`
   * shares nothing when u's other fields are primitives). Unknown types share.
   */
  function spreadShares(spread: ts.SpreadAssignment, literal: ts.ObjectLiteralExpression): boolean {
    const t = checker.getTypeAtLocation(spread.expression);
    if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) || checker.getIndexInfosOfType(t).length > 0) return true;
    const fields = t.getProperties();
    if (fields.length === 0) return !isPrimitive(t);
    const later = new Set<string>();
    for (const q of literal.properties.slice(literal.properties.indexOf(spread) + 1)) {
      if ((ts.isPropertyAssignment(q) || ts.isShorthandPropertyAssignment(q) || ts.isMethodDeclaration(q)) && (ts.isIdentifier(q.name) || ts.isStringLiteral(q.name))) later.add(q.name.text);
      else if (ts.isSpreadAssignment(q)) break; // a later spread may or may not overwrite: keep the fields
    }
    return fields.some((f) => !later.has(f.name) && !isPrimitive(checker.getTypeOfSymbolAtLocation(f, spread.expression)));
  }

  /**
   * `o.f` where `o` is a fresh local and an earlier statement of the same block assigned
   * `o.f = v` unconditionally: the read sees v (`const o = { ...input }; o.items = copy(o.items);
   * for (const it of o.items) it.n = 0` writes the copy, not the input).
   */
  function assignedBefore(e: ts.PropertyAccessExpression, fn: FnNode): ts.Expression | undefined {
    const base = unwrap(e.expression);
    if (!ts.isIdentifier(base)) return undefined;
    const b = classify(base, fn);
    if (b.kind !== "local") return undefined;
    let found: ts.Expression | undefined;
    for (let n: ts.Node = e; n.parent && n !== fn; n = n.parent) {
      const block = n.parent;
      if (!ts.isBlock(block) || !ts.isStatement(n)) continue;
      for (const st of block.statements) {
        if (st === n) break;
        if (!ts.isExpressionStatement(st)) continue;
        const x = unwrap(st.expression);
        if (!ts.isBinaryExpression(x) || x.operatorToken.kind !== ts.SyntaxKind.EqualsToken) continue;
        const l = unwrap(x.left);
        if (ts.isPropertyAccessExpression(l) && l.name.text === e.name.text && ts.isIdentifier(unwrap(l.expression)) && declOf(unwrap(l.expression)) === b.decl) found = x.right;
      }
      if (found) return found;
    }
    return undefined;
  }

  /** Whether `new TypedArray(x)` views x's memory (an ArrayBuffer) rather than copying x. */
  function viewsMemory(e: ts.NewExpression): boolean {
    const args = e.arguments ?? [];
    if (args.length > 1) return true;
    const a = args[0] ? definingExpr(args[0]) : undefined;
    if (!a) return false;
    if (ts.isPropertyAccessExpression(a) && a.name.text === "buffer") return true;
    if (ts.isNewExpression(a)) {
      const sp = staticPath(a.expression);
      return sp !== undefined && /^(?:Shared)?ArrayBuffer$/.test(stripHost(sp.segments).join("."));
    }
    if (ts.isIdentifier(a)) {
      const d = declOf(a);
      const type = d && (ts.isParameter(d) || ts.isVariableDeclaration(d)) ? d.type : undefined;
      return type !== undefined && /\b(?:Shared)?ArrayBuffer(?:Like)?\b/.test(type.getText());
    }
    return false;
  }

  const argProv = (a: ts.Expression | undefined, fn: FnNode): Prov => (a === undefined ? FRESH : ts.isSpreadElement(a) ? elementsOf(prov(a.expression, fn)) : prov(a, fn));

  function provOfNew(e: ts.NewExpression, fn: FnNode): Prov {
    const args = e.arguments ?? [];
    const first = argProv(args[0], fn);
    const sp = staticPath(e.expression);
    if (sp && !sp.dynamic) {
      const name = stripHost(sp.segments).join(".");
      const entry = builtinGlobal(name);
      if (entry === undefined || entry === "namespace") return FRESH;
      if (entry.effect === "view" || (entry.effect === "copy" && /.Array$/.test(name) && viewsMemory(e))) return [via(first[0], "(viewed, not copied)"), ...first.slice(1)];
      if (name === "Map") return entriesHeld(first);
      if (entry.effect === "copy") {
        const rest = args.slice(1).reduce((acc, a) => join(acc, argProv(a, fn)), FRESH);
        return viaAll(join(name === "Array" ? holding(join(first, rest)) : shallowCopy(first), holding(rest)), `(held by \`${shortText(e)}\`)`);
      }
      return FRESH;
    }
    // A project class: the instance is fresh, but its constructor may keep what it is given, its
    // parameters' defaults and its fields' initializers (`items = SHARED`).
    const chain = classChain(e.expression);
    const ctor = chain[0]?.members.find(ts.isConstructorDeclaration);
    let kept = ctor && chain.length === 1 ? keptByConstructor(ctor, e, fn) : args.reduce((acc, a) => join(acc, argProv(a, fn)), FRESH);
    for (const cls of chain) {
      for (const m of cls.members) {
        if (ts.isPropertyDeclaration(m) && m.initializer && !(ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static)) kept = join(kept, prov(m.initializer, fn));
        if (ts.isConstructorDeclaration(m)) for (const prm of m.parameters) if (prm.initializer) kept = join(kept, prov(prm.initializer, fn));
      }
    }
    return viaAll(holding(kept), `(kept by \`${shortText(e)}\`)`);
  }

  /**
   * What a map or object made from [key, value] pairs holds (`new Map(pairs)`,
   * `Object.fromEntries(pairs)`): the pairs' elements, and (conservatively) the pairs themselves.
   */
  const entriesHeld = (pairs: Prov): Prov => holding(join(elementsOf(elementsOf(pairs)), elementsOf(pairs)));

  /**
   * What a constructor keeps of its arguments: parameter properties, and what its body stores on
   * `this` (`this.f = v`, `this.adj.set(k, v)`, `this.items.push(v)`), with its parameters
   * replaced by the arguments. A constructor that hands its arguments to other code (a method,
   * a helper, super()) keeps all of them, to be safe.
   */
  const constructing = new Set<ts.ConstructorDeclaration>();
  function keptByConstructor(ctor: ts.ConstructorDeclaration, call: ts.NewExpression, fn: FnNode): Prov {
    const all = (call.arguments ?? []).reduce((acc, a) => join(acc, argProv(a, fn)), FRESH);
    if (!ctor.body) return all;
    // A constructor that builds another instance of its class (`this.left = new Tree(d - 1)`).
    if (constructing.has(ctor)) {
      provisional++;
      return all;
    }
    constructing.add(ctor);
    try {
      return keptBy(ctor, ctor.body, call, fn, all);
    } finally {
      constructing.delete(ctor);
    }
  }

  function keptBy(ctor: ts.ConstructorDeclaration, body: ts.Block, call: ts.NewExpression, fn: FnNode, all: Prov): Prov {
    let kept = FRESH;
    ctor.parameters.forEach((prm, i) => {
      if (ts.getCombinedModifierFlags(prm) & (ts.ModifierFlags.ParameterPropertyModifier)) kept = join(kept, argProv(call.arguments?.[i], fn));
    });
    const here = (p: Prov): Prov => p.map((o) => substitute(o, ctor, call, fn));
    const thisRooted = (x: ts.Expression): boolean => {
      let b = unwrap(x);
      while (ts.isPropertyAccessExpression(b) || ts.isElementAccessExpression(b)) b = unwrap(b.expression);
      return b.kind === ts.SyntaxKind.ThisKeyword;
    };
    let handsOut = false;
    const scan = (n: ts.Node): void => {
      if (handsOut || (isFn(n) && !ts.isArrowFunction(n))) return;
      if (ts.isBinaryExpression(n) && isAssignmentOperator(n.operatorToken.kind) && thisRooted(n.left)) kept = join(kept, nested(here(prov(n.right, ctor)), 1));
      if (ts.isCallExpression(n)) {
        const callee = unwrap(n.expression);
        const storing = ts.isPropertyAccessExpression(callee) && !declOf(callee) && thisRooted(callee.expression) && BUILTIN_METHODS.get(callee.name.text)?.mutates;
        if (storing) for (const a of n.arguments) kept = join(kept, nested(here(argProv(a, ctor)), 2));
        else if (n.arguments.length > 0 && (callee.kind === ts.SyntaxKind.SuperKeyword || targetOfExpr(callee) !== undefined || (ts.isPropertyAccessExpression(callee) && declOf(callee)))) handsOut = true;
      }
      ts.forEachChild(n, scan);
    };
    scan(body);
    return handsOut ? all : elementsOf(kept);
  }

  /** The project classes `new X()` constructs: X and the project classes it extends. */
  function classChain(expr: ts.Expression): ts.ClassLikeDeclaration[] {
    const out: ts.ClassLikeDeclaration[] = [];
    let d: ts.Node | undefined = declOf(expr) ?? definingExpr(expr);
    while (d && ts.isClassLike(d) && !out.includes(d) && out.length < 8) {
      out.push(d);
      const base = extendsOf(d);
      d = base ? (declOf(base) ?? definingExpr(base)) : undefined;
    }
    return out;
  }

  /** A global a class extends (`class Stamp extends Date`), if any. */
  function globalBase(cls: ts.ClassLikeDeclaration): ts.Expression | undefined {
    const base = extendsOf(cls);
    return base && staticPath(base) ? base : undefined;
  }

  function provOfCall(e: ts.CallExpression, fn: FnNode): Prov {
    if (entities.has(e) || targetOfExpr(e.expression)?.kind === "entity") return FRESH; // a stage or job call: a descriptor, or (yielded) a private copy
    const callee = unwrap(e.expression);
    const args = e.arguments;
    const sp = staticPath(callee);
    if (sp && !sp.dynamic) {
      const name = stripHost(sp.segments).join(".");
      const entry = builtinGlobal(name);
      if (entry === undefined || entry === "namespace") return FRESH;
      if (name === "Object.entries") return holding(holding(elementsOf(argProv(args[0], fn))));
      if (name === "Object.fromEntries") return entriesHeld(argProv(args[0], fn));
      if (name === "Object.assign") return args.slice(1).reduce((acc, a) => join(acc, viaAll(shallowCopy(argProv(a, fn)), `(copied by \`Object.assign\`)`)), argProv(args[0], fn));
      if (/^(?:Array|\w+Array)\.from$/.test(name) && args[1]) return holding(callbackResults(args[1], elementsOf(argProv(args[0], fn)), fn));
      switch (entry.effect) {
        case "receiver":
        case "view":
          return argProv(args[0], fn);
        case "shared":
          return same({ desc: `state every caller shares (\`${shortText(e)}\`)` });
        case "copy": {
          const all = args.reduce((acc, a) => join(acc, argProv(a, fn)), FRESH);
          return viaAll(sp.segments.at(-1) === "of" || name === "Array" ? holding(all) : shallowCopy(argProv(args[0], fn)), `(a shallow copy by \`${shortText(callee)}\`)`);
        }
        default:
          return FRESH;
      }
    }
    const t = targetOfExpr(callee);
    if (t?.kind === "fn" && returnsInProgress.has(t.fn)) provisional++;
    if (t?.kind === "fn" && !returnsInProgress.has(t.fn)) {
      // A helper's result: what it returns (a generator: what it yields, as its elements), with
      // its parameters replaced by this call's arguments.
      returnsInProgress.add(t.fn);
      try {
        let out = FRESH;
        if (t.fn.asteriskToken) {
          let yielded = FRESH;
          for (const y of yieldExprs(t.fn)) yielded = join(yielded, y.asteriskToken ? elementsOf(prov(y.expression!, t.fn)) : prov(y.expression!, t.fn));
          out = holding(yielded.map((o) => substitute(o, t.fn, e, fn)));
        }
        for (const r of returnExprs(t.fn)) out = join(out, prov(r, t.fn).map((o) => substitute(o, t.fn, e, fn)));
        return viaAll(out, `(returned by \`${fnName(t.fn)}\`)`);
      } finally {
        returnsInProgress.delete(t.fn);
      }
    }
    if (ts.isPropertyAccessExpression(callee) && !declOf(callee)) {
      const name = callee.name.text;
      const method = BUILTIN_METHODS.get(name);
      const recv = prov(callee.expression, fn);
      switch (method?.effect) {
        case "copy": {
          if (name === "entries") return holding(holding(elementsOf(recv)));
          const added = name === "concat" ? args.reduce((acc, a) => join(acc, shallowCopy(argProv(a, fn))), FRESH) : FRESH;
          return viaAll(join(shallowCopy(recv), added), `(a shallow copy by \`.${name}()\`)`);
        }
        case "element":
          return elementsOf(recv);
        case "view":
        case "receiver":
          // `new Array(n).fill(x)`, `new Map().set(k, v)`: the receiver, now holding what was stored.
          if (name === "fill" || name === "add") return join(recv, holding(argProv(args[0], fn)));
          if (name === "set" && args.length >= 2) return join(recv, holding(argProv(args[1], fn)));
          return recv;
        case "callback": {
          const reduce = name.startsWith("reduce");
          const out = join(reduce ? argProv(args[1], fn) : FRESH, args[0] ? callbackResults(args[0], elementsOf(recv), fn) : FRESH);
          if (reduce) return out;
          return holding(name === "flatMap" ? join(out, elementsOf(out)) : out);
        }
        default:
          return FRESH;
      }
    }
    return FRESH;
  }

  /**
   * What a callback returns: an inline callback is judged in this activation (its parameters are
   * the receiver's elements, see computeProv); a named function's first parameter stands for an
   * element.
   */
  function callbackResults(cbExpr: ts.Expression, element: Prov, fn: FnNode): Prov {
    const cb = targetOfExpr(cbExpr);
    if (cb?.kind !== "fn") return FRESH;
    if (returnsInProgress.has(cb.fn)) {
      provisional++;
      return FRESH;
    }
    const inline = within(cb.fn, fn);
    const asElement = (o: Origin | undefined): Origin | undefined => (o?.param?.fn === cb.fn && o.param.index === 0 ? element[o.param.level] : o);
    let out = FRESH;
    returnsInProgress.add(cb.fn);
    try {
      for (const r of returnExprs(cb.fn)) {
        const p = prov(r, inline ? fn : cb.fn);
        out = join(out, inline ? p : p.map(asElement));
      }
    } finally {
      returnsInProgress.delete(cb.fn);
    }
    return out;
  }

  /** A helper's parameter origin, seen from a call site: the argument's provenance there. */
  function substitute(o: Origin | undefined, callee: FnNode, call: ts.CallExpression | ts.NewExpression, caller: FnNode): Origin | undefined {
    if (o?.alt) return alternatives(o).map((a) => substitute(a, callee, call, caller)).reduce(either, undefined);
    if (!o?.param || o.param.fn !== callee) return o;
    const a = o.param.index === -1 ? receiverOf(call) : call.arguments?.[o.param.index];
    return a ? argProv(a, caller)[o.param.level] : undefined;
  }

  function receiverOf(call: ts.CallExpression | ts.NewExpression): ts.Expression | undefined {
    const c = unwrap(call.expression);
    return ts.isPropertyAccessExpression(c) || ts.isElementAccessExpression(c) ? c.expression : undefined;
  }

  /**
   * Counts answers given while something they depend on was still being computed (a recursive
   * helper, two variables assigned from each other): such an answer is provisional, right for
   * the computation in progress but not final, so nothing computed while it grew is cached.
   */
  let provisional = 0;

  function provOfDecl(decl: ts.Declaration, fn: FnNode): Prov {
    let cache = provCache.get(fn);
    if (!cache) provCache.set(fn, (cache = new Map()));
    const cached = cache.get(decl);
    if (cached === "pending") {
      provisional++;
      return FRESH;
    }
    if (cached) return cached;
    cache.set(decl, "pending");
    const before = provisional;
    const result = computeProv(decl, fn);
    if (provisional === before) cache.set(decl, result);
    else cache.delete(decl);
    return result;
  }

  /** A destructured binding's provenance: an element of what is destructured (a rest element is a shallow copy). */
  function bindingProv(d: ts.Node, whole: Prov, fn?: FnNode): Prov {
    let p = whole;
    const path: ts.BindingElement[] = [];
    for (let n: ts.Node = d; ts.isBindingElement(n); n = n.parent.parent) path.unshift(n);
    for (const el of path) {
      p = el.dotDotDotToken ? shallowCopy(p) : elementsOf(p);
      // `{ into = SINK } = {}`: the default may be what it holds.
      if (el.initializer && fn) p = join(p, prov(el.initializer, fn));
    }
    return p;
  }

  /** The arguments a built-in writer stores into its receiver: `m.set(k, v)` v, `xs.splice(i, n, ...items)` the items, `xs.fill(v)` v, `push`/`unshift`/`add` all. */
  const storedArguments = (method: string, args: readonly ts.Expression[]): readonly ts.Expression[] =>
    method === "set" ? args.slice(1, 2) : method === "splice" ? args.slice(2) : method === "fill" ? args.slice(0, 1) : ["push", "unshift", "add"].includes(method) ? args : [];

  /** `p` held `levels` levels down in fresh containers. */
  const nested = (p: Prov, levels: number): Prov => (levels <= 0 ? p : nested(holding(p), levels - 1));

  /**
   * What code stores into a local container after making it: `m.set(k, v)`, `s.add(v)`,
   * `xs.push(v)`, `o[k] = v`, `Object.assign(o, src)`. The container holds v from then on, at the
   * level the store reaches (`o.list.push(v)` puts v two levels down), so `m.get(k).n = 0` after
   * `m.set(k, input[0])` writes the input.
   */
  const storing = new Set<ts.Declaration>();
  const storedCache = new Map<FnNode, Map<ts.Declaration, Prov>>();
  function storedInto(decl: ts.Declaration, fn: FnNode): Prov {
    const scope = enclosingFn(decl);
    if (!scope?.body || !ts.isIdentifier((decl as ts.NamedDeclaration).name ?? decl)) return FRESH;
    // Stores into containers that hold each other are followed four deep: past that the cost
    // grows exponentially (a documented limit, not a fresh answer: the value is not followed).
    if (storing.has(decl) || storing.size >= 4) {
      provisional++;
      return FRESH;
    }
    let cache = storedCache.get(fn);
    if (!cache) storedCache.set(fn, (cache = new Map()));
    const cached = cache.get(decl);
    if (cached) return cached;
    storing.add(decl);
    const before = provisional;
    try {
      const result = storesIn(decl, scope.body, fn);
      if (provisional === before) cache.set(decl, result);
      return result;
    } finally {
      storing.delete(decl);
    }
  }

  function storesIn(decl: ts.Declaration, body: ts.Node, fn: FnNode): Prov {
    let out = FRESH;
    // How deep in the container the written object is: `m` 0, `m[k]` 1; through `(c ? a : b)`,
    // `(g[k] ??= [])`, `g[k] || (g[k] = [])`.
    const depthFrom = (obj: ts.Expression, extra = 0): number | undefined => {
      let e = unwrap(obj);
      let depth = extra;
      for (;;) {
        if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
          e = unwrap(e.expression);
          depth++;
        } else if (ts.isConditionalExpression(e)) return depthFrom(e.whenTrue, depth) ?? depthFrom(e.whenFalse, depth);
        else if (ts.isBinaryExpression(e) && (isAssignmentOperator(e.operatorToken.kind) || [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(e.operatorToken.kind))) {
          return depthFrom(e.left, depth) ?? (isAssignmentOperator(e.operatorToken.kind) ? undefined : depthFrom(e.right, depth));
        } else break;
      }
      return ts.isIdentifier(e) && declOf(e) === decl ? depth : undefined;
    };
    const scan = (n: ts.Node): void => {
      // `const l = g[k] || (g[k] = [])`: what is stored into l is stored into g, one level down.
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
        const d0 = depthFrom(n.initializer);
        if (d0 !== undefined && d0 > 0) out = join(out, nested(storedInto(n, fn), d0));
      }
      if (ts.isBinaryExpression(n) && isAssignmentOperator(n.operatorToken.kind) && n.operatorToken.kind !== ts.SyntaxKind.PlusEqualsToken) {
        const l = unwrap(n.left);
        const d = ts.isPropertyAccessExpression(l) || ts.isElementAccessExpression(l) ? depthFrom(l.expression) : undefined;
        if (d !== undefined) out = join(out, nested(prov(n.right, fn), d + 1));
      } else if (ts.isCallExpression(n)) {
        const callee = unwrap(n.expression);
        for (const w of callWrites(n)) {
          const d = depthFrom(w.obj);
          if (d === undefined) continue;
          const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : staticPath(callee)?.segments.join(".");
          for (const a of name === undefined ? [] : storedArguments(name, n.arguments)) out = join(out, nested(argProv(a, fn), d + 1));
          if (name === "Object.assign") for (const a of n.arguments.slice(1)) out = join(out, nested(elementsOf(argProv(a, fn)), d + 1));
        }
      }
      ts.forEachChild(n, scan);
    };
    scan(body);
    return out;
  }

  /**
   * What a `catch` receives: the values the try block throws, and those thrown by the project
   * functions it calls directly (an engine's own errors are fresh).
   */
  function thrownIn(block: ts.Block, fn: FnNode): Prov {
    let out = FRESH;
    const throwsOf = (body: ts.Node, inFn: FnNode, call?: ts.CallExpression): void => {
      const scan = (n: ts.Node): void => {
        if (ts.isThrowStatement(n) && n.expression) out = join(out, call ? prov(n.expression, inFn).map((o) => substitute(o, inFn, call, fn)) : prov(n.expression, inFn));
        if (!call && ts.isCallExpression(n)) {
          const t = targetOfExpr(n.expression);
          if (t?.kind === "fn" && t.fn.body && !returnsInProgress.has(t.fn)) {
            returnsInProgress.add(t.fn);
            try {
              throwsOf(t.fn.body, t.fn, n);
            } finally {
              returnsInProgress.delete(t.fn);
            }
          }
        }
        if (!isFn(n) && !ts.isClassLike(n)) ts.forEachChild(n, scan);
      };
      ts.forEachChild(body, scan);
    };
    throwsOf(block, fn);
    return out;
  }

  /**
   * What a let/var gets from assignments valuesOf does not follow: `x ??= v`, `[x] = list`,
   * `({ x } = o)`, `for (x of xs)` (a destructuring gives elements, counted at both depths).
   */
  function otherAssignments(d: ts.VariableDeclaration, fn: FnNode): Prov {
    const sym = checker.getSymbolAtLocation(d.name);
    let out = FRESH;
    const scan = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && n !== d.name && checker.getSymbolAtLocation(n) === sym) {
        let target: ts.Node = n;
        while (ts.isArrayLiteralExpression(target.parent) || ts.isObjectLiteralExpression(target.parent) || ts.isPropertyAssignment(target.parent) || ts.isShorthandPropertyAssignment(target.parent) || ts.isSpreadElement(target.parent)) target = target.parent;
        const p = target.parent;
        const destructured = target !== n;
        if (ts.isBinaryExpression(p) && p.left === target && isAssignmentOperator(p.operatorToken.kind)) {
          const v = prov(p.right, fn);
          out = join(out, destructured ? join(elementsOf(v), elementsOf(elementsOf(v))) : v);
        } else if (ts.isForOfStatement(p) && p.initializer === target) {
          const v = elementsOf(prov(p.expression, fn));
          out = join(out, destructured ? join(elementsOf(v), elementsOf(elementsOf(v))) : v);
        }
      }
      ts.forEachChild(n, scan);
    };
    scan(d.getSourceFile());
    return out;
  }

  function computeProv(decl: ts.Declaration, fn: FnNode): Prov {
    let p: ts.Node = decl;
    while (ts.isBindingElement(p) || ts.isObjectBindingPattern(p) || ts.isArrayBindingPattern(p)) p = p.parent;
    if (ts.isParameter(p) && isFn(p.parent)) {
      const cb = p.parent;
      const index = cb.parameters.indexOf(p);
      const call = cb.parent;
      if (ts.isCallExpression(call) && call.arguments.includes(cb as ts.Expression)) {
        // A built-in's callback receives the receiver's elements (reduce: the accumulator first).
        const callee = unwrap(call.expression);
        if (ts.isPropertyAccessExpression(callee) && ITERATION_METHODS.has(callee.name.text) && !declOf(callee)) {
          const reduce = callee.name.text === "reduce" || callee.name.text === "reduceRight";
          const recv = prov(callee.expression, fn);
          const element = index === (reduce ? 1 : 0) ? elementsOf(recv) : index === (reduce ? 3 : 2) ? recv : FRESH;
          return bindingProv(decl, reduce && index === 0 ? join(argProv(call.arguments[1], fn), storedInto(decl, fn)) : element);
        }
        const sp = staticPath(callee);
        if (sp && !sp.dynamic && /^(?:Array|\w+Array)\.from$/.test(stripHost(sp.segments).join(".")) && index === 0) {
          return bindingProv(decl, elementsOf(argProv(call.arguments[0], fn)));
        }
      }
      // Any other function's parameter: judged at its call sites.
      return join(bindingProv(decl, paramProv(cb, index, ts.isIdentifier(p.name) ? p.name.text : `#${index}`), cb), ts.isIdentifier(p.name) && decl === p ? storedInto(decl, cb) : FRESH);
    }
    if (ts.isVariableDeclaration(p) && ts.isCatchClause(p.parent)) return bindingProv(decl, thrownIn(p.parent.parent.tryBlock, fn), fn);
    if (ts.isVariableDeclaration(p)) {
      const list = p.parent;
      if (ts.isVariableDeclarationList(list) && ts.isForOfStatement(list.parent)) return bindingProv(decl, elementsOf(prov(list.parent.expression, fn)), fn);
      if (ts.isVariableDeclarationList(list) && ts.isForInStatement(list.parent)) return FRESH;
      if (!isConst(p) && ts.isIdentifier(p.name)) {
        // A let/var holds whatever is assigned to it later too (`let a = []; a = outer; a.push(x)`).
        const values = valuesOf(p.name);
        if (values === undefined) return join(join(p.initializer ? prov(p.initializer, fn) : FRESH, otherAssignments(p, fn)), storedInto(decl, fn));
        return join(values.reduce((acc, v) => join(acc, prov(v, fn)), FRESH), storedInto(decl, fn));
      }
      return join(p.initializer ? bindingProv(decl, prov(p.initializer, fn), fn) : FRESH, ts.isIdentifier(p.name) ? storedInto(decl, fn) : FRESH);
    }
    return FRESH;
  }

  // ---- the walk -------------------------------------------------------------------------------

  function where(ctx: Ctx): string {
    if (ctx.chain.length === 0) return `in ${ctx.root}`;
    const via = ctx.chain.length > 1 ? ` via ${ctx.chain.slice(0, -1).map((c) => `\`${c}\``).join(" -> ")}` : "";
    return `in helper \`${ctx.chain.at(-1)}\` called from ${ctx.root}${via}`;
  }

  // ---- the job graph: which jobs a job's code can run --------------------------------------------

  const edges: JobEdge<ts.Node>[] = [];
  // Entities were collected in their `order`, so this is the order cycles are searched (and reported) in.
  const jobs = [...entities.values()].filter((e) => e.kind === "job");
  const jobIndex = new Map(jobs.map((j, i) => [j, i]));
  const NOT_SAME = { same: false, always: false };

  function addEdge(from: Entity, to: Entity, site: ts.Node, facts: { same: boolean; always: boolean }): void {
    edges.push({ from: jobIndex.get(from)!, to: jobIndex.get(to)!, site, ...facts });
  }

  /** A reference to a declaration outside the function being walked. */
  function onReference(decl: ts.Declaration, site: ts.Node, ctx: Ctx): void {
    const t = targetOfDecl(decl);
    onTarget(t, site, ctx);
    // A table of functions (`CODECS[k](s)`, `handlers.ping()`): pure code may run any entry.
    if (!t && ts.isVariableDeclaration(decl) && decl.initializer) {
      // A Proxy runs its handler's traps on every access: walked like a table.
      const made = definingExpr(decl.initializer);
      const proxied = ts.isNewExpression(made) && staticPath(made.expression)?.segments.join(".") === "Proxy" && made.arguments?.[1] ? objectLiteralOf(made.arguments[1]) : undefined;
      const table = proxied ?? made;
      if (ts.isObjectLiteralExpression(table) || ts.isArrayLiteralExpression(table)) {
        const entries = ts.isArrayLiteralExpression(table) ? table.elements : table.properties.map((p) => (ts.isPropertyAssignment(p) ? p.initializer : ts.isMethodDeclaration(p) ? p : undefined));
        for (const x of entries) {
          if (!x || ts.isSpreadElement(x) || ts.isOmittedExpression(x)) continue;
          const fnOf = isFn(x) ? ({ kind: "fn", fn: x } as const) : targetOfExpr(x as ts.Expression);
          if (fnOf?.kind === "fn") onTarget(fnOf, site, ctx);
        }
      }
    }
    if (!ctx.job || t?.kind === "entity" || resolvedMember(site)) return;
    // A table of jobs (`steps[i]`, `routes[kind]`) or a helper that returns one (`pick(k)(x)`): it
    // may run any job it can denote, so each is an edge (and a deadlock only if each is certain).
    const returned = t?.kind === "fn";
    for (const job of jobsDenotedByDecl(decl, new Set())) addEdge(ctx.job, job, site, callFacts(site, ctx, returned));
  }

  function onTarget(t: Target, site: ts.Node, ctx: Ctx): void {
    if (!t) return;
    if (t.kind === "fn") {
      if (within(t.fn, ctx.fn)) return; // nested: walked as part of this function
      follow(t.fn, ctx);
    } else if (t.entity.kind === "job" && ctx.job) {
      addEdge(ctx.job, t.entity, site, callFacts(site, ctx, false));
    }
  }

  /** `table.key` whose key the checker resolved: the property access names one job, judged on its own. */
  function resolvedMember(site: ts.Node): boolean {
    const p = site.parent;
    return ts.isPropertyAccessExpression(p) && p.expression === site && declOf(p) !== undefined;
  }

  /** Every job an expression's value can be (or contain), through consts, imports, tables and helpers' returns. */
  function jobsDenoted(e: ts.Expression, seen: Set<ts.Node>): Entity[] {
    e = unwrap(e);
    if (seen.has(e) || seen.size > 256) return [];
    seen.add(e);
    const ent = ts.isCallExpression(e) ? entities.get(e) : undefined;
    if (ent) return ent.kind === "job" ? [ent] : [];
    if (ts.isCallExpression(e)) {
      // `pick(k)`: what the helper returns. A job's own call (`inner(n)`) is a step, not a job.
      const d = declOf(e.expression);
      return d && isFnValue(d) ? jobsDenotedByDecl(d, seen) : [];
    }
    if (ts.isArrayLiteralExpression(e)) return e.elements.flatMap((el) => jobsDenoted(ts.isSpreadElement(el) ? el.expression : el, seen));
    if (ts.isObjectLiteralExpression(e)) {
      return e.properties.flatMap((p) =>
        ts.isPropertyAssignment(p) ? jobsDenoted(p.initializer, seen)
        : ts.isShorthandPropertyAssignment(p) ? jobsDenoted(p.name, seen)
        : ts.isSpreadAssignment(p) ? jobsDenoted(p.expression, seen)
        : []);
    }
    if (ts.isElementAccessExpression(e)) return jobsDenoted(e.expression, seen);
    if (ts.isConditionalExpression(e)) return [...jobsDenoted(e.whenTrue, seen), ...jobsDenoted(e.whenFalse, seen)];
    if (ts.isBinaryExpression(e) && [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(e.operatorToken.kind)) {
      return [...jobsDenoted(e.left, seen), ...jobsDenoted(e.right, seen)];
    }
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
      const d = declOf(e);
      return d ? jobsDenotedByDecl(d, seen) : ts.isPropertyAccessExpression(e) ? jobsDenoted(e.expression, seen) : [];
    }
    return [];
  }

  const isFnValue = (d: ts.Declaration): boolean => isFn(d) || (ts.isVariableDeclaration(d) && d.initializer !== undefined && isFn(unwrap(d.initializer)));

  function jobsDenotedByDecl(d: ts.Declaration, seen: Set<ts.Node>): Entity[] {
    if (seen.has(d)) return [];
    seen.add(d);
    if (ts.isVariableDeclaration(d) && ts.isIdentifier(d.name) && d.initializer) {
      const init = unwrap(d.initializer);
      return isFn(init) ? returnedJobs(init, seen) : jobsDenoted(init, seen);
    }
    if (isFn(d)) return returnedJobs(d, seen);
    if (ts.isPropertyAssignment(d)) return jobsDenoted(d.initializer, seen);
    if (ts.isShorthandPropertyAssignment(d)) {
      const r = resolveSymbol(checker.getShorthandAssignmentValueSymbol(d), d.name.text);
      return r.kind === "decl" ? jobsDenotedByDecl(r.decl, seen) : [];
    }
    if (ts.isExportAssignment(d)) return jobsDenoted(d.expression, seen);
    return [];
  }

  function returnedJobs(fn: FnNode, seen: Set<ts.Node>): Entity[] {
    if (fn.asteriskToken) return []; // a generator returns its result, run as a step, not a job to call
    return returnExprs(fn).flatMap((r) => jobsDenoted(r, seen));
  }

  /** Whether the call a reference leads to passes the caller's own input, and always runs. */
  function callFacts(site: ts.Node, ctx: Ctx, returnedByHelper: boolean): { same: boolean; always: boolean } {
    // Inside a followed helper the job's input is out of sight: never "same".
    if (ctx.chain.length > 0) return NOT_SAME;
    const calls = invocationsOf(site, ctx.fn, returnedByHelper);
    if (calls.length === 0) return handedToHelper(site, ctx.fn);
    let best = NOT_SAME;
    for (const call of calls) {
      const facts = { same: call.arguments[0] !== undefined && ownParam(call.arguments[0], ctx.fn) === 0, always: alwaysRuns(call, ctx.fn) };
      if ((facts.same && !best.same) || (facts.same && facts.always)) best = facts;
    }
    return best;
  }

  function outward(n: ts.Node): ts.Node {
    while (ts.isParenthesizedExpression(n.parent) || ts.isNonNullExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isSatisfiesExpression(n.parent)) n = n.parent;
    return n;
  }

  /**
   * The calls that run the job a reference names: `ref(x)`, `table[k](x)`, `pick(k)(x)` for a
   * helper's result, or through a local const holding it (`const route = routes[k]; route(x)`) or
   * a local table of it (`const steps = [a, b]; steps[i](x)`, `table.key(x)` for its own key only).
   */
  function invocationsOf(site: ts.Node, fn: FnNode, returnedByHelper: boolean): ts.CallExpression[] {
    const c = outward(site);
    const slot = c.parent;
    if (ts.isArrayLiteralExpression(slot) || (ts.isPropertyAssignment(slot) && slot.initializer === c) || ts.isShorthandPropertyAssignment(slot)) {
      const key = ts.isArrayLiteralExpression(slot) ? undefined : ts.isIdentifier(slot.name) || ts.isStringLiteral(slot.name) ? slot.name.text : undefined;
      const table = outward(ts.isArrayLiteralExpression(slot) ? slot : slot.parent);
      return localConstUses(table, fn).flatMap((use) => {
        const p = use.parent;
        const member = ts.isPropertyAccessExpression(p) && p.expression === use && key !== undefined && p.name.text === key;
        if (!member && !(ts.isElementAccessExpression(p) && p.expression === use)) return [];
        const call = calledAt(jobExpr(member ? p : use, returnedByHelper));
        return call ? [call] : [];
      });
    }
    const e = jobExpr(site, returnedByHelper);
    const direct = calledAt(e);
    if (direct) return [direct];
    return e ? localConstUses(e, fn).flatMap((use) => calledAt(use) ?? []) : [];
  }

  /** Up through `[k]` lookups (and, for a helper's result, the helper's call): the expression that is the job itself. */
  function jobExpr(n: ts.Node, returnedByHelper: boolean): ts.Node | undefined {
    let c = outward(n);
    while (ts.isElementAccessExpression(c.parent) && c.parent.expression === c) c = outward(c.parent);
    if (!returnedByHelper) return c;
    return ts.isCallExpression(c.parent) && c.parent.expression === c ? outward(c.parent) : undefined;
  }

  const calledAt = (c: ts.Node | undefined): ts.CallExpression | undefined =>
    c && ts.isCallExpression(c.parent) && c.parent.expression === c ? c.parent : undefined;

  /** The uses of the local const that init is the initializer of (none when it is anything else). */
  function localConstUses(init: ts.Node, fn: FnNode): ts.Node[] {
    const decl = init.parent;
    if (!ts.isVariableDeclaration(decl) || decl.initializer !== init || !isConst(decl) || !ts.isIdentifier(decl.name) || !within(decl, fn) || !fn.body) return [];
    const uses: ts.Node[] = [];
    const scan = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && n !== decl.name) {
        const r = resolveIdentifier(n);
        if (r.kind === "decl" && r.decl === decl) uses.push(outward(n));
      }
      ts.forEachChild(n, scan);
    };
    scan(fn.body);
    return uses;
  }

  /** The index of the parameter of fn an argument is, directly or through `const` aliases (`const x = input`). */
  function ownParam(arg: ts.Expression, fn: FnNode, depth = 0): number | undefined {
    const e = unwrap(arg);
    if (!ts.isIdentifier(e) || depth > 8) return undefined;
    const r = resolveIdentifier(e);
    if (r.kind !== "decl") return undefined;
    const d = r.decl;
    if (ts.isParameter(d) && d.parent === fn && ts.isIdentifier(d.name)) return isReassigned(d, fn) ? undefined : fn.parameters.indexOf(d);
    if (ts.isVariableDeclaration(d) && isConst(d) && ts.isIdentifier(d.name) && d.initializer && within(d, fn)) return ownParam(d.initializer, fn, depth + 1);
    return undefined;
  }

  /** The parameter is assigned somewhere in fn (`n = n - 1`, `n++`, `[n] = ...`, `for (n of ...)`): it may no longer hold the input. */
  function isReassigned(param: ts.ParameterDeclaration, fn: FnNode): boolean {
    const isTarget = (id: ts.Identifier): boolean => {
      let c: ts.Node = id;
      // Up through destructuring assignment patterns (`[n] = xs`, `({ n } = o)`).
      while (ts.isParenthesizedExpression(c.parent) || ts.isArrayLiteralExpression(c.parent) || ts.isObjectLiteralExpression(c.parent) || ts.isShorthandPropertyAssignment(c.parent) || ts.isSpreadElement(c.parent) || ts.isSpreadAssignment(c.parent) || (ts.isPropertyAssignment(c.parent) && c.parent.initializer === c)) c = c.parent;
      const p = c.parent;
      if (ts.isBinaryExpression(p) && p.left === c && isAssignmentOperator(p.operatorToken.kind)) return true;
      if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) return c === id;
      return (ts.isForOfStatement(p) || ts.isForInStatement(p)) && p.initializer === c;
    };
    const scan = (n: ts.Node): boolean => {
      if (ts.isIdentifier(n) && n.text === (param.name as ts.Identifier).text) {
        const r = resolveIdentifier(n);
        if (r.kind === "decl" && r.decl === param && isTarget(n)) return true;
      }
      return ts.forEachChild(n, scan) === true;
    };
    return fn.body !== undefined && scan(fn.body);
  }

  /**
   * A job handed to a helper generator (`yield* withRetry(fetchPage, input)`): the same input when
   * the helper runs that parameter on the parameter it got the caller's input in.
   */
  function handedToHelper(site: ts.Node, fn: FnNode): { same: boolean; always: boolean } {
    const arg = outward(site);
    const call = arg.parent;
    if (!ts.isCallExpression(call) || call.expression === arg) return NOT_SAME;
    const k = call.arguments.indexOf(arg as ts.Expression);
    const d = declOf(call.expression);
    const helper = d && (isFn(d) ? d : ts.isVariableDeclaration(d) && d.initializer && isFn(unwrap(d.initializer)) ? unwrap(d.initializer) as FnNode : undefined);
    const param = helper?.parameters[k];
    if (!helper?.body || !param || !ts.isIdentifier(param.name)) return NOT_SAME;
    let best = NOT_SAME;
    const scan = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(unwrap(n.expression))) {
        const r = resolveIdentifier(unwrap(n.expression) as ts.Identifier);
        const j = r.kind === "decl" && r.decl === param && n.arguments[0] ? ownParam(n.arguments[0], helper) : undefined;
        const passed = j === undefined ? undefined : call.arguments[j];
        if (passed && ownParam(passed, fn) === 0) {
          const always = alwaysRuns(n, helper) && alwaysRuns(call, fn);
          if (!best.same || always) best = { same: true, always };
        }
      }
      if (!isFn(n)) ts.forEachChild(n, scan);
    };
    ts.forEachChild(helper.body, scan);
    return best;
  }

  /** The call is awaited (`yield* call`, or inside `yield* all(...)`) on every path through fn's body. */
  function alwaysRuns(call: ts.CallExpression, fn: FnNode): boolean {
    let c = outward(call);
    if (ts.isArrayLiteralExpression(c.parent)) c = outward(c.parent);
    if (ts.isCallExpression(c.parent) && c.parent.expression !== c && sdkName(c.parent.expression) === "all") c = outward(c.parent);
    const y = c.parent;
    return ts.isYieldExpression(y) && y.asteriskToken !== undefined && onEveryPath(y, fn);
  }

  /**
   * Simple and sound: nothing between the node and the body may branch (if, ?:, short-circuit,
   * loop body, switch case, catch, a try that can jump to its catch, a nested function), and no
   * statement before it in any enclosing block may return, throw or break out.
   */
  function onEveryPath(node: ts.Node, fn: FnNode): boolean {
    for (let c = node; c !== fn.body; c = c.parent) {
      const p = c.parent;
      if (!p || isFn(p) || ts.isClassLike(p) || ts.isCaseOrDefaultClause(p) || ts.isCatchClause(p) || (ts.isIterationStatement(p, false) && !isLoopHead(p, c))) return false;
      if ((ts.isIfStatement(p) || ts.isConditionalExpression(p)) && c !== (ts.isIfStatement(p) ? p.expression : p.condition)) return false;
      if (ts.isBinaryExpression(p) && c === p.right && [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(p.operatorToken.kind)) return false;
      if (ts.isBinaryExpression(p) && c === p.right && [ts.SyntaxKind.BarBarEqualsToken, ts.SyntaxKind.QuestionQuestionEqualsToken, ts.SyntaxKind.AmpersandAmpersandEqualsToken].includes(p.operatorToken.kind)) return false;
      if ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p) || ts.isCallExpression(p)) && p.questionDotToken && c !== p.expression) return false;
      if (ts.isTryStatement(p) && c === p.tryBlock && p.catchClause) return false;
      if (ts.isBlock(p) && p.statements.slice(0, p.statements.indexOf(c as ts.Statement)).some(exits)) return false;
    }
    return true;
  }

  /** The part of a loop that runs once whatever the loop does: a for's initializer, a for-of/in's subject, a while's first test. */
  function isLoopHead(loop: ts.IterationStatement, c: ts.Node): boolean {
    if (ts.isForStatement(loop)) return c === loop.initializer || c === loop.condition;
    if (ts.isForOfStatement(loop) || ts.isForInStatement(loop)) return c === loop.expression;
    return ts.isWhileStatement(loop) && c === loop.expression;
  }

  /** A statement that may leave the body early: return, throw, or a labelled break/continue (an unlabelled one stays inside its own loop or switch). */
  function exits(stmt: ts.Node): boolean {
    if (ts.isReturnStatement(stmt) || ts.isThrowStatement(stmt)) return true;
    if (ts.isBreakOrContinueStatement(stmt)) return stmt.label !== undefined;
    return !isFn(stmt) && !ts.isClassLike(stmt) && ts.forEachChild(stmt, exits) === true;
  }

  function follow(fn: FnNode, ctx: Ctx): void {
    if (ctx.visited.has(fn)) return;
    ctx.visited.add(fn);
    walkFunction(fn, { ...ctx, fn, chain: [...ctx.chain, fnName(fn)] });
  }

  function walkFunction(fn: FnNode, ctx: Ctx): void {
    for (const p of fn.parameters) visit(p, ctx);
    if (fn.body) visit(fn.body, ctx);
  }

  function isReference(id: ts.Identifier): boolean {
    const p = id.parent;
    if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
    if (ts.isQualifiedName(p)) return false;
    if (ts.isShorthandPropertyAssignment(p)) return p.name === id;
    if (ts.isBindingElement(p) && p.propertyName === id) return false;
    if ((ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) && p.label === id) return false;
    if (ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) return p.name !== id;
    if ((ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isFunctionDeclaration(p) || ts.isFunctionExpression(p) || ts.isClassDeclaration(p) || ts.isClassExpression(p) || ts.isBindingElement(p) || ts.isEnumMember(p)) && p.name === id) return false;
    if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p)) return false;
    if (ts.isMetaProperty(p)) return false;
    return true;
  }

  /** Top of a member chain (`Math.random` in `Math.random()`), where global paths are judged. */
  function isChainTop(n: ts.Node): n is ts.Expression {
    if (!(ts.isIdentifier(n) || ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n))) return false;
    if (ts.isIdentifier(n) && !isReference(n)) return false;
    let p = n.parent;
    let c: ts.Node = n;
    while (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p) || ts.isTypeAssertionExpression(p)) {
      c = p;
      p = p.parent;
    }
    return !((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) && p.expression === c);
  }

  function stripHost(segs: string[]): string[] {
    while (segs.length > 1 && HOST_PREFIX.has(segs[0]!)) segs = segs.slice(1);
    return segs;
  }

  function sensitiveHit(segs: string[]): [string, [PurityRule, string]] | undefined {
    for (let n = segs.length; n > 0; n--) {
      const key = segs.slice(0, n).join(".");
      const hit = SENSITIVE.get(key);
      if (hit) return [key, hit];
    }
    return undefined;
  }

  /** `const mode = process.env.MODE` inside the function was judged where it was defined, not at each use. */
  function aliasReportedAtDefinition(node: ts.Expression, ctx: Ctx): boolean {
    let base = unwrap(node);
    while (ts.isPropertyAccessExpression(base) || ts.isElementAccessExpression(base)) base = unwrap(base.expression);
    if (!ts.isIdentifier(base)) return false;
    const r = resolveIdentifier(base);
    if (r.kind !== "decl" || !within(r.decl, ctx.fn)) return false;
    // `const { now } = Date`: the definition names only `Date`, so the member is judged at use.
    if (ts.isBindingElement(r.decl)) return false;
    const d: ts.Node = r.decl;
    if (!ts.isVariableDeclaration(d) || !d.initializer) return false;
    return staticPath(d.initializer) !== undefined;
  }

  function checkGlobalPath(node: ts.Expression, ctx: Ctx): void {
    const sp = staticPath(node);
    if (!sp) return;
    if (aliasReportedAtDefinition(node, ctx)) return;
    const segs = stripHost(sp.segments);
    const called = (() => {
      let p = node.parent;
      let c: ts.Node = node;
      while (ts.isParenthesizedExpression(p)) {
        c = p;
        p = p.parent;
      }
      return (ts.isCallExpression(p) || ts.isNewExpression(p)) && p.expression === c ? p : undefined;
    })();
    const shown = `${shortText(node)}${called && ts.isCallExpression(called) ? "()" : ""}`;
    if (segs.length === 1 && segs[0] === "Date" && !sp.dynamic && called) {
      const args = called.arguments ?? [];
      if (ts.isCallExpression(called) || args.length === 0) report(called, "purity/clock", `${shortText(called)} reads the clock ${where(ctx)}`);
      else if (args.length > 1 || args.some(ts.isSpreadElement)) report(called, "purity/host", `${shortText(called)} is local time, which depends on the host's time zone (use new Date(Date.UTC(...))) ${where(ctx)}`);
      else if (parsesText(args[0]!)) report(called, "purity/host", `${shortText(called)} parses a date string, which is implementation-defined unless it is ISO 8601 (use a timestamp, or Date.UTC) ${where(ctx)}`);
      return;
    }
    if (segs.join(".") === "Date.parse" && called && !sp.dynamic) {
      if (!called.arguments?.[0] || parsesText(called.arguments[0])) report(called, "purity/host", `${shortText(called)} parses non-ISO formats in an implementation-defined way (parse the fields yourself, or use Date.UTC) ${where(ctx)}`);
      return;
    }
    if (segs.join(".") === "TextDecoder" && called && ts.isNewExpression(called) && called.arguments?.[0]) {
      const label = constString(called.arguments[0]);
      if (label === undefined || !/^(?:(?:unicode-1-1-)?utf-?8|utf-16le)$/i.test(label)) report(called, "purity/host", `${shortText(called)}: encodings other than UTF-8 and UTF-16LE depend on the host's ICU build (Node's small-ICU builds lack them) ${where(ctx)}`);
      return;
    }
    // RegExp.$1, RegExp.lastMatch, ...: written by every regex match anywhere in the realm.
    if (segs.length === 2 && segs[0] === "RegExp" && /^(?:\$[1-9_&+`']|input|lastMatch|lastParen|leftContext|rightContext)$/.test(segs[1]!)) {
      report(node, "purity/outer-read", `\`${shortText(node)}\` is realm-wide state that every regex match writes ${where(ctx)}`);
      return;
    }
    if (isWriteTarget(node)) return; // writing a global is purity/outer-write
    const found = sensitiveHit(segs);
    if (found) {
      const [key, hit] = found;
      if (key === "console" && options.allowConsole) return;
      report(node, hit[0], `${shown} ${hit[1]} ${where(ctx)}`);
      return;
    }
    const host = hostGlobal(segs);
    if (host) {
      report(called ?? node, "purity/host", `${shown} ${host} ${where(ctx)}`);
      return;
    }
    if (sp.dynamic) {
      report(node, "purity/unknown-call", `computed member of \`${segs.join(".")}\` (${shortText(node)}) cannot be checked: name the member ${where(ctx)}`);
      return;
    }
    // `Array.prototype.slice.call(x)`, `Math.max.apply(null, xs)`: judged as the function itself.
    const fnSegs = segs.length > 1 && /^(?:call|apply|bind)$/.test(segs.at(-1)!) ? segs.slice(0, -1) : segs;
    if (fnSegs.length === 3 && fnSegs[1] === "prototype") {
      const name = fnSegs[2]!;
      const hostWhy = HOST_METHODS.get(name) ?? (fnSegs[0] === "Date" && name === "toString" ? "is local time, which depends on the host's time zone (use toISOString)" : undefined) ?? (/Error$/.test(fnSegs[0]!) && name === "toString" ? "is an error's text, which an engine error words differently on Node and workerd" : undefined);
      if (hostWhy) report(called ?? node, "purity/host", `${shown} ${hostWhy} ${where(ctx)}`);
      else if (!BUILTIN_METHODS.has(name)) report(called ?? node, "purity/unknown-call", `${shown} is not an allowlisted built-in method ${where(ctx)}`);
      return;
    }
    // A built-in's prototype is a value (writing to it is purity/outer-write).
    if (fnSegs.length === 2 && fnSegs[1] === "prototype" && builtinGlobal(fnSegs[0]!) !== undefined) return;
    const entry = builtinGlobal(fnSegs.join("."));
    if (entry === undefined || (entry === "namespace" && called)) {
      const refused = refusedGlobal(fnSegs);
      report(called ?? node, "purity/unknown-call", `${shown} is not on paxflow's allowlist of deterministic built-ins${refused ? `: it ${refused}` : ""} ${where(ctx)}`);
    }
  }

  /** `new Base(args)` for a global base class reached through `extends` (a subclass's construction or its super() call). */
  function checkGlobalConstruction(base: ts.Expression, args: readonly ts.Expression[], at: ts.Node, ctx: Ctx): void {
    const segs = stripHost(staticPath(base)!.segments);
    const name = segs.join(".");
    const hit = sensitiveHit(segs);
    if (hit) report(at, hit[1][0], `${shortText(at)} constructs \`${name}\`, which ${hit[1][1]} ${where(ctx)}`);
    else if (name === "Date" && args.length === 0) report(at, "purity/clock", `${shortText(at)} constructs a Date with no arguments, which reads the clock ${where(ctx)}`);
    else if (name === "Date" && (args.length > 1 || parsesText(args[0]!))) report(at, "purity/host", `${shortText(at)} constructs a Date from local-time fields or a non-ISO string ${where(ctx)}`);
    else if (builtinGlobal(name) === undefined || hostGlobal(segs)) report(at, hostGlobal(segs) ? "purity/host" : "purity/unknown-call", `${shortText(at)} constructs \`${name}\`, which is not on paxflow's allowlist ${where(ctx)}`);
  }

  /** Whether a Date argument is text parsed in a host-dependent way: a string that is not a constant ISO 8601 date. */
  function parsesText(arg: ts.Expression): boolean {
    const text = constString(arg);
    if (text !== undefined) return !ISO_DATE.test(text);
    const t = checker.getTypeAtLocation(arg);
    return (t.flags & ts.TypeFlags.StringLike) !== 0 || (t.isUnion() && t.types.some((u) => (u.flags & ts.TypeFlags.StringLike) !== 0));
  }

  /** The target of an assignment, ++/-- or delete (a write, judged as one). */
  function isWriteTarget(node: ts.Node): boolean {
    let c = node;
    while (ts.isParenthesizedExpression(c.parent) || ts.isAsExpression(c.parent) || ts.isNonNullExpression(c.parent)) c = c.parent;
    const p = c.parent;
    if (ts.isBinaryExpression(p) && p.left === c && isAssignmentOperator(p.operatorToken.kind)) return true;
    if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) return true;
    return ts.isDeleteExpression(p);
  }

  /** A date-time string whose parsing ECMAScript specifies (the date-time string format, a subset of ISO 8601). */
  const ISO_DATE = /^[+-]?\d{4,6}(?:-\d\d(?:-\d\d)?)?(?:T\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?(?:Z|[+-]\d\d:\d\d)?)?$/;

  /**
   * A call whose callee is not a global (checkGlobalPath) and not something the walk follows (a
   * project function, class, stage or job): a built-in method judged by name, a function reached
   * through a parameter or a variable, or something the checker cannot see, which is an error.
   */
  function checkCallee(call: ts.CallExpression | ts.NewExpression, ctx: Ctx): void {
    const callee = unwrap(call.expression);
    if (callee.kind === ts.SyntaxKind.SuperKeyword || callee.kind === ts.SyntaxKind.ImportKeyword || ts.isMetaProperty(callee)) return;
    if (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.SuperKeyword) return;
    const sp = staticPath(callee);
    if (sp && !(sp.dynamic && ts.isIdentifier(callee))) return; // a global: checkGlobalPath (a local alias of a computed one is called here)
    if (ts.isIdentifier(callee) && resolveIdentifier(callee).kind !== "decl") return; // globals, the SDK, imports: judged elsewhere
    if (reportedAtRoot(callee, ctx.fn)) return;
    const made = definingExpr(callee);
    if (ts.isClassExpression(made) || (ts.isPropertyAccessExpression(made) && made.name.text === "constructor")) {
      if (!ts.isClassExpression(made)) report(call, "purity/dynamic-code", `${shortText(call)} calls a function's constructor, which compiles code from a string ${where(ctx)}`);
      return;
    }
    if (sdkName(callee) !== undefined || targetOfExpr(callee) !== undefined) return;
    const d = ts.isIdentifier(callee) || ts.isPropertyAccessExpression(callee) ? declOf(callee) : undefined;
    if (d && ts.isClassLike(d)) return;
    if (ctx.job && isCallable(callee, 0)) return;
    const why = unknownCallee(callee, ctx);
    if (why) report(call, why[0], `${shortText(call)}: ${why[1]} ${where(ctx)}`);
    else checkCallbacks(call, ctx);
  }

  const UNKNOWN_HINT = "call a function from a checked module, or a built-in on the allowlist (core/check/builtins.ts)";

  /** Why a call is not checkable, or undefined; implementations it resolves to are followed in `ctx`. */
  function unknownCallee(callee: ts.Expression, ctx: Ctx): [RuleId, string] | undefined {
    if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) {
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : keyOf(callee);
      const receiver = unwrap(callee.expression);
      if (ts.isPropertyAccessExpression(callee) && declOf(callee)) {
        if (memberOfArguments(callee) || functionValueOk(callee, 0)) {
          const d = declOf(callee)!;
          if (isBodiless(d)) for (const impl of implementationsOf(d)) onTarget({ kind: "fn", fn: impl }, callee, ctx);
          return undefined;
        }
        return ["purity/unknown-call", `\`${shortText(callee)}\` is declared without a body the checker can follow; ${UNKNOWN_HINT}`];
      }
      const wellKnown = ts.isElementAccessExpression(callee) ? staticPath(callee.argumentExpression) : undefined;
      if (wellKnown && !wellKnown.dynamic && /^Symbol\.(?:iterator|toPrimitive)$/.test(stripHost(wellKnown.segments).join("."))) {
        // `xs[Symbol.iterator]()`: a project class's own method is followed, a built-in one is the spec's.
        implicitCall(callee.expression, [stripHost(wellKnown.segments).join(".")], "calling", ctx);
        return undefined;
      }
      if (name === undefined || tableFunctions(callee.expression)) {
        if (tableFunctions(callee.expression)) return undefined; // each entry is walked where the table is referenced
        return ["purity/unknown-call", `a method chosen by a computed key cannot be checked; use a table of functions the checker can read (a const object or array literal) or name the method`];
      }
      if (name === "constructor") return undefined; // purity/dynamic-code
      if (name === "call" || name === "apply" || name === "bind") {
        return functionValueOk(receiver, 0) ? undefined : ["purity/unknown-call", `the checker cannot see which function \`${shortText(receiver)}\` is; ${UNKNOWN_HINT}`];
      }
      const hostWhy = HOST_METHODS.get(name);
      if (hostWhy) return [hostWhy.startsWith("observes") ? "purity/io" : "purity/host", `\`.${name}()\` ${hostWhy}`];
      if (name === "toString" && (isFunctionValue(receiver) || isCaughtError(receiver))) return ["purity/host", `${isCaughtError(receiver) ? "an engine error's text" : "a function's source text"} differs between hosts and builds`];
      if (name === "toString" && isDateValue(receiver)) return ["purity/host", "Date's toString is local time, which depends on the host's time zone (use toISOString)"];
      if (BUILTIN_METHODS.has(name)) return undefined;
      return ["purity/unknown-call", `\`.${name}()\` is neither a method of a class or object the checker can see nor an allowlisted built-in method; ${UNKNOWN_HINT}`];
    }
    if (ts.isIdentifier(callee)) {
      const bound = boundMethod(callee);
      if (bound) {
        if (HOST_METHODS.has(bound.name)) return ["purity/host", `bound \`.${bound.name}()\` ${HOST_METHODS.get(bound.name)}`];
        return BUILTIN_METHODS.has(bound.name) ? undefined : ["purity/unknown-call", `bound \`.${bound.name}()\` is not an allowlisted built-in method`];
      }
      return functionValueOk(callee, 0) ? undefined : ["purity/unknown-call", `the checker cannot see which function \`${callee.text}\` is (a parameter whose callers it cannot all see, or a variable it cannot follow); ${UNKNOWN_HINT}`];
    }
    return ["purity/unknown-call", `the checker cannot see which function this calls; ${UNKNOWN_HINT}`];
  }

  /**
   * Whether a call's receiver comes from something already reported at its root: a global that is
   * not on the allowlist (`new Intl.NumberFormat().format(x)`, `new WeakRef(o).deref()`), or an
   * import the checker does not follow (purity/import).
   */
  function reportedAtRoot(callee: ts.Expression, fn: FnNode): boolean {
    let e = unwrap(callee);
    for (let depth = 0; depth < 16; depth++) {
      if (!within(e, fn)) return false; // made outside this code: nothing reported it
      if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) e = unwrap(e.expression);
      else if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.CommaToken) e = unwrap(e.right);
      else if (ts.isCallExpression(e) || ts.isNewExpression(e)) e = unwrap(e.expression);
      else if (ts.isIdentifier(e)) {
        const r = resolveIdentifier(e);
        if (r.kind === "unchecked-import") return true;
        if (r.kind === "global") return builtinGlobal(e.text) === undefined || hostGlobal([e.text]) !== undefined;
        const d = definingExpr(e);
        if (d === e) return false;
        e = d;
        continue;
      } else return false;
      const sp = staticPath(e);
      if (sp && !sp.dynamic) {
        const segs = stripHost(sp.segments);
        return sensitiveHit(segs) !== undefined || hostGlobal(segs) !== undefined || builtinGlobal(segs.join(".")) === undefined;
      }
    }
    return false;
  }

  /** `p.m(...)` where p is a parameter every caller fills with an object literal whose m is a function the checker knows. */
  function memberOfArguments(callee: ts.PropertyAccessExpression): boolean {
    const base = unwrap(callee.expression);
    if (!ts.isIdentifier(base)) return false;
    const r = resolveIdentifier(base);
    if (r.kind !== "decl" || !ts.isParameter(r.decl) || !isFn(r.decl.parent)) return false;
    const f = r.decl.parent;
    const index = f.parameters.indexOf(r.decl);
    const sites = sitesOf(f);
    if (sites.escaped || sites.calls.length === 0) return false;
    return sites.calls.every((c) => {
      const a = c.arguments?.[index];
      const obj = a && !ts.isSpreadElement(a) ? objectLiteralOf(a) : undefined;
      const el = obj ? prop(obj, callee.name.text) : undefined;
      if (!el) return false;
      if (ts.isMethodDeclaration(el)) return true;
      const v = ts.isPropertyAssignment(el) ? el.initializer : ts.isShorthandPropertyAssignment(el) ? el.name : undefined;
      return v !== undefined && functionValueOk(v, 1);
    });
  }

  /** The function expressions of a table (a const array or object literal), or undefined when some entry is not one the checker knows. */
  function tableFunctions(expr: ts.Expression): ts.Expression[] | undefined {
    const table = tableOf(expr, 0);
    if (!table) return undefined;
    const entries = ts.isArrayLiteralExpression(table)
      ? [...table.elements]
      : table.properties.map((p) => (ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : ts.isMethodDeclaration(p) ? p : undefined));
    const fns = entries.filter((x): x is ts.Expression => x !== undefined && !ts.isSpreadElement(x) && !ts.isOmittedExpression(x));
    return fns.length === entries.length && fns.length > 0 && fns.every((x) => isFn(x) || functionValueOk(x, 1)) ? fns : undefined;
  }

  /** Built-in methods only arrays, maps and sets have: `xs.push` names Array.prototype.push whatever xs is. */
  const COLLECTION_METHODS = new Set(["push", "pop", "shift", "unshift", "splice", "concat", "slice", "join", "map", "filter", "forEach", "reduce", "sort", "add", "has", "delete", "clear", "includes", "indexOf"]);
  /** A member the element-type declarations resolve (a method of an array, map or set). */
  const elementTyped = (e: ts.PropertyAccessExpression): boolean =>
    checker.getSymbolAtLocation(e.name)?.declarations?.some((d) => d.getSourceFile().fileName === ELEMENT_TYPES_FILE) === true;

  /** Whether an expression is a function the checker knows: inline, a project function, a stage/job, an allowlisted built-in, or a parameter every caller fills with one. */
  function functionValueOk(expr: ts.Expression, depth: number): boolean {
    const e = unwrap(expr);
    if (depth > 8) return false;
    if (isFn(e) || targetOfExpr(e) !== undefined) return true;
    // A field or a declared member (`this.#less`, `s.score` of an interface): what is stored there.
    if (ts.isPropertyAccessExpression(e)) {
      const d = declOf(e);
      if (d && (ts.isPropertyDeclaration(d) || ts.isParameter(d))) return fieldFunctionsOk(d, depth + 1, functionValueOk);
      if (d && isBodiless(d)) return implementationsOk(d, depth + 1);
    }
    if (ts.isElementAccessExpression(e) && staticPath(e) === undefined && elementFunctionsOk(e.expression, depth + 1)) return true;
    // `xs.push` (a built-in method, as in `xs.push.bind(xs)`), `table[k]` (a table of functions).
    if (ts.isPropertyAccessExpression(e) && !declOf(e) && staticPath(e) === undefined && (COLLECTION_METHODS.has(e.name.text) || elementTyped(e))) return true;
    if ((ts.isElementAccessExpression(e) || ts.isPropertyAccessExpression(e)) && staticPath(e) === undefined && tableFunctions(e.expression)) return true;
    const sp = staticPath(e);
    if (sp) return !sp.dynamic && typeof builtinGlobal(stripHost(sp.segments).join(".")) === "object";
    if (ts.isConditionalExpression(e)) return functionValueOk(e.whenTrue, depth + 1) && functionValueOk(e.whenFalse, depth + 1);
    if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
      return functionValueOk(e.left, depth + 1) && functionValueOk(e.right, depth + 1);
    }
    if (!ts.isIdentifier(e)) return false;
    const r = resolveIdentifier(e);
    if (r.kind === "sdk" || r.kind === "allowed-import") return true;
    if (r.kind !== "decl") return false;
    const d = r.decl;
    const element = elementSource(d);
    if (element) return elementFunctionsOk(element, depth + 1);
    if (ts.isParameter(d) && isFn(d.parent) && ts.isIdentifier(d.name)) {
      const f = d.parent;
      const index = f.parameters.indexOf(d);
      const sites = sitesOf(f);
      if (sites.escaped || sites.calls.length === 0) return false;
      return sites.calls.every((c) => {
        const a = c.arguments?.[index];
        if (!a) return d.initializer !== undefined && functionValueOk(d.initializer, depth + 1);
        return !ts.isSpreadElement(a) && functionValueOk(a, depth + 1);
      });
    }
    const bound = boundMethod(e);
    if (bound) return BUILTIN_METHODS.has(bound.name);
    const values = valuesOf(e);
    return values !== undefined && values.length > 0 && values.every((v) => functionValueOk(v, depth + 1));
  }

  /** A declaration without a body: an interface's or type literal's member, an abstract method. */
  const isBodiless = (d: ts.Declaration): boolean =>
    ts.isMethodSignature(d) || ts.isPropertySignature(d) || ((ts.isMethodDeclaration(d) || ts.isPropertyDeclaration(d)) && (ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Abstract) !== 0);

  /** The container a variable takes its value from one element at a time: a for...of loop's, or a built-in callback's receiver (`fns.reduce((acc, f) => f(acc), x)`). */
  function elementSource(d: ts.Declaration): ts.Expression | undefined {
    if (ts.isVariableDeclaration(d) && ts.isVariableDeclarationList(d.parent) && ts.isForOfStatement(d.parent.parent)) return d.parent.parent.expression;
    if (!ts.isParameter(d) || !isFn(d.parent)) return undefined;
    const cb = d.parent;
    const call = cb.parent;
    if (!ts.isCallExpression(call) || !call.arguments.includes(cb as ts.Expression)) return undefined;
    const callee = unwrap(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || !ITERATION_METHODS.has(callee.name.text) || declOf(callee)) return undefined;
    const reduce = callee.name.text.startsWith("reduce");
    return cb.parameters.indexOf(d) === (reduce ? 1 : 0) ? callee.expression : undefined;
  }

  /**
   * Whether every function a container may hold is one the checker knows: an array literal's
   * elements, a rest parameter's arguments, what code pushes into it, what `.map(cb)` returns.
   */
  function elementFunctionsOk(container: ts.Expression, depth: number): boolean {
    const e = unwrap(container);
    if (depth > 8) return false;
    const each = (x: ts.Expression): boolean => (ts.isSpreadElement(x) ? elementFunctionsOk(x.expression, depth + 1) : functionValueOk(x, depth + 1));
    if (ts.isArrayLiteralExpression(e)) return e.elements.every((x) => ts.isOmittedExpression(x) || each(x));
    if (ts.isCallExpression(e)) {
      const callee = unwrap(e.expression);
      if (!ts.isPropertyAccessExpression(callee) || declOf(callee)) return false;
      const name = callee.name.text;
      if (name === "map" && e.arguments[0]) {
        const cb = targetOfExpr(e.arguments[0]);
        return cb?.kind === "fn" && returnExprs(cb.fn).every((r) => functionValueOk(r, depth + 1));
      }
      return ["filter", "slice", "concat", "toReversed", "toSorted", "reverse", "sort"].includes(name) && elementFunctionsOk(callee.expression, depth + 1);
    }
    if (ts.isPropertyAccessExpression(e)) {
      const d = declOf(e);
      return d !== undefined && (ts.isPropertyDeclaration(d) || ts.isParameter(d)) && fieldFunctionsOk(d, depth + 1, elementFunctionsOk);
    }
    if (!ts.isIdentifier(e)) return false;
    const r = resolveIdentifier(e);
    if (r.kind !== "decl") return false;
    const d = r.decl;
    if (ts.isParameter(d) && isFn(d.parent)) {
      const f = d.parent;
      const index = f.parameters.indexOf(d);
      const sites = sitesOf(f);
      if (sites.escaped || sites.calls.length === 0) return false;
      return sites.calls.every((c) => {
        const args = (c.arguments ?? []).slice(index, d.dotDotDotToken ? undefined : index + 1);
        return d.dotDotDotToken ? args.every(each) : args.length === 1 && !ts.isSpreadElement(args[0]!) && elementFunctionsOk(args[0]!, depth + 1);
      });
    }
    if (!ts.isVariableDeclaration(d) || !ts.isIdentifier(d.name)) return false;
    const values = valuesOf(d.name);
    return values !== undefined && values.every((v) => elementFunctionsOk(v, depth + 1)) && storedFunctionsOk(d, enclosingFn(d)?.body ?? d.getSourceFile(), depth);
  }

  /** What code pushes, adds or assigns into a container (a variable, or a field through `this`) is a function the checker knows. */
  function storedFunctionsOk(target: ts.Declaration, scope: ts.Node, depth: number): boolean {
    let ok = true;
    const names = (o: ts.Expression): boolean => {
      const x = unwrap(o);
      return (ts.isIdentifier(x) || ts.isPropertyAccessExpression(x)) && declOf(x) === target;
    };
    const scan = (n: ts.Node): void => {
      if (!ok) return;
      if (ts.isCallExpression(n)) {
        const callee = unwrap(n.expression);
        if (ts.isPropertyAccessExpression(callee) && !declOf(callee) && names(callee.expression) && ["push", "unshift", "add", "set", "splice"].includes(callee.name.text)) {
          ok = storedArguments(callee.name.text, n.arguments).every((a) => (ts.isSpreadElement(a) ? elementFunctionsOk(a.expression, depth + 1) : functionValueOk(a, depth + 1)));
        }
      } else if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const l = unwrap(n.left);
        if (ts.isElementAccessExpression(l) && names(l.expression)) ok = functionValueOk(n.right, depth + 1);
      }
      ts.forEachChild(n, scan);
    };
    scan(scope);
    return ok;
  }

  /**
   * A field's functions: its initializer, every `this.f = v` in its class, a parameter property's
   * arguments at each `new`, and (for a container) what the class stores into it.
   */
  function fieldFunctionsOk(d: ts.PropertyDeclaration | ts.ParameterDeclaration, depth: number, ok: (e: ts.Expression, depth: number) => boolean): boolean {
    if (depth > 8) return false;
    if (ts.isParameter(d)) return isFn(d.parent) && ts.isIdentifier(d.name) && ok(d.name, depth + 1) && (ok !== elementFunctionsOk || storedFunctionsOk(d, d.parent.parent, depth));
    const cls = d.parent;
    if (!ts.isClassLike(cls)) return false;
    const values: ts.Expression[] = d.initializer ? [d.initializer] : [];
    const scan = (n: ts.Node): void => {
      if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const l = unwrap(n.left);
        if (ts.isPropertyAccessExpression(l) && declOf(l) === d) values.push(n.right);
      }
      ts.forEachChild(n, scan);
    };
    scan(cls);
    return values.length > 0 && values.every((v) => ok(v, depth + 1)) && (ok !== elementFunctionsOk || storedFunctionsOk(d, cls, depth));
  }

  /** Interface and abstract members' implementations, per declaring type, found once. */
  let implementers: Map<ts.Node, (ts.ClassLikeDeclaration | ts.ObjectLiteralExpression)[]> | undefined;

  /**
   * A call through an interface, a type literal or an abstract method (`s.score(x)`, `this.area()`):
   * every project class extending or implementing that type, and every object literal typed as
   * it, must give the member as a function the checker knows; each is followed.
   */
  function implementationsOk(d: ts.Declaration, depth: number): boolean {
    const owner = d.parent;
    const name = (d as ts.NamedDeclaration).name;
    if (!name || !(ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name))) return false;
    if (!implementers) {
      const index = new Map<ts.Node, (ts.ClassLikeDeclaration | ts.ObjectLiteralExpression)[]>();
      const add = (type: ts.Node | undefined, impl: ts.ClassLikeDeclaration | ts.ObjectLiteralExpression): void => {
        if (type) index.set(type, [...(index.get(type) ?? []), impl]);
      };
      for (const sf of sourceFiles) {
        const walk = (n: ts.Node): void => {
          if (ts.isClassLike(n)) {
            const bases: ts.Node[] = [];
            for (let c: ts.ClassLikeDeclaration | undefined = n, i = 0; c && i < 8; i++) {
              const heritage = (c.heritageClauses ?? []).flatMap((h) => h.types.map((t) => declOf(t.expression)));
              for (const b of heritage) if (b) bases.push(b);
              const ext = extendsOf(c);
              const next: ts.Declaration | undefined = ext ? declOf(ext) : undefined;
              c = next && ts.isClassLike(next) ? next : undefined;
            }
            for (const b of bases) add(ts.isTypeAliasDeclaration(b) ? b.type : b, n);
          } else if (ts.isObjectLiteralExpression(n)) {
            for (const decl of checker.getContextualType(n)?.getSymbol()?.declarations ?? declaredElementType(n)) add(decl, n);
          }
          ts.forEachChild(n, walk);
        };
        walk(sf);
      }
      implementers = index;
    }
    const impls = implementers.get(owner) ?? [];
    if (impls.length === 0) return false;
    return impls.every((impl) => memberFunctions(impl, name.text, owner, depth) !== undefined);
  }

  /**
   * The functions a class (with what it inherits below `owner`) or an object literal gives as its
   * member `name`: [] when a class leaves it abstract, undefined when it is something the
   * checker cannot see as a function.
   */
  function memberFunctions(impl: ts.ClassLikeDeclaration | ts.ObjectLiteralExpression, name: string, owner: ts.Node, depth: number): FnNode[] | undefined {
    const m = memberNamed(impl, name);
    if (!m) {
      if (!ts.isClassLike(impl)) return undefined;
      if (ts.getCombinedModifierFlags(impl) & ts.ModifierFlags.Abstract) return [];
      // Inherited from a class between it and the type (`Square extends Rect`).
      const ext = extendsOf(impl);
      const next: ts.Declaration | undefined = ext ? declOf(ext) : undefined;
      return next && ts.isClassLike(next) && next !== owner && depth < 8 ? memberFunctions(next, name, owner, depth + 1) : undefined;
    }
    if (isFn(m)) return [m];
    const v = ts.isPropertyAssignment(m) ? m.initializer : ts.isShorthandPropertyAssignment(m) ? m.name : ts.isPropertyDeclaration(m) ? m.initializer : undefined;
    if (v === undefined || !functionValueOk(v, depth + 1)) return undefined;
    const t = targetOfExpr(v);
    return t?.kind === "fn" ? [t.fn] : [];
  }

  /**
   * The declared type of an object literal inside an array that a typed variable holds through a
   * call TypeScript cannot see into (`const RULES: readonly Rule[] = Object.freeze([{ ... }])`).
   */
  function declaredElementType(obj: ts.ObjectLiteralExpression): ts.Declaration[] {
    let n: ts.Node = obj;
    let depth = 0;
    while (ts.isArrayLiteralExpression(n.parent) || ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || (ts.isCallExpression(n.parent) && n.parent.arguments.includes(n as ts.Expression))) {
      if (ts.isArrayLiteralExpression(n.parent)) depth++;
      n = n.parent;
    }
    if (!ts.isVariableDeclaration(n.parent) || !n.parent.type || depth !== 1) return [];
    const t = checker.getTypeFromTypeNode(n.parent.type);
    const element = checker.getIndexInfosOfType(t).find((i) => (i.keyType.flags & ts.TypeFlags.Number) !== 0)?.type;
    return element?.getSymbol()?.declarations ?? [];
  }

  /** A class's or object literal's own member of this name. */
  function memberNamed(owner: ts.ClassLikeDeclaration | ts.ObjectLiteralExpression, name: string): ts.Node | undefined {
    const members: readonly ts.Node[] = ts.isClassLike(owner) ? owner.members : owner.properties;
    return members.find((x) => {
      const n = (x as ts.NamedDeclaration).name;
      return n !== undefined && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isPrivateIdentifier(n)) && n.text === name;
    });
  }

  /** The implementations implementationsOk accepted, to walk them. */
  function implementationsOf(d: ts.Declaration): FnNode[] {
    const name = (d as ts.NamedDeclaration).name;
    if (!implementers || !name || !(ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name))) return [];
    return (implementers.get(d.parent) ?? []).flatMap((impl) => memberFunctions(impl, name.text, d.parent, 0) ?? []);
  }

  /** Built-ins that call a function they are given: the argument positions holding it. */
  const CALLBACK_ARGS: ReadonlyMap<string, number> = new Map([
    ...[...ITERATION_METHODS].map((m): [string, number] => [m, 0]),
    ["replace", 1], ["replaceAll", 1], ["from", 1], ["parse", 1], ["stringify", 1],
  ]);

  /** A built-in's callback passed by name (`xs.map(fn)`) must be a function the checker knows. */
  function checkCallbacks(call: ts.CallExpression | ts.NewExpression, ctx: Ctx): void {
    const callee = unwrap(call.expression);
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    const at = name === undefined ? undefined : CALLBACK_ARGS.get(name);
    const arg = at === undefined ? undefined : call.arguments?.[at];
    if (!arg || ts.isSpreadElement(arg) || isPrimitive(checker.getTypeAtLocation(arg)) || functionValueOk(arg, 0) || reportedAtRoot(arg, ctx.fn)) return;
    if (!(ts.isIdentifier(unwrap(arg)) || ts.isPropertyAccessExpression(unwrap(arg)) || ts.isElementAccessExpression(unwrap(arg)))) return;
    report(arg, "purity/unknown-call", `\`${shortText(arg)}\` is passed to \`.${name}()\`, and the checker cannot see which function it is; ${UNKNOWN_HINT} ${where(ctx)}`);
  }

  const isFunctionValue = (e: ts.Expression): boolean => {
    if (isFn(unwrap(e)) || targetOfExpr(e)?.kind === "fn") return true;
    const t = checker.getTypeAtLocation(e);
    return t.getCallSignatures().length > 0 || t.getSymbol()?.name === "Function";
  };

  /**
   * Methods the engine calls on a project object without a call in the source: toJSON
   * (JSON.stringify), toString/valueOf (text), [Symbol.iterator] (for...of, spread,
   * destructuring). They are walked as pure code, and judged by their receiver like a call.
   */
  function implicitCall(expr: ts.Expression, names: readonly string[], how: string, ctx: Ctx): void {
    for (const sym of checker.getTypeAtLocation(expr).getProperties()) {
      const decl = sym.valueDeclaration;
      if (!decl || !isFn(decl) || !decl.body || !decl.name) continue;
      const key = ts.isComputedPropertyName(decl.name) ? decl.name.expression.getText() : ts.isIdentifier(decl.name) || ts.isStringLiteral(decl.name) ? decl.name.text : "";
      if (!names.includes(key)) continue;
      if (!within(decl, ctx.fn)) follow(decl, ctx);
      if (!isMemberFn(decl)) continue;
      const r = prov(expr, ctx.fn);
      const o = writesThis(decl).map((written, level) => (written ? judged(r[level]) : undefined)).find(Boolean);
      if (o) report(expr, "purity/outer-write", `\`${shortText(expr)}\`: ${how} \`${fnName(decl)}\`, which writes its \`this\`, which belongs to ${o.desc}, ${where(ctx)}`);
    }
  }

  /** Iterating a value: its [Symbol.iterator] runs, and a generator object advances (a write to it). */
  function checkIteration(expr: ts.Expression, ctx: Ctx): void {
    implicitCall(expr, ["Symbol.iterator"], "iterating it calls", ctx);
    const made = definingExpr(expr);
    const t = ts.isCallExpression(made) ? targetOfExpr(made.expression) : undefined;
    const c = ts.isCallExpression(made) ? unwrap(made.expression) : undefined;
    const builtinIterator = c !== undefined && ts.isPropertyAccessExpression(c) && !declOf(c) && ["values", "keys", "entries", "matchAll"].includes(c.name.text);
    if ((t?.kind === "fn" && t.fn.asteriskToken) || builtinIterator) {
      const o = judged(prov(expr, ctx.fn)[0]);
      if (o) report(expr, "purity/outer-write", `iterating \`${shortText(expr)}\` advances a generator that belongs to ${o.desc}, ${where(ctx)}`);
    }
  }

  const ARITHMETIC = new Set([
    ts.SyntaxKind.PlusToken, ts.SyntaxKind.MinusToken, ts.SyntaxKind.AsteriskToken, ts.SyntaxKind.SlashToken, ts.SyntaxKind.PercentToken,
    ts.SyntaxKind.AsteriskAsteriskToken, ts.SyntaxKind.LessThanToken, ts.SyntaxKind.LessThanEqualsToken, ts.SyntaxKind.GreaterThanToken,
    ts.SyntaxKind.GreaterThanEqualsToken,
  ]);

  /** Whether a type is Date, or an array, tuple or union holding Dates (each turns into local-time text). */
  function holdsDate(t: ts.Type, depth = 0): boolean {
    if (depth > 3) return false;
    if (t.isUnion()) return t.types.some((u) => holdsDate(u, depth + 1));
    const sym = t.getSymbol();
    if (sym?.name === "Date" && sym.declarations?.some((d) => d.getSourceFile().fileName === ELEMENT_TYPES_FILE)) return true;
    const element = checker.getIndexInfosOfType(t).find((i) => (i.keyType.flags & ts.TypeFlags.Number) !== 0)?.type;
    return element !== undefined && holdsDate(element, depth + 1);
  }

  /** A value made by `new Date(...)`, or typed as a Date (or a list of them). */
  function isDateValue(expr: ts.Expression): boolean {
    if (holdsDate(checker.getTypeAtLocation(expr))) return true;
    const e = definingExpr(expr);
    if (ts.isNewExpression(e)) {
      const sp = staticPath(e.expression);
      return sp !== undefined && stripHost(sp.segments).join(".") === "Date";
    }
    if (!ts.isIdentifier(e)) return false;
    const d = declOf(e);
    const type = d && (ts.isParameter(d) || ts.isVariableDeclaration(d) || ts.isPropertySignature(d)) ? d.type : undefined;
    return type !== undefined && /^Date$/.test(type.getText());
  }

  /** The variable of a `catch (e)` clause (or a name destructured from it): an error that may come from the engine. */
  function isCaughtError(expr: ts.Expression, depth = 0): boolean {
    const e = unwrap(expr);
    if (!ts.isIdentifier(e) || depth > 4) return false;
    const r = resolveIdentifier(e);
    if (r.kind !== "decl") return false;
    let d: ts.Node = r.decl;
    while (ts.isBindingElement(d) || ts.isObjectBindingPattern(d) || ts.isArrayBindingPattern(d)) d = d.parent;
    // A helper's parameter some caller fills with a caught error (`describe(e)` in a catch).
    if (ts.isParameter(d) && isFn(d.parent) && depth < 3) {
      const index = d.parent.parameters.indexOf(d);
      const fnDecl = d.parent;
      if (sitesOf(fnDecl).calls.some((c) => { const a = c.arguments?.[index]; return a !== undefined && !ts.isSpreadElement(a) && isCaughtError(a, depth + 1); })) return !narrowedToOwnError(e, d);
      return false;
    }
    if (!ts.isVariableDeclaration(d)) return false;
    if (ts.isCatchClause(d.parent)) return !narrowedToOwnError(e, d);
    // `const e = err as Error` (or `const { message } = e`) inside the catch: still the caught error.
    return isConst(d) && d.initializer !== undefined && isCaughtError(d.initializer, depth + 1);
  }

  /**
   * `e instanceof ValidationError ? e.message : ...` (or the same `if`): narrowed to a project
   * error class, whose message is the project's own text.
   */
  function narrowedToOwnError(ref: ts.Identifier, decl: ts.VariableDeclaration | ts.ParameterDeclaration): boolean {
    for (let n: ts.Node = ref; n.parent && n !== decl.parent; n = n.parent) {
      const p = n.parent;
      const cond = ts.isConditionalExpression(p) && p.whenTrue === n ? p.condition : ts.isIfStatement(p) && p.thenStatement === n ? p.expression : undefined;
      const c = cond ? unwrap(cond) : undefined;
      if (c && ts.isBinaryExpression(c) && c.operatorToken.kind === ts.SyntaxKind.InstanceOfKeyword && ts.isIdentifier(unwrap(c.left)) && declOf(unwrap(c.left)) === decl) {
        const cls = declOf(c.right);
        if (cls && ts.isClassLike(cls) && !cls.getSourceFile().isDeclarationFile) return true;
      }
    }
    return false;
  }

  /**
   * Text that depends on the host: an error's stack, a caught error's message or string (engine
   * errors word them differently on Node and workerd), a function's source, a Date as local text.
   */
  function checkHostText(node: ts.Node, ctx: Ctx): void {
    if (ts.isPropertyAccessExpression(node) && !declOf(node)) {
      const why = HOST_PROPERTIES.get(node.name.text);
      if (why) return void report(node, "purity/host", `\`${shortText(node)}\` ${why} ${where(ctx)}`);
      if (node.name.text === "message" && isCaughtError(node.expression)) {
        return void report(node, "purity/host", `\`${shortText(node)}\` is a caught error's message: an engine error words it differently on Node and workerd; return a fixed message or check the error's class ${where(ctx)}`);
      }
    }
    if (ts.isElementAccessExpression(node) && ["message", "stack"].includes(constString(node.argumentExpression) ?? "") && (isCaughtError(node.expression) || constString(node.argumentExpression) === "stack")) {
      return void report(node, "purity/host", `\`${shortText(node)}\` is engine text (an error's message or stack), which differs between Node and workerd ${where(ctx)}`);
    }
    if (ts.isIdentifier(node) && isReference(node) && ts.isBindingElement(node.parent) === false) {
      const r = resolveIdentifier(node);
      if (r.kind === "decl" && ts.isBindingElement(r.decl) && ((r.decl.propertyName ?? r.decl.name) as ts.Identifier).text === "stack" && !declOf(node)?.getSourceFile().isDeclarationFile) {
        return void report(node, "purity/host", `\`${node.text}\` is an error's stack, engine text that differs between hosts and builds ${where(ctx)}`);
      }
      if (r.kind === "decl" && ts.isBindingElement(r.decl) && isCaughtError(node) && ["message", "stack"].includes(((r.decl.propertyName ?? r.decl.name) as ts.Identifier).text)) {
        return void report(node, "purity/host", `\`${node.text}\` is a caught error's message: an engine error words it differently on Node and workerd ${where(ctx)}`);
      }
    }
    // Implicit conversion to text: `${x}`, String(x), x + "".
    const converted: ts.Expression[] = [];
    if (ts.isTemplateSpan(node)) converted.push(node.expression);
    else if (ts.isCallExpression(node) && node.arguments[0] && staticPath(node.expression)?.segments.join(".") === "String") converted.push(node.arguments[0]);
    else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const text = (e: ts.Expression): boolean => ts.isStringLiteralLike(unwrap(e)) || ts.isTemplateExpression(unwrap(e));
      if (text(node.left)) converted.push(node.right);
      if (text(node.right)) converted.push(node.left);
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "join") {
      const list = definingExpr(node.expression.expression);
      if (isDateValue(node.expression.expression) || (ts.isArrayLiteralExpression(list) && list.elements.some((el) => !ts.isSpreadElement(el) && !ts.isOmittedExpression(el) && isDateValue(el)))) {
        report(node, "purity/host", `\`${shortText(node)}\` turns Dates into local-time text, which depends on the host's time zone (use toISOString) ${where(ctx)}`);
      } else if (ts.isArrayLiteralExpression(list) && list.elements.some((el) => !ts.isSpreadElement(el) && !ts.isOmittedExpression(el) && isFunctionValue(el))) {
        report(node, "purity/host", `\`${shortText(node)}\` turns functions into their source text, which differs between builds ${where(ctx)}`);
      }
    }
    if (ts.isCallExpression(node) && staticPath(node.expression)?.segments.join(".") === "JSON.stringify" && node.arguments[0]) implicitCall(node.arguments[0], ["toJSON"], "JSON.stringify calls its toJSON", ctx);
    for (const c of converted) implicitCall(c, ["toString", "valueOf", "Symbol.toPrimitive"], "turning it into text calls", ctx);
    // Arithmetic and comparison turn an object into a number: valueOf or [Symbol.toPrimitive] runs.
    const numeric: ts.Expression[] = [];
    if (ts.isPrefixUnaryExpression(node) && (node.operator === ts.SyntaxKind.PlusToken || node.operator === ts.SyntaxKind.MinusToken)) numeric.push(node.operand);
    else if (ts.isBinaryExpression(node) && ARITHMETIC.has(node.operatorToken.kind)) numeric.push(node.left, node.right);
    for (const c of numeric) implicitCall(c, ["valueOf", "Symbol.toPrimitive"], "arithmetic on it calls", ctx);
    for (const c of converted) {
      if (isCaughtError(c)) report(c, "purity/host", `\`${shortText(c)}\` turns a caught error into text, which engines word differently ${where(ctx)}`);
      else if (isFunctionValue(c)) report(c, "purity/host", `\`${shortText(c)}\` turns a function into its source text, which differs between builds ${where(ctx)}`);
      else if (isDateValue(c)) report(c, "purity/host", `\`${shortText(c)}\` turns a Date into local-time text, which depends on the host's time zone (use toISOString) ${where(ctx)}`);
    }
  }

  function checkWrite(target: ts.Expression, ctx: Ctx, verb: string): void {
    const e = unwrap(target);
    if (ts.isArrayLiteralExpression(e)) {
      for (const el of e.elements) if (!ts.isOmittedExpression(el)) checkWrite(ts.isSpreadElement(el) ? el.expression : el, ctx, verb);
      return;
    }
    if (ts.isObjectLiteralExpression(e)) {
      for (const p of e.properties) {
        if (ts.isPropertyAssignment(p)) checkWrite(p.initializer, ctx, verb);
        else if (ts.isShorthandPropertyAssignment(p)) checkWrite(p.name, ctx, verb);
        else if (ts.isSpreadAssignment(p)) checkWrite(p.expression, ctx, verb);
      }
      return;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      checkWrite(e.left, ctx, verb);
      return;
    }
    if (ts.isIdentifier(e)) {
      const b = classify(e, ctx.fn);
      if (b.kind === "outer") report(e, "purity/outer-write", `${verb} ${b.desc} ${where(ctx)}`);
      return;
    }
    if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
      let base: ts.Expression = e;
      while (ts.isPropertyAccessExpression(base) || ts.isElementAccessExpression(base)) base = unwrap(base.expression);
      if (base.kind === ts.SyntaxKind.ThisKeyword && !isMemberFn(thisOwner(base) ?? base)) return; // reported as purity/this
      const o = judged(prov(e.expression, ctx.fn)[0]);
      if (o) report(e, "purity/outer-write", `${verb} \`${shortText(e)}\`, which belongs to ${o.desc}, ${where(ctx)}`);
    }
  }

  /** Generator functions some `yield*` delegates to (their yields are the job's); a generator only iterated is ordinary code. */
  let delegatedSet: Set<FnNode> | undefined;
  function delegated(fn: FnNode): boolean {
    if (!delegatedSet) {
      const set = new Set<FnNode>();
      for (const sf of sourceFiles) {
        const walk = (n: ts.Node): void => {
          if (ts.isYieldExpression(n) && n.asteriskToken && n.expression) {
            const e = unwrap(n.expression);
            const t = ts.isCallExpression(e) ? targetOfExpr(e.expression) : undefined;
            if (t?.kind === "fn") set.add(t.fn);
            else if (ts.isCallExpression(e)) for (const v of valuesOfCallee(e.expression)) set.add(v);
          }
          ts.forEachChild(n, walk);
        };
        walk(sf);
      }
      delegatedSet = set;
    }
    return delegatedSet.has(fn) || !fn.asteriskToken;
  }

  /** The functions a callee may be when it is a variable or parameter (best effort, for delegation). */
  function valuesOfCallee(e: ts.Expression): FnNode[] {
    const id = unwrap(e);
    if (!ts.isIdentifier(id)) return [];
    const r = resolveIdentifier(id);
    if (r.kind !== "decl" || !ts.isParameter(r.decl) || !isFn(r.decl.parent)) return [];
    const f = r.decl.parent;
    const index = f.parameters.indexOf(r.decl);
    return sitesOf(f).calls.flatMap((c) => {
      const a = c.arguments?.[index];
      const t = a && !ts.isSpreadElement(a) ? targetOfExpr(a) : undefined;
      return t?.kind === "fn" ? [t.fn] : [];
    });
  }

  /** Stage roots (run, cost functions, kernel bind/read): their parameter is the caller's input. */
  const stageRoots = new Set<FnNode>();

  /**
   * Whether a write to a value with this origin may touch something the pure code does not own.
   * A stage's input never is its own. A helper's (or a local function's) parameter is written only
   * as much as its callers' arguments are: reported when some call site passes something that is
   * not fresh in its caller. A method's `this` is judged where the method is called from pure
   * code (checkReceiverState), by its receiver.
   */
  function judged(o: Origin | undefined): Origin | undefined {
    if (o?.alt) return alternatives(o).map(judged).find(Boolean);
    if (!o?.param || stageRoots.has(o.param.fn)) return o;
    if (o.param.index === -1) return undefined;
    const why = nonFreshArgument(o.param.fn, o.param.index, o.param.level, new Set(), 0);
    return why === undefined ? undefined : { ...why, desc: `${o.desc} of \`${fnName(o.param.fn)}\` (${why.desc})` };
  }

  function nonFreshArgument(fn: FnNode, index: number, level: number, seen: Set<string>, depth: number): Origin | undefined {
    const key = `${fn.pos}:${fn.getSourceFile().fileName}:${index}:${level}`;
    if (seen.has(key) || jobRoots.has(fn)) return undefined; // recursion: judged by the other call sites
    if (depth > 8) return { desc: "through too many helpers to follow" };
    seen.add(key);
    const sites = sitesOf(fn);
    const name = fnName(fn);
    if (sites.escaped) return { desc: `\`${name}\` is passed around, so its callers cannot all be seen` };
    if (sites.calls.length === 0) return { desc: `\`${name}\` has no call the checker can see` };
    const param = index === -1 ? undefined : fn.parameters[index];
    for (const call of sites.calls) {
      const line = lineOf(call);
      const receiver = index === -1 ? receiverOf(call) : undefined;
      if (index === -1 && !receiver) continue; // `new C()` or a plain call: a fresh `this`
      const given = receiver ? [receiver] : param?.dotDotDotToken ? (call.arguments ?? []).slice(index) : (call.arguments ?? []).slice(index, index + 1);
      // A missing argument is the parameter's default (`into = SEEN`), evaluated in the callee.
      const fromDefault = given.length === 0 && param?.initializer ? prov(param.initializer, fn)[level] : undefined;
      if (fromDefault) return { ...fromDefault, desc: `the call at line ${line} leaves \`${shortText(param!.name)}\` to its default, ${fromDefault.desc}` };
      const args = given;
      for (const arg of args) {
        if (ts.isSpreadElement(arg)) return { desc: `the call at line ${line} passes a spread` };
        const caller = enclosingFn(call);
        if (!caller) return { desc: `the call at line ${line} is module-level code` };
        const found = prov(arg, caller)[level];
        for (const o of found ? alternatives(found) : []) {
          if (o.param && !stageRoots.has(o.param.fn)) {
            const deeper = nonFreshArgument(o.param.fn, o.param.index, o.param.level, seen, depth + 1);
            if (deeper !== undefined) return { ...deeper, desc: `the call at line ${line} passes ${o.desc} of \`${fnName(o.param.fn)}\`, and ${deeper.desc}` };
            continue;
          }
          return { ...o, desc: `the call at line ${line} passes ${o.desc}` };
        }
      }
    }
    return undefined;
  }

  /**
   * Whether `yield*` may delegate to this: a stage/job call, all(...), a sub-generator call. With
   * `steps`, only what all() accepts: stage/job calls (a generator helper's call is not one).
   */
  function isDelegable(expr: ts.Expression, depth = 0, steps = false): boolean {
    const e = unwrap(expr);
    if (depth > 8) return false;
    if (ts.isConditionalExpression(e)) return isDelegable(e.whenTrue, depth + 1, steps) && isDelegable(e.whenFalse, depth + 1, steps);
    if (ts.isCallExpression(e)) {
      if (sdkName(e.expression) === "all") return !steps;
      return isCallable(e.expression, depth + 1, steps);
    }
    if (ts.isIdentifier(e)) {
      const values = valuesOf(e);
      return values !== undefined && values.length > 0 && values.every((v) => isDelegable(v, depth + 1, steps));
    }
    return false;
  }

  /** The argument list of all(...): every item must be a stage/job call. Returns the offending expression, if any. */
  function badAllArgument(call: ts.CallExpression): ts.Expression | undefined {
    const args = call.arguments;
    if (args.length === 1 && !ts.isSpreadElement(args[0]!)) {
      const only = unwrap(args[0]!);
      if (ts.isCallExpression(only) && !entities.has(only) && !isDelegable(only, 0, true)) return badList(only, 0);
      if (ts.isArrayLiteralExpression(only) || ts.isIdentifier(only)) return badList(only, 0);
    }
    for (const a of args) {
      const bad = ts.isSpreadElement(a) ? badList(a.expression, 0) : isDelegable(a, 0, true) ? undefined : a;
      if (bad) return bad;
    }
    return undefined;
  }

  /** A list of calls: an array literal, a const/let bound to one, or `xs.map(cb)` whose callback returns calls. */
  function badList(expr: ts.Expression, depth: number): ts.Expression | undefined {
    const e = unwrap(expr);
    if (depth > 8) return e;
    if (ts.isArrayLiteralExpression(e)) {
      for (const el of e.elements) {
        if (ts.isOmittedExpression(el)) continue;
        const bad = ts.isSpreadElement(el) ? badList(el.expression, depth + 1) : isDelegable(el, 0, true) ? undefined : el;
        if (bad) return bad;
      }
      return undefined;
    }
    if (ts.isIdentifier(e)) {
      const values = valuesOf(e);
      if (!values) return e;
      for (const v of values) {
        const bad = badList(v, depth + 1);
        if (bad) return bad;
      }
      return undefined;
    }
    if (ts.isCallExpression(e)) {
      const callee = unwrap(e.expression);
      if (ts.isPropertyAccessExpression(callee) && (callee.name.text === "map" || callee.name.text === "flatMap") && e.arguments[0]) {
        const t = targetOfExpr(e.arguments[0]);
        if (t?.kind === "entity") return undefined;
        if (t?.kind === "fn" && !t.fn.asteriskToken && returnsDelegable(t.fn, 1, true)) return undefined;
        return e.arguments[0];
      }
      if (ts.isPropertyAccessExpression(callee) && ["slice", "filter", "concat", "reverse", "toReversed"].includes(callee.name.text)) return badList(callee.expression, depth + 1);
    }
    if (ts.isConditionalExpression(e)) return badList(e.whenTrue, depth + 1) ?? badList(e.whenFalse, depth + 1);
    return e;
  }

  /** Whether calling this expression always gives a stage/job call: every possible callee is a stage, job, generator or delegating helper. */
  function isCallable(expr: ts.Expression, depth: number, steps = false): boolean {
    const e = unwrap(expr);
    if (depth > 8) return false;
    const t = targetOfExpr(e);
    if (t?.kind === "entity") return true;
    if (t?.kind === "fn") return steps ? !t.fn.asteriskToken && returnsDelegable(t.fn, depth + 1, true) : t.fn.asteriskToken !== undefined || returnsDelegable(t.fn, depth + 1);
    if (ts.isCallExpression(e) && entities.has(e)) return true;
    if (ts.isCallExpression(e) && t === undefined) {
      // `handlerFor(kind)(msg)`: a helper whose every return is a stage or job.
      const f = targetOfExpr(e.expression, depth + 1);
      const returns = f?.kind === "fn" && !f.fn.asteriskToken ? returnExprs(f.fn) : [];
      if (returns.length > 0) return returns.every((r) => isCallable(r, depth + 1, steps));
    }
    if (ts.isConditionalExpression(e)) return isCallable(e.whenTrue, depth + 1, steps) && isCallable(e.whenFalse, depth + 1, steps);
    if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
      return isCallable(e.left, depth + 1, steps) && isCallable(e.right, depth + 1, steps);
    }
    // `stage.stored(x)`: the same one call, whose result the job holds as a reference (core/sdk/stored.ts).
    if (ts.isPropertyAccessExpression(e) && e.name.text === "stored" && targetOfExpr(e.expression)?.kind === "entity") return true;
    if (ts.isElementAccessExpression(e) || ts.isPropertyAccessExpression(e)) {
      // A lookup table of stages (`steps[i]`, `table[kind]`): every entry must be callable.
      if (ts.isPropertyAccessExpression(e) && declOf(e)) return false;
      const base = tableOf(e.expression, depth + 1);
      const entries = base && tableEntries(base, depth + 1);
      return entries !== undefined && entries.length > 0 && entries.every((x) => x !== undefined && !ts.isOmittedExpression(x) && isCallable(x, depth + 1, steps));
    }
    if (ts.isIdentifier(e)) {
      if (isTypedCallable(e)) return true;
      const values = valuesOf(e);
      return values !== undefined && values.length > 0 && values.every((v) => isCallable(v, depth + 1, steps));
    }
    return false;
  }

  /** A table's entries, a spread table's (`{ ...base, replay }`) included; undefined for a spread of something else. */
  function tableEntries(base: ts.ArrayLiteralExpression | ts.ObjectLiteralExpression, depth: number): (ts.Expression | undefined)[] | undefined {
    const out: (ts.Expression | undefined)[] = [];
    const items = ts.isArrayLiteralExpression(base) ? base.elements : base.properties;
    for (const p of items) {
      if (ts.isSpreadElement(p) || ts.isSpreadAssignment(p)) {
        const inner = tableOf(p.expression, depth + 1);
        const more = inner && depth < 8 ? tableEntries(inner, depth + 1) : undefined;
        if (!more) return undefined;
        out.push(...more);
      } else out.push(ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : ts.isObjectLiteralElement(p) ? undefined : p);
    }
    return out;
  }

  /** A parameter declared as the SDK's Job or Stage (`job: Job<I, O>`): its callers pass one, the compiler sees to that. */
  function isTypedCallable(id: ts.Identifier): boolean {
    const r = resolveIdentifier(id);
    const type = r.kind === "decl" && ts.isParameter(r.decl) ? r.decl.type : undefined;
    if (!type || !ts.isTypeReferenceNode(type)) return false;
    const name = ts.isIdentifier(type.typeName) ? resolveIdentifier(type.typeName) : undefined;
    return name?.kind === "sdk" && (name.name === "Job" || name.name === "Stage");
  }

  function tableOf(expr: ts.Expression, depth: number): ts.ArrayLiteralExpression | ts.ObjectLiteralExpression | undefined {
    const e = unwrap(expr);
    if (ts.isArrayLiteralExpression(e) || ts.isObjectLiteralExpression(e)) return e;
    if (!ts.isIdentifier(e) || depth > 8) return undefined;
    const values = valuesOf(e);
    if (!values || values.length !== 1) return undefined;
    return tableOf(values[0]!, depth + 1);
  }

  /**
   * Every value a variable can hold: a const's initializer, or a let/var's initializer and each
   * plain assignment to it. Undefined when it is updated in ways we do not follow.
   */
  const valuesCache = new Map<ts.Declaration, ts.Expression[] | undefined>();
  function valuesOf(id: ts.Identifier): ts.Expression[] | undefined {
    const r = resolveIdentifier(id);
    if (r.kind !== "decl" || !ts.isVariableDeclaration(r.decl) || !ts.isIdentifier(r.decl.name)) return undefined;
    const d = r.decl;
    if (isConst(d)) return d.initializer ? [d.initializer] : undefined;
    if (!valuesCache.has(d)) valuesCache.set(d, assignedValues(d as ts.VariableDeclaration & { name: ts.Identifier }));
    return valuesCache.get(d);
  }

  function assignedValues(d: ts.VariableDeclaration & { name: ts.Identifier }): ts.Expression[] | undefined {
    const values: ts.Expression[] = d.initializer ? [d.initializer] : [];
    const sym = checker.getSymbolAtLocation(d.name);
    let ok = true;
    const scan = (n: ts.Node): void => {
      if (!ok) return;
      if (ts.isIdentifier(n) && n !== d.name && checker.getSymbolAtLocation(n) === sym) {
        const p = n.parent;
        if (ts.isBinaryExpression(p) && p.left === n && isAssignmentOperator(p.operatorToken.kind)) {
          if (p.operatorToken.kind === ts.SyntaxKind.EqualsToken) values.push(p.right);
          else ok = false;
        } else if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) ok = false;
        else if (ts.isArrayLiteralExpression(p) || ts.isShorthandPropertyAssignment(p) || ts.isPropertyAssignment(p) || ts.isForOfStatement(p) || ts.isForInStatement(p)) {
          // possibly a destructuring target or loop variable: not followed
          let q: ts.Node = p;
          while (ts.isArrayLiteralExpression(q) || ts.isObjectLiteralExpression(q) || ts.isPropertyAssignment(q) || ts.isShorthandPropertyAssignment(q)) q = q.parent;
          if ((ts.isBinaryExpression(q) && q.operatorToken.kind === ts.SyntaxKind.EqualsToken && within(n, q.left)) || ts.isForOfStatement(q) || ts.isForInStatement(q)) ok = false;
        }
      }
      ts.forEachChild(n, scan);
    };
    scan(d.getSourceFile());
    return ok ? values : undefined;
  }

  /** A plain helper that only ever returns stage/job/all() calls (`pick = (n) => n > 0 ? a(n) : b(n)`). */
  function returnsDelegable(fn: FnNode, depth: number, steps = false): boolean {
    if (!fn.body || depth > 8) return false;
    if (!ts.isBlock(fn.body)) return isDelegable(fn.body, depth, steps);
    const returns: ts.ReturnStatement[] = [];
    const collect = (n: ts.Node): void => {
      if (ts.isReturnStatement(n)) returns.push(n);
      else if (!isFn(n) && !ts.isClassLike(n)) ts.forEachChild(n, collect);
    };
    ts.forEachChild(fn.body, collect);
    return returns.length > 0 && returns.every((r) => r.expression !== undefined && isDelegable(r.expression, depth, steps));
  }

  /**
   * Objects a call writes (each must be fresh where the call runs): a mutating built-in method's
   * receiver (`xs.push`, `map.set`, `it.next`), the target of `Object.assign` and friends, the
   * receiver of `Array.prototype.push.call(r, ...)`, the bound receiver of
   * `const add = log.push.bind(log); add(x)`, a global or sticky RegExp's lastIndex.
   */
  function callWrites(call: ts.CallExpression): { obj: ts.Expression; what: string; element?: boolean }[] {
    const callee = unwrap(call.expression);
    const sp = staticPath(callee);
    if (sp && !sp.dynamic) {
      const segs = stripHost(sp.segments);
      if (segs.length === 4 && segs[1] === "prototype" && (segs[3] === "call" || segs[3] === "apply") && BUILTIN_METHODS.get(segs[2]!)?.mutates && call.arguments[0]) {
        return [{ obj: call.arguments[0], what: `${segs.join(".")}() mutates` }];
      }
      const path = segs.join(".");
      const entry = builtinGlobal(path);
      const writesFirst = WRITES_FIRST_ARG.has(path) || (typeof entry === "object" && entry.writesFirstArg === true);
      const first = call.arguments[0];
      if (!writesFirst || !first) return [];
      // `Object.assign(...args)`: the target is the spread list's first element.
      return ts.isSpreadElement(first) ? [{ obj: first.expression, what: `${path}() writes to the first element of`, element: true }] : [{ obj: first, what: `${path}() writes to` }];
    }
    if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) {
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : keyOf(callee);
      const receiver = unwrap(callee.expression);
      // `[].push.call(log, s)`: a built-in writer borrowed from a literal, called on its first argument.
      if ((name === "call" || name === "apply") && ts.isPropertyAccessExpression(receiver) && !declOf(receiver) && staticPath(receiver) === undefined && BUILTIN_METHODS.get(receiver.name.text)?.mutates && call.arguments[0]) {
        return [{ obj: call.arguments[0], what: `${receiver.name.text}.${name}() mutates` }];
      }
      if (name === undefined || declOf(callee) || tableFunctions(receiver)) return []; // a project method, or a table of functions (`ops.add(a, b)`)
      const out: { obj: ts.Expression; what: string; element?: boolean }[] = [];
      // `ids.forEach(SEEN.add, SEEN)`: the callback is a mutating method, called on the thisArg.
      const cb = ITERATION_METHODS.has(name) && call.arguments[0] ? unwrap(call.arguments[0]) : undefined;
      if (cb && ts.isPropertyAccessExpression(cb) && !declOf(cb) && BUILTIN_METHODS.get(cb.name.text)?.mutates) {
        out.push({ obj: call.arguments[1] ?? cb.expression, what: `${cb.name.text}() (passed to .${name}()) mutates` });
      }
      if (BUILTIN_METHODS.get(name)?.mutates) out.push({ obj: receiver, what: `${name}() mutates` });
      if ((name === "test" || name === "exec") && isStatefulRegExp(receiver)) out.push({ obj: receiver, what: `${name}() on a global/sticky RegExp advances the lastIndex of` });
      return out;
    }
    if (ts.isIdentifier(callee)) {
      const bound = boundMethod(callee);
      if (bound && BUILTIN_METHODS.get(bound.name)?.mutates) return [{ obj: bound.receiver, what: `${shortText(callee)}() (bound \`${bound.name}\`) mutates` }];
    }
    return [];
  }

  /** The provenance of the object a write writes (an element of `obj` for a spread argument). */
  const writtenProv = (w: { obj: ts.Expression; element?: boolean }, fn: FnNode): Prov => (w.element ? elementsOf(prov(w.obj, fn)) : prov(w.obj, fn));

  /** `const add = log.push.bind(log)`: the method and the receiver it is bound to. */
  function boundMethod(id: ts.Identifier): { name: string; receiver: ts.Expression } | undefined {
    const d = definingExpr(id);
    if (!ts.isCallExpression(d) || !d.arguments[0]) return undefined;
    const c = unwrap(d.expression);
    if (!ts.isPropertyAccessExpression(c) || c.name.text !== "bind") return undefined;
    const method = unwrap(c.expression);
    if (!ts.isPropertyAccessExpression(method) || declOf(method)) return undefined;
    return { name: method.name.text, receiver: d.arguments[0] };
  }

  /** Every object written at this node: [the object, what the write is]. Identifier writes (`x = 1`) are not objects. */
  function writesAt(n: ts.Node): { obj: ts.Expression; what: string; element?: boolean }[] {
    const fieldOf = (t: ts.Expression, what: string): { obj: ts.Expression; what: string }[] => {
      const e = unwrap(t);
      return ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) ? [{ obj: e.expression, what }] : [];
    };
    if (ts.isBinaryExpression(n) && isAssignmentOperator(n.operatorToken.kind)) return fieldOf(n.left, "assigns to");
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) return fieldOf(n.operand, "updates");
    if (ts.isDeleteExpression(n)) return fieldOf(n.expression, "deletes from");
    if (ts.isCallExpression(n)) return callWrites(n);
    return [];
  }

  /**
   * The levels of its own `this` a member function writes (see Prov): its fields (0: `this.n++`),
   * what they hold (1: `this.items.push(x)`, `const s = this.items; s.push(x)`), ..., directly or
   * through other methods called on `this`.
   */
  const writesThisCache = new Map<FnNode, boolean[]>();
  /** Methods whose answer is being computed (methods calling each other), with their answer so far. */
  const writingThis = new Map<FnNode, boolean[]>();
  let partialWrites = 0;
  function writesThis(fn: FnNode): boolean[] {
    const cached = writesThisCache.get(fn);
    if (cached) return cached;
    const inProgress = writingThis.get(fn);
    if (inProgress) {
      partialWrites++;
      return inProgress;
    }
    const levels = new Array<boolean>(LEVELS).fill(false);
    writingThis.set(fn, levels);
    const before = partialWrites;
    try {
      scanWritesThis(fn, levels);
    } finally {
      writingThis.delete(fn);
    }
    if (partialWrites === before) writesThisCache.set(fn, levels);
    return levels;
  }

  function scanWritesThis(fn: FnNode, levels: boolean[]): void {
    const mark = (o: Origin | undefined): void => {
      if (o?.param?.fn === fn && o.param.index === -1) levels[o.param.level] = true;
    };
    const scan = (n: ts.Node): void => {
      if ((isFn(n) && !ts.isArrowFunction(n)) || ts.isClassLike(n)) return;
      for (const w of writesAt(n)) mark(writtenProv(w, fn)[0]);
      if (ts.isCallExpression(n) || (ts.isPropertyAccessExpression(n) && !(ts.isCallExpression(n.parent) && n.parent.expression === n))) {
        const c = ts.isCallExpression(n) ? unwrap(n.expression) : n;
        const d = ts.isPropertyAccessExpression(c) ? declOf(c) : undefined;
        if (d && isFn(d) && isMemberFn(d) && d !== fn && (ts.isCallExpression(n) || ts.isGetAccessor(d))) {
          const r = prov((c as ts.PropertyAccessExpression).expression, fn);
          writesThis(d).forEach((written, level) => written && mark(r[level]));
        }
      }
      ts.forEachChild(n, scan);
    };
    if (fn.body) scan(fn.body);
  }

  const isStatefulRegExp = (e: ts.Expression): boolean => {
    const d = definingExpr(e);
    if (ts.isRegularExpressionLiteral(d)) return /\/[a-z]*[gy][a-z]*$/.test(d.text);
    if (ts.isNewExpression(d) || ts.isCallExpression(d)) {
      const sp = staticPath(d.expression);
      const flags = d.arguments?.[1] ? constString(d.arguments[1]) : undefined;
      return sp !== undefined && stripHost(sp.segments).join(".") === "RegExp" && (flags === undefined ? d.arguments?.[1] !== undefined : /[gy]/.test(flags));
    }
    return false;
  };

  /**
   * A project method run on a receiver other than through `recv.m()`: `xs.map(rng.next, rng)`
   * (a callback with a thisArg) and `const step = rng.next; step.call(rng)`. It writes the
   * receiver it is given as deep as it writes its `this`.
   */
  function checkDetachedMethod(call: ts.CallExpression, ctx: Ctx): void {
    const callee = unwrap(call.expression);
    let method: ts.Expression | undefined;
    let receiver: ts.Expression | undefined;
    if (ts.isPropertyAccessExpression(callee) && (callee.name.text === "call" || callee.name.text === "apply")) {
      method = definingExpr(callee.expression);
      receiver = call.arguments[0];
    } else if (ts.isPropertyAccessExpression(callee) && ITERATION_METHODS.has(callee.name.text) && !declOf(callee) && call.arguments[0]) {
      method = definingExpr(call.arguments[0]);
      receiver = call.arguments[1] ?? (ts.isPropertyAccessExpression(method) ? method.expression : undefined);
    }
    const d = method && ts.isPropertyAccessExpression(method) ? declOf(method) : undefined;
    if (!d || !isFn(d) || !isMemberFn(d) || !receiver) return;
    const r = prov(receiver, ctx.fn);
    const o = writesThis(d).map((written, level) => (written ? judged(r[level]) : undefined)).find(Boolean);
    if (o) report(call, "purity/outer-write", `${shortText(call)} runs \`${fnName(d)}\`, which writes its \`this\`, on ${o.desc} ${where(ctx)}`);
  }

  /**
   * A method or getter that writes its `this` (`counter.inc()`, `ids.next`), judged where pure
   * code calls it: the receiver must be fresh (as deep as the method writes).
   */
  function checkReceiverState(node: ts.PropertyAccessExpression | ts.ElementAccessExpression, ctx: Ctx): void {
    const receiver = unwrap(node.expression);
    if (receiver.kind === ts.SyntaxKind.ThisKeyword || receiver.kind === ts.SyntaxKind.SuperKeyword) return;
    let c: ts.Node = node;
    while (ts.isParenthesizedExpression(c.parent) || ts.isNonNullExpression(c.parent)) c = c.parent;
    const call = ts.isCallExpression(c.parent) && c.parent.expression === c ? c.parent : undefined;
    const d = ts.isPropertyAccessExpression(node) ? declOf(node) : undefined;
    if (!(d && isFn(d) && isMemberFn(d) && (call || ts.isGetAccessor(d)))) return;
    const r = prov(receiver, ctx.fn);
    const o = writesThis(d).map((written, level) => (written ? judged(r[level]) : undefined)).find(Boolean);
    if (o) report(node, "purity/outer-write", `\`${shortText(node)}${call ? "()" : ""}\` writes to its \`this\`, which belongs to ${o.desc}, ${where(ctx)}`);
  }

  /** A module-level `let`/`var` that the module reassigns: its value depends on when the code runs. */
  function checkOuterRead(id: ts.Identifier, decl: ts.Declaration, ctx: Ctx): void {
    if (!ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name) || isConst(decl) || enclosingFn(decl)) return;
    const p = id.parent;
    if (ts.isBinaryExpression(p) && p.left === id && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) return; // a write, reported as such
    if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) return;
    if (ts.isBinaryExpression(p) && p.left === id && isAssignmentOperator(p.operatorToken.kind)) return;
    const values = valuesOf(decl.name);
    if (values !== undefined && values.length <= (decl.initializer ? 1 : 0)) return;
    report(id, "purity/outer-read", `reads module-level \`${id.text}\`, which the module reassigns, ${where(ctx)}`);
  }

  /**
   * Module-level state some code writes at run time: for each module-level declaration (a
   * variable, or a class, whose static fields count), the functions writing what it holds and
   * where. Writes while the module initialises do not count: top-level code, and functions only
   * top-level code calls.
   */
  interface Writer { fn: FnNode; at: string }
  let writtenState: Map<ts.Declaration, Writer[]> | undefined;
  function moduleWriters(): Map<ts.Declaration, Writer[]> {
    if (writtenState) return writtenState;
    const out = new Map<ts.Declaration, Writer[]>();
    writtenState = out;
    const initOnly = (fn: FnNode): boolean => {
      const sites = sitesOf(fn);
      return !sites.escaped && sites.calls.length > 0 && sites.calls.every((c) => enclosingFn(c) === undefined);
    };
    for (const sf of sourceFiles) {
      const walk = (n: ts.Node): void => {
        const writes = writesAt(n);
        // Judged from the outermost function: a callback's parameters are its caller's elements.
        const fn = writes.length > 0 ? outermostFn(n) : undefined;
        if (fn && !initOnly(fn)) {
          for (const w of writes) {
            let o = writtenProv(w, fn)[0];
            if (o?.param?.index === -1) {
              // A method writing its `this`: the state is each module-level receiver it is called on.
              for (const site of sitesOf(o.param.fn).calls) {
                const recv = receiverOf(site);
                const caller = outermostFn(site);
                const ro = recv && caller && !initOnly(caller) ? prov(recv, caller)[o.param.level] : undefined;
                if (ro?.decl && !enclosingFn(ro.decl)) out.set(ro.decl, [...(out.get(ro.decl) ?? []), { fn: caller!, at: `\`${fnName(caller!)}\` (${path.posix.basename(site.getSourceFile().fileName)}:${lineOf(site)})` }]);
              }
              continue;
            }
            if (o?.param && !stageRoots.has(o.param.fn) && !jobRoots.has(o.param.fn)) o = nonFreshArgument(o.param.fn, o.param.index, o.param.level, new Set(), 0);
            const d = o?.decl;
            if (d && !enclosingFn(d)) out.set(d, [...(out.get(d) ?? []), { fn, at: `\`${fnName(fn)}\` (${path.posix.basename(sf.fileName)}:${lineOf(n)})` }]);
          }
        }
        ts.forEachChild(n, walk);
      };
      walk(sf);
    }
    return out;
  }

  /** Whether an identifier is only the base of a write (`cache.set(k, v)`, `ids.next()`, `config.mode = m`): judged as the write, not also as a read. */
  function isWriteBase(id: ts.Expression): boolean {
    let top: ts.Node = id;
    for (;;) {
      const p = top.parent;
      if ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) && p.expression === top) {
        if (ts.isCallExpression(p.parent) && p.parent.expression === p && callWrites(p.parent).some((w) => unwrap(w.obj) === top)) return true;
        top = p;
      } else if (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p)) top = p;
      else break;
    }
    return top !== id && isWriteTarget(top);
  }

  /** Reads of module state, judged once every stage and job has been walked (see checkStateReads). */
  const stateReads: { ref: ts.Expression; name: string; decl: ts.Declaration; ctx: Ctx; where: string }[] = [];

  /** Reading module-level state that some code writes at run time: the result depends on who ran before. */
  function checkStateRead(id: ts.Identifier | ts.PropertyAccessExpression, decl: ts.Declaration, ctx: Ctx): void {
    if (enclosingFn(decl)) return;
    if (ts.isClassDeclaration(decl)) {
      // A class is state only through its static fields (`Invoice.issued`); `new Invoice()` is code.
      const p = id.parent;
      if (!(ts.isPropertyAccessExpression(p) && p.expression === id && !(declOf(p) && isFn(declOf(p)!)))) return;
    } else if (!ts.isVariableDeclaration(decl)) return;
    if (ts.isVariableDeclaration(decl) && !isConst(decl) && ts.isIdentifier(decl.name) && (valuesOf(decl.name)?.length ?? 2) > (decl.initializer ? 1 : 0)) return; // reported as reassigned
    if (moduleWriters().has(decl) && !isWriteBase(id)) stateReads.push({ ref: id, name: ts.isIdentifier(id) ? id.text : id.getText(), decl, ctx, where: where(ctx) });
  }

  /**
   * A read of written module state is reported when some writer is not part of the pure code that
   * reads it: when the stage or job writes the state itself, that write is the error to fix.
   */
  function checkStateReads(): void {
    for (const { ref, name, decl, ctx, where: at } of stateReads) {
      const outside = moduleWriters().get(decl)!.find((w) => ![...ctx.visited].some((v) => within(w.fn, v)));
      if (outside) report(ref, "purity/outer-read", `reads module-level \`${name}\`, which ${outside.at} writes at run time, ${at}`);
    }
  }

  /** `this` in a method, accessor, constructor or field of a class (or object literal) declared inside the pure function. */
  function isLocalInstanceThis(node: ts.Node, ctx: Ctx): boolean {
    let p: ts.Node | undefined = node.parent;
    while (p && ts.isArrowFunction(p)) p = p.parent;
    while (p && !ts.isFunctionLike(p) && !ts.isPropertyDeclaration(p) && !ts.isClassStaticBlockDeclaration(p) && !ts.isSourceFile(p)) {
      p = p.parent;
      while (p && ts.isArrowFunction(p)) p = p.parent;
    }
    if (!p || ts.isSourceFile(p)) return false;
    const owner = p.parent;
    const member = ts.isMethodDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p) || ts.isConstructorDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isClassStaticBlockDeclaration(p);
    return member && owner !== undefined && (ts.isClassLike(owner) || ts.isObjectLiteralExpression(owner)) && within(owner, ctx.fn);
  }

  function visit(node: ts.Node, ctx: Ctx): void {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    if (node.kind === ts.SyntaxKind.ThisKeyword) {
      // A class method's `this` is its instance (often a local one): judged by how the instance is used, not here.
      // A followed member (`counter.inc()`) is judged at its call site by its receiver (checkReceiverState).
      if (!(isMemberFn(ctx.fn) && (ts.isClassLike(ctx.fn.parent) || ctx.chain.length > 0)) && !isLocalInstanceThis(node, ctx)) report(node, "purity/this", `\`this\` ${where(ctx)}: pure code must depend only on its input`);
    } else if (ts.isIdentifier(node)) {
      if (isReference(node)) {
        const r = resolveIdentifier(node);
        if (r.kind === "unchecked-import") {
          report(node, "purity/import", `\`${node.text}\` is imported from "${r.module}", which is not checked (allow it with --allow-module) ${where(ctx)}`);
        } else if (r.kind === "decl" && !within(r.decl, ctx.fn)) {
          onReference(r.decl, node, ctx);
          checkOuterRead(node, r.decl, ctx);
          checkStateRead(node, r.decl, ctx);
        }
      }
    } else if (ts.isPropertyAccessExpression(node)) {
      const r = resolveSymbol(checker.getSymbolAtLocation(node.name), node.name.text);
      if (r.kind === "decl" && !within(r.decl, ctx.fn) && r.decl.kind !== ts.SyntaxKind.SourceFile) {
        onReference(r.decl, node, ctx);
        // `S.config` through `import * as S`: the module's binding, read like a named import.
        const base = unwrap(node.expression);
        if (ts.isIdentifier(base) && checker.getSymbolAtLocation(base)?.declarations?.some(ts.isNamespaceImport)) {
          checkStateRead(node, r.decl, ctx);
          if (ts.isIdentifier(node.name)) checkOuterRead(node.name, r.decl, ctx);
        }
      }
    }
    if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
      report(node, "purity/io", `import.meta describes the host's module ${where(ctx)}`);
    }
    if (isChainTop(node) || (ts.isCallExpression(node) && node.arguments.length >= 2 && staticPath(node) !== undefined)) checkGlobalPath(node as ts.Expression, ctx);
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) checkCallee(node, ctx);
    if (ts.isCallExpression(node)) checkDetachedMethod(node, ctx);
    if (ts.isForOfStatement(node)) checkIteration(node.expression, ctx);
    else if (ts.isSpreadElement(node)) checkIteration(node.expression, ctx);
    else if (ts.isCallExpression(node) && node.arguments[0] && /^(?:Array|\w+Array)\.from$/.test(staticPath(node.expression)?.segments.join(".") ?? "")) checkIteration(node.arguments[0], ctx);
    else if (ts.isVariableDeclaration(node) && ts.isArrayBindingPattern(node.name) && node.initializer) checkIteration(node.initializer, ctx);
    else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isArrayLiteralExpression(unwrap(node.left))) checkIteration(node.right, ctx);
    checkHostText(node, ctx);
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) checkReceiverState(node, ctx);
    if (ts.isNewExpression(node)) {
      // `new Thing()`: the constructors of Thing and the classes it extends run, and so do their
      // instance fields' initializers; a global base class is constructed with these arguments
      // unless a constructor calls super() itself (judged there).
      const chain = classChain(node.expression).filter((c) => !within(c, ctx.fn));
      for (const cls of chain) {
        const ctor = cls.members.find(ts.isConstructorDeclaration);
        if (ctor?.body) follow(ctor, ctx);
        if (ctx.visited.has(cls)) continue;
        ctx.visited.add(cls);
        for (const m of cls.members) if (ts.isPropertyDeclaration(m) && m.initializer && !(ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static)) visit(m.initializer, ctx);
      }
      const last = classChain(node.expression).at(-1);
      const base = last ? globalBase(last) : undefined;
      if (base && !classChain(node.expression).some((c) => c.members.some(ts.isConstructorDeclaration))) checkGlobalConstruction(base, node.arguments ?? [], node, ctx);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword) {
      const cls = node.parent && ts.findAncestor(node, ts.isClassLike);
      const base = cls ? globalBase(cls) : undefined;
      if (base) checkGlobalConstruction(base, node.arguments, node, ctx);
    }

    if (ts.isCallExpression(node) && ctx.job && sdkName(node.expression) === "all") {
      const bad = badAllArgument(node);
      if (bad) report(bad, "job/yield", `\`${shortText(bad)}\` passed to all(...) ${where(ctx)} is not a stage or job call: all() runs calls, not helper generators`);
    }
    if (ts.isCallExpression(node)) {
      const callee = unwrap(node.expression);
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        report(node, "purity/import", `dynamic import() loads a module that is not checked ${where(ctx)}`);
      } else if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) {
        const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : keyOf(callee);
        if (method === "constructor") {
          report(node, "purity/dynamic-code", `${shortText(callee)}() may construct a function from a string ${where(ctx)}`);
        }
      }
      for (const w of callWrites(node)) {
        const o = judged(writtenProv(w, ctx.fn)[0]);
        if (o) report(node, "purity/outer-write", `${w.what} \`${shortText(w.obj)}\`, which belongs to ${o.desc}, ${where(ctx)}`);
      }
    } else if (ts.isBinaryExpression(node) && isAssignmentOperator(node.operatorToken.kind)) {
      checkWrite(node.left, ctx, "assigns to");
    } else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) {
      checkWrite(node.operand, ctx, "updates");
    } else if (ts.isDeleteExpression(node)) {
      checkWrite(node.expression, ctx, "deletes from");
    } else if ((ts.isForOfStatement(node) || ts.isForInStatement(node)) && !ts.isVariableDeclarationList(node.initializer)) {
      checkWrite(node.initializer as ts.Expression, ctx, "assigns to");
    } else if (ts.isYieldExpression(node) && ctx.job && (ctx.chain.length === 0 || delegated(ctx.fn))) {
      if (!node.asteriskToken) {
        report(node, "job/yield", `bare \`yield\` ${where(ctx)}: jobs may only \`yield*\` stage calls, all(...) and sub-job calls`);
      } else if (!node.expression || !isDelegable(node.expression)) {
        report(node, "job/yield", `\`yield* ${node.expression ? shortText(node.expression) : ""}\` ${where(ctx)} is not a stage call, all(...) or a sub-job call`);
      }
    }
    ts.forEachChild(node, (child) => visit(child, ctx));
  }

  // ---- call sites -----------------------------------------------------------------------------

  interface Sites {
    /** Calls, and `new C(...)` for a constructor. */
    calls: (ts.CallExpression | ts.NewExpression)[];
    /** The function is also referenced other than as a callee (passed, stored, exported by value). */
    escaped: boolean;
  }
  let siteIndex: Map<FnNode, Sites> | undefined;

  /** Every call of a project function, anywhere in the program (built once, on first use). */
  function sitesOf(fn: FnNode): Sites {
    if (!siteIndex) {
      const index = new Map<FnNode, Sites>();
      const entry = (f: FnNode): Sites => {
        let s = index.get(f);
        if (!s) index.set(f, (s = { calls: [], escaped: false }));
        return s;
      };
      for (const sf of sourceFiles) {
        const walk = (n: ts.Node): void => {
          if ((ts.isIdentifier(n) && isReference(n)) || (ts.isPropertyAccessExpression(n) && !ts.isPropertyAccessExpression(n.parent))) {
            const e = n as ts.Expression;
            const d = declOf(e);
            const t = d && !(isFn(d) && (d as FnNode).name === n) ? targetOfDecl(d) : undefined;
            const ctor = d && ts.isClassLike(d) ? d.members.find(ts.isConstructorDeclaration) : undefined;
            if (ctor && ts.isNewExpression(n.parent) && n.parent.expression === n) entry(ctor).calls.push(n.parent);
            if (t?.kind === "fn") {
              let p: ts.Node = n.parent;
              let c: ts.Node = n;
              while (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isAsExpression(p)) {
                c = p;
                p = p.parent;
              }
              if (ts.isCallExpression(p) && p.expression === c) entry(t.fn).calls.push(p);
              else if (!(ts.isPropertyAccessExpression(p) && p.expression === c)) entry(t.fn).escaped = true;
            }
          }
          ts.forEachChild(n, walk);
        };
        walk(sf);
      }
      siteIndex = index;
    }
    return siteIndex.get(fn) ?? { calls: [], escaped: false };
  }

  function enclosingFn(n: ts.Node): FnNode | undefined {
    let p: ts.Node | undefined = n.parent;
    while (p && !isFn(p) && !ts.isSourceFile(p)) p = p.parent;
    return p && isFn(p) ? p : undefined;
  }

  /** The outermost function around a node: the activation its callbacks run in. */
  function outermostFn(n: ts.Node): FnNode | undefined {
    let fn = enclosingFn(n);
    for (let outer = fn && enclosingFn(fn); outer; outer = enclosingFn(outer)) fn = outer;
    return fn;
  }

  /**
   * A spec field, looking through `...spread` of objects we can read (the last occurrence wins).
   * "opaque" when a spread we cannot read may supply it.
   */
  function field(spec: ts.ObjectLiteralExpression, name: string, depth = 0): ts.ObjectLiteralElementLike | "opaque" | undefined {
    for (let i = spec.properties.length - 1; i >= 0; i--) {
      const p = spec.properties[i]!;
      if (ts.isSpreadAssignment(p)) {
        const obj = depth < 8 ? objectLiteralOf(p.expression) : undefined;
        if (!obj) return "opaque";
        const inner = field(obj, name, depth + 1);
        if (inner !== undefined) return inner;
      } else if (p.name !== undefined && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name) {
        return p;
      }
    }
    return undefined;
  }

  /**
   * The functions a spec member (`run`, a cost function, a kernel's `bind` or `read`) can be, so
   * they can be walked as pure code. A reference to a sensitive global is reported under its
   * rule; anything else we cannot see through (a call result, an unreadable spread, a parameter
   * with unreadable arguments) is purity/unreadable. A wrapper's parameter (`function
   * cpuStage(name, run) { return defineStage({ ..., run }) }`) is resolved at the wrapper's call
   * sites.
   */
  function specFns(el: ts.ObjectLiteralElementLike, what: string, label: string): FnNode[] {
    if (ts.isMethodDeclaration(el)) return [el];
    if (ts.isGetAccessor(el) || ts.isSetAccessor(el)) {
      report(el, "purity/unreadable", `${what} of ${label} is an accessor; define it inline or as a named function`);
      return [];
    }
    const expr = ts.isPropertyAssignment(el) ? el.initializer : ts.isShorthandPropertyAssignment(el) ? el.name : undefined;
    if (!expr) return [];
    const out: FnNode[] = [];
    fnsOfExpr(expr, el, what, label, out, 0);
    return out;
  }

  function fnsOfExpr(expr: ts.Expression, at: ts.Node, what: string, label: string, out: FnNode[], depth: number): void {
    const unreadable = (why: string): void =>
      report(at, "purity/unreadable", `${what} of ${label} (${shortText(expr)}) ${why}; define it inline or as a named function`);
    if (depth > 8) return unreadable("cannot be followed");
    const e = unwrap(expr);
    const made = definingExpr(e);
    // A factory's result (`counted(f)`): what it returns may call arguments we cannot follow.
    if (ts.isCallExpression(made) && !entities.has(made) && staticPath(made) === undefined) return unreadable("is the result of a call");
    const t = targetOfExpr(e);
    if (t?.kind === "fn") {
      out.push(t.fn);
      return;
    }
    const sp = staticPath(e);
    if (sp) {
      const segs = stripHost(sp.segments);
      if (sp.dynamic) return unreadable("is a computed member of a global");
      if (segs.length === 1 && segs[0] === "Date") return void report(at, "purity/clock", `${what} of ${label} is \`${shortText(e)}\`, which reads the clock`);
      const hit = sensitiveHit(segs);
      if (hit) return void report(at, hit[1][0], `${what} of ${label} is \`${shortText(e)}\`, which ${hit[1][1]}`);
      return; // a built-in such as Math.sqrt or JSON.stringify
    }
    const d = definingExpr(e);
    if (ts.isConditionalExpression(d)) {
      fnsOfExpr(d.whenTrue, at, what, label, out, depth + 1);
      fnsOfExpr(d.whenFalse, at, what, label, out, depth + 1);
      return;
    }
    if (ts.isIdentifier(d)) {
      const r = resolveIdentifier(d);
      if (r.kind === "decl" && ts.isParameter(r.decl) && isFn(r.decl.parent) && ts.isIdentifier(r.decl.name)) {
        const wrapper = r.decl.parent;
        const index = wrapper.parameters.indexOf(r.decl);
        const sites = sitesOf(wrapper);
        if (sites.escaped || sites.calls.length === 0) return unreadable(`is a parameter of \`${fnName(wrapper)}\`, which is not only called directly`);
        for (const call of sites.calls) {
          const arg = call.arguments?.[index];
          if (!arg) {
            if (!r.decl.initializer) report(call, "purity/unreadable", `${what} of ${label} is missing at this call of \`${fnName(wrapper)}\``);
            else fnsOfExpr(r.decl.initializer, call, what, label, out, depth + 1);
          } else if (ts.isSpreadElement(arg)) report(arg, "purity/unreadable", `${what} of ${label} comes from a spread argument; cannot read it`);
          else fnsOfExpr(arg, arg, what, label, out, depth + 1);
        }
        return;
      }
      if (r.kind === "sdk" || r.kind === "allowed-import") return;
    }
    if (ts.isCallExpression(d)) return unreadable("is the result of a call");
    return unreadable("is not a function the checker can see");
  }

  // ---- per-entity checks ----------------------------------------------------------------------

  const sortedEntities = [...entities.values()].sort((a, b) => a.order - b.order);

  const rootCtx = (root: string, fn: FnNode, job: Entity | undefined): Ctx => ({ root, fn, chain: [], job, visited: new Set([fn]) });
  /** Walks a root function, or (in the first pass) only records it as a stage's or job's root. */
  function walkRoot(fn: FnNode, ctx: Ctx): void {
    if (muted) (ctx.job ? jobRoots : stageRoots).add(fn);
    else walkFunction(fn, ctx);
  }

  function checkStage(st: Entity): void {
    const label = `stage \`${st.name}\``;
    const spec = st.spec;
    if (!spec) {
      report(st.call, "purity/unreadable", `cannot read the spec of ${label} statically; pass an object literal (or a const bound to one)`);
      return;
    }
    // run (walked first, so an opaque spread is reported as hiding run)
    const runEl = field(spec, "run");
    if (runEl === "opaque") report(st.call, "purity/unreadable", `run of ${label} may come from a spread the checker cannot read; define it inline or as a named function`);
    else if (!runEl) report(st.call, "purity/unreadable", `${label} has no run`);
    else {
      for (const run of specFns(runEl, "run", label)) {
        const isAsync = (ts.getCombinedModifierFlags(run as ts.Declaration) & ts.ModifierFlags.Async) !== 0;
        if (run.asteriskToken || isAsync) {
          report(runEl, "stage/sync", `run of ${label} is ${isAsync ? "async" : "a generator"}; a stage's run must be a plain synchronous function (use a job to wait on other calls)`);
        }
        walkRoot(run, rootCtx(label, run, undefined));
      }
    }
    // timeoutMs
    const timeout = field(spec, "timeoutMs");
    if (timeout === "opaque") {
      // supplied, perhaps, by a spread we cannot read
    } else if (!timeout) {
      report(st.call, "stage/timeout", `${label} has no timeoutMs`);
    } else if (ts.isPropertyAssignment(timeout)) {
      const v = constNumber(timeout.initializer);
      if (v === undefined) report(timeout, "stage/timeout", `timeoutMs of ${label} is not a constant; cannot verify it is positive`, "warning");
      else if (!(Number.isFinite(v) && v > 0)) report(timeout, "stage/timeout", `timeoutMs of ${label} must be a positive finite number, got ${shortText(timeout.initializer)}`);
    }
    // caps
    const caps = field(spec, "caps");
    if (caps === "opaque") {
      // as above
    } else if (!caps) {
      report(st.call, "stage/caps", `${label} has no caps (known: ${KNOWN_CAPS.join(", ")})`);
    } else if (ts.isPropertyAssignment(caps)) {
      const arr = definingExpr(caps.initializer);
      if (!ts.isArrayLiteralExpression(arr)) {
        if (ts.isStringLiteral(arr) || ts.isNumericLiteral(arr) || ts.isObjectLiteralExpression(arr)) report(caps, "stage/caps", `caps of ${label} must be an array of capability tags`);
        else report(caps, "stage/caps", `caps of ${label} are not a literal array; cannot verify them`, "warning");
      } else if (arr.elements.length === 0) {
        report(caps, "stage/caps", `${label} has empty caps; it needs at least one of ${KNOWN_CAPS.join(", ")}`);
      } else {
        const tags: string[] = [];
        for (const el of arr.elements) {
          if (ts.isSpreadElement(el)) continue;
          const tag = constString(el);
          if (tag === undefined) report(el, "stage/caps", `capability ${shortText(el)} of ${label} is not a constant string`, ts.isIdentifier(el) ? "warning" : "error");
          else if (!(KNOWN_CAPS as readonly string[]).includes(tag)) report(el, "stage/caps", `unknown capability "${tag}" in ${label} (known: ${KNOWN_CAPS.join(", ")})`);
          else tags.push(tag);
        }
        if (field(spec, "kernel") && field(spec, "kernel") !== "opaque" && !tags.includes("simd") && !arr.elements.some(ts.isSpreadElement)) {
          report(caps, "stage/caps", `${label} has a kernel but its caps lack "simd"`);
        }
      }
    }
    // cost
    const cost = field(spec, "cost");
    const costFns: [string, FnNode][] = [];
    if (cost === "opaque") {
      report(st.call, "purity/unreadable", `the cost model of ${label} may come from a spread the checker cannot read`);
    } else if (!cost) {
      report(st.call, "stage/cost", `${label} has no cost model (cost: { runtimeMs, outputBytes })`);
    } else if (ts.isPropertyAssignment(cost) || ts.isShorthandPropertyAssignment(cost)) {
      const obj = ts.isPropertyAssignment(cost) ? objectLiteralOf(cost.initializer) : objectLiteralOf(cost.name);
      if (!obj) report(cost, "purity/unreadable", `cost model of ${label} is not an object literal the checker can read`);
      else {
        const spread = obj.properties.some(ts.isSpreadAssignment);
        const missing = ["runtimeMs", "outputBytes"].filter((key) => !prop(obj, key));
        if (missing.length > 0 && !spread) report(cost, "stage/cost", `cost model of ${label} has no ${missing.join(" and no ")} function`);
        for (const key of ["runtimeMs", "outputBytes"]) {
          const el = prop(obj, key);
          if (!el) continue;
          const d = ts.isPropertyAssignment(el) ? definingExpr(el.initializer) : undefined;
          const literal = d !== undefined && (ts.isNumericLiteral(d) || ts.isStringLiteral(d) || ts.isObjectLiteralExpression(d) || ts.isArrayLiteralExpression(d) || d.kind === ts.SyntaxKind.NullKeyword);
          if (literal) report(el, "stage/cost", `${key} of ${label} must be a function of the input size, got ${shortText((el as ts.PropertyAssignment).initializer)}`);
          else for (const fn of specFns(el, `cost.${key}`, label)) costFns.push([key, fn]);
        }
      }
    }
    // purity: run, cost functions, the kernel's bind and read (the gpu-runner calls both)
    for (const [key, fn] of costFns) walkRoot(fn, rootCtx(`cost.${key} of ${label}`, fn, undefined));
    const kernel = field(spec, "kernel");
    if (kernel === "opaque") report(st.call, "purity/unreadable", `kernel of ${label} may come from a spread the checker cannot read`);
    else if (kernel) {
      const kernelObj = ts.isPropertyAssignment(kernel) ? objectLiteralOf(kernel.initializer) : ts.isShorthandPropertyAssignment(kernel) ? objectLiteralOf(kernel.name) : undefined;
      if (!kernelObj) report(kernel, "purity/unreadable", `kernel of ${label} is not an object literal the checker can read`);
      else {
        for (const key of ["bind", "read"]) {
          const el = field(kernelObj, key);
          if (el === "opaque") report(kernel, "purity/unreadable", `kernel.${key} of ${label} may come from a spread the checker cannot read`);
          else if (el) for (const fn of specFns(el, `kernel.${key}`, label)) walkRoot(fn, rootCtx(`kernel.${key} of ${label}`, fn, undefined));
        }
      }
    }
  }

  function checkJob(job: Entity): void {
    const label = `job \`${job.name}\``;
    if (!job.spec) {
      report(job.call, "purity/unreadable", `cannot read the spec of ${label} statically; pass an object literal (or a const bound to one)`);
      return;
    }
    const runEl = field(job.spec, "run");
    if (runEl === "opaque") {
      report(job.call, "purity/unreadable", `run of ${label} may come from a spread the checker cannot read; define it inline or as a named generator function`);
      return;
    }
    if (!runEl) {
      report(job.call, "job/not-generator", `${label} has no run generator`);
      return;
    }
    for (const run of specFns(runEl, "run", label)) {
      if (!run.asteriskToken) {
        report(runEl, "job/not-generator", `run of ${label} must be a generator function (*run(input) { ... }): jobs are replayed from their yields`);
      }
      walkRoot(run, rootCtx(label, run, job));
    }
  }

  // Two passes: the first (muted) finds every root, so a helper's parameter is judged knowing
  // which functions are a stage's input (never its own) and a job's (a private copy).
  for (const pass of [true, false]) {
    muted = pass;
    for (const e of sortedEntities) {
      if (e.kind === "stage") checkStage(e);
      else checkJob(e);
    }
  }
  checkStateReads();

  // ---- job cycles -----------------------------------------------------------------------------

  for (const cycle of findJobCycles(jobs.length, edges)) {
    const names = cycle.jobs.map((i) => jobs[i]!.name).join(" -> ");
    const site = cycle.hops[0]!.site;
    if (cycle.deadlock) report(site, "job/cycle", `deadlock: ${names} with the same input each time waits on itself`);
    else if (cycle.hops.every((h) => h.same)) report(site, "job/cycle", `possible deadlock: ${names} passes the same input, but not on every path`, "warning");
    else report(site, "job/cycle", `possible deadlock: ${names} (fine if the input shrinks on every round)`, "warning");
  }

  // ---- code identity --------------------------------------------------------------------------

  const definitionOf = (decl: ts.Node): Entity | undefined =>
    ts.isVariableDeclaration(decl) && decl.initializer && ts.isCallExpression(unwrap(decl.initializer)) ? entities.get(unwrap(decl.initializer) as ts.CallExpression) : undefined;
  const digestScope = {
    declarationOf: (id: ts.Identifier) => {
      const r = resolveIdentifier(id);
      return r.kind === "decl" ? r.decl : undefined;
    },
    // A job that calls another job or a stage counts it by its ref: calling another version is other code.
    definitionNamed: (decl: ts.Node) => {
      const e = definitionOf(decl);
      return e && `${e.kind} ${identify(e).ref ?? e.name}`;
    },
  };
  /** An entity's constant version (a job's defaults to 1) and ref, when the checker can read them. */
  function identify(e: Entity): { version?: number; ref?: string } {
    const versionProp = e.spec ? prop(e.spec, "version") : undefined;
    const written = versionProp && ts.isPropertyAssignment(versionProp) ? constNumber(versionProp.initializer) : undefined;
    const version = versionProp === undefined && e.kind === "job" ? 1 : written;
    const named = e.spec !== undefined && e.name === constStringProp(e.spec, "name");
    if (!Number.isInteger(version)) return {};
    return named ? { version: version!, ref: `${e.name}@${version}` } : { version: version! };
  }
  const code = sortedEntities.map((e): CodeIdentity => {
    const { version, ref } = identify(e);
    const sf = e.call.getSourceFile();
    return {
      kind: e.kind,
      name: e.name,
      ...(version === undefined ? {} : { version }),
      ...(ref === undefined ? {} : { ref }),
      digest: codeDigest(e.call, digestScope),
      file: sf.fileName,
      line: sf.getLineAndCharacterOfPosition(e.call.getStart(sf)).line + 1,
    };
  });

  function constStringProp(spec: ts.ObjectLiteralExpression, name: string): string | undefined {
    const p = prop(spec, name);
    return p && ts.isPropertyAssignment(p) ? constString(p.initializer) : undefined;
  }

  diagnostics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : 1)));
  return { files: sourceFiles.map((sf) => sf.fileName).sort(), diagnostics, code };
}

/** Checks in-memory sources (absolute "/"-separated paths to text); every one is a root. */
export function checkSources(sources: Readonly<Record<string, string>>, options: CheckOptions = {}): CheckResult {
  return checkFiles(Object.keys(sources), { readFile: (f) => sources[f] }, options);
}
