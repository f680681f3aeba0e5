/**
 * Ways a runner misbehaves on purpose, so the chaos suite and the verification tests can show
 * what the plane does about each: a runner that answers wrongly (result verification catches
 * it), one that takes calls and never answers (deadlines), one that reports each result twice
 * (first result wins), one that reports very late (a late answer counts, or is dropped).
 * Selected with `--misbehave`; a runner prints a warning when it has one.
 */
import { InvalidArgumentError } from "commander";

export type Misbehaviour =
  | { readonly kind: "lie" }
  | { readonly kind: "hang" }
  | { readonly kind: "twice" }
  | { readonly kind: "late"; readonly ms: number };

export const MISBEHAVIOURS = "lie | hang | twice | late=<ms>";

export function parseMisbehaviour(raw: string): Misbehaviour {
  if (raw === "lie" || raw === "hang" || raw === "twice") return { kind: raw };
  const late = /^late=(\d+)$/.exec(raw);
  if (late) return { kind: "late", ms: Number(late[1]) };
  throw new InvalidArgumentError(`expected one of ${MISBEHAVIOURS}, got "${raw}"`);
}

/** A wrong value that still decodes: what a lying runner reports instead of the stage's output. */
export const lie = <T>(value: T): [string, T] => ["paxflow: a wrong answer on purpose", value];
