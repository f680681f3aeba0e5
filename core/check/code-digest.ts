/**
 * Code identity: a digest of a stage's or job's code, computed over the checker's program (the
 * same TypeScript AST `paxflow check` walks). It covers
 *
 *   - the definition itself: the whole `defineStage({...})` / `defineJob({...})` call (name,
 *     version, caps, timeout, cost model, run, kernel: whatever the spec holds), and
 *   - every top-level declaration (function, const/let, class, enum) of a checked module that the
 *     definition reaches, transitively: helpers, the helpers' helpers, constants, classes.
 *
 * Each piece counts as the sequence of its tokens (the leaves of its AST, as the parser scanned
 * them), so comments, whitespace and formatting do not count, and neither does how a TypeScript
 * version would print it; a statement's `export` does not count either. The pieces are sorted by
 * their text (not by file path: moving a helper to another file, or the repository to another
 * folder, keeps the digest). Another stage or job reached (a job's `yield* square(x)`) counts by its name
 * only, not its code: it has a version (and a digest) of its own. What is not covered: modules
 * outside the checked files (the paxflow SDK, packages from node_modules; pin those with the
 * package lock) and type-only declarations (interfaces, type aliases: they do not run).
 *
 * The digest is the first DIGEST_HEX_CHARS hex digits of a SHA-256 over those texts.
 */
import { createHash } from "node:crypto";
import ts from "typescript";

/** Hex digits of SHA-256 kept (64 bits): enough to tell two builds apart, short enough to read in an error. */
export const DIGEST_HEX_CHARS = 16;

export interface DigestScope {
  /** The project declaration an identifier refers to (following imports), or undefined for globals, the SDK and unchecked modules. */
  declarationOf(id: ts.Identifier): ts.Node | undefined;
  /** "stage square@1" when `decl` is (a const bound to) another stage's or job's definition, else undefined. */
  definitionNamed(decl: ts.Node): string | undefined;
}

const isJsDoc = (n: ts.Node): boolean => n.kind >= ts.SyntaxKind.FirstJSDocNode && n.kind <= ts.SyntaxKind.LastJSDocNode;

/** A node's tokens, space-separated: no comments, no formatting; a leading `export` (`default`) does not count (it does not change what runs). */
function print(node: ts.Node): string {
  const sf = node.getSourceFile();
  const tokens: string[] = [];
  const leaves = (n: ts.Node): void => {
    if (isJsDoc(n)) return;
    const children = n.getChildren(sf);
    if (children.length > 0) children.forEach(leaves);
    else if (n.kind !== ts.SyntaxKind.EndOfFileToken) {
      const text = n.getText(sf);
      if (text !== "") tokens.push(text);
    }
  };
  leaves(node);
  if (tokens[0] === "export") tokens.splice(0, tokens[1] === "default" ? 2 : 1);
  return tokens.join(" ");
}

function contains(outer: ts.Node, inner: ts.Node): boolean {
  return outer.getSourceFile() === inner.getSourceFile() && inner.pos >= outer.pos && inner.end <= outer.end;
}

/** The statement directly under its source file (or module block) that holds `node`. */
function topLevel(node: ts.Node): ts.Node | undefined {
  let n: ts.Node = node;
  while (n.parent && !ts.isSourceFile(n.parent) && !ts.isModuleBlock(n.parent)) n = n.parent;
  return n.parent ? n : undefined;
}

const typeOnly = (n: ts.Node): boolean => ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n) || ts.isImportDeclaration(n) || ts.isExportDeclaration(n);

/** The texts a definition's digest covers, sorted: its own first, then what it reaches. */
export function codeTexts(definition: ts.Node, scope: DigestScope): string[] {
  const reached = new Set<ts.Node>();
  const references = new Set<string>();
  const queue: ts.Node[] = [definition];
  const follow = (root: ts.Node): void => {
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n)) {
        const decl = scope.declarationOf(n);
        if (!decl || ts.isSourceFile(decl) || contains(definition, decl) || contains(root, decl)) return;
        const named = scope.definitionNamed(decl);
        if (named !== undefined) {
          references.add(named);
          return;
        }
        const statement = topLevel(decl);
        if (!statement || typeOnly(statement) || reached.has(statement) || contains(statement, definition)) return;
        reached.add(statement);
        queue.push(statement);
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(root);
  };
  // A definition built inside a factory reaches the factory's parameters and locals: the factory counts too.
  const home = topLevel(definition);
  let inFactory = false;
  for (let p = definition.parent; p && p !== home?.parent; p = p.parent) inFactory ||= ts.isFunctionLike(p);
  if (home && inFactory) {
    reached.add(home);
    queue.push(home);
  }
  while (queue.length > 0) follow(queue.shift()!);
  const helpers = [...reached].map(print);
  return [print(definition), ...[...new Set([...helpers, ...[...references].map((r) => `reference ${r}`)])].sort()];
}

/** The digest of a definition (see the module comment for what it covers). */
export function codeDigest(definition: ts.Node, scope: DigestScope): string {
  return createHash("sha256").update(JSON.stringify(codeTexts(definition, scope))).digest("hex").slice(0, DIGEST_HEX_CHARS);
}
