/** Syntax helpers the checker's passes share: what a function is, how to see through wrappers, how to quote code in a message. */
import ts from "typescript";

/** A function the checker walks: its parameters and `this` are what provenance is relative to. */
export type FnNode =
  | ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration
  | ts.GetAccessorDeclaration | ts.SetAccessorDeclaration | ts.ConstructorDeclaration;

export const isFn = (n: ts.Node): n is FnNode =>
  ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n) ||
  ts.isGetAccessor(n) || ts.isSetAccessor(n) || ts.isConstructorDeclaration(n);
/** A member of a class or object literal (method, accessor, constructor): its `this` is the receiver. */
export const isMemberFn = (n: ts.Node): boolean =>
  (ts.isMethodDeclaration(n) || ts.isGetAccessor(n) || ts.isSetAccessor(n) || ts.isConstructorDeclaration(n)) && (ts.isClassLike(n.parent) || ts.isObjectLiteralExpression(n.parent));

/** The expression under parentheses, type assertions and `!`. */
export function unwrap(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
    else return e;
  }
}

export const isAssignmentOperator = (k: ts.SyntaxKind): boolean => k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;

/** Whether `inner` is part of `outer` (same file, inside its span). */
export function within(inner: ts.Node, outer: ts.Node): boolean {
  return inner.getSourceFile() === outer.getSourceFile() && inner.pos >= outer.pos && inner.end <= outer.end;
}

/** A node's source on one line, cut to fit a message. */
export function shortText(n: ts.Node): string {
  const t = n.getText().replace(/\s+/g, " ");
  return t.length > 48 ? `${t.slice(0, 45)}...` : t;
}


/** The class a class extends (`class Square extends Rect`), as written. */
export const extendsOf = (cls: ts.ClassLikeDeclaration): ts.Expression | undefined =>
  cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
