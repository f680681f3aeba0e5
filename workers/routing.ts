import { fnv1a } from "../core/hash.ts";
import { compareBallots } from "../core/paxos/index.ts";
import { errorCode, errorMessage } from "../runtime/errors.ts";

/** Stable key -> shard routing (FNV-1a is the same everywhere, forever). */
export const shardOf = (key: string, shards: number): number => fnv1a(key) % shards;

/**
 * Which commander of a shard to ask first: the one that last committed for this isolate.
 * Workers keep no state that matters, so this is only a hint: a wrong guess costs one
 * refused call, and the refusal names the leader.
 */
export class LeaderHints {
  private readonly last = new Map<number, number>();

  firstChoice(shard: number): number {
    return this.last.get(shard) ?? 0;
  }

  committed(shard: number, commander: number): void {
    this.last.set(shard, commander);
  }
}

/** The commander index named by a not-leader error's hint ("... leader hint: shard-k/commander-i#..."). */
export function hintedCommander(error: unknown): number | null {
  if (errorCode(error) !== "not-leader") return null;
  const match = /leader hint: shard-\d+\/commander-(\d+)/.exec(errorMessage(error));
  return match ? Number(match[1]) : null;
}

/**
 * Calls commanders in order of likelihood to lead: the remembered leader, then whoever a
 * refusal names, then the rest. Each is asked at most once; the errors of all are returned
 * if none succeeds. A `final` error stops the search: the others would only say the same, or
 * (for a busy leader) campaign against it.
 */
export async function tryCommanders<T>(
  first: number,
  count: number,
  call: (commander: number) => Promise<T>,
  /** Errors that asking another commander cannot fix (e.g. the leader is overloaded, the command is too large). */
  final: (error: unknown) => boolean = () => false,
): Promise<{ ok: true; value: T; commander: number } | { ok: false; errors: { commander: number; error: unknown }[] }> {
  const queue = [first, ...Array.from({ length: count }, (_, i) => i).filter((i) => i !== first)];
  const tried = new Set<number>();
  const errors: { commander: number; error: unknown }[] = [];
  while (queue.length > 0) {
    const commander = queue.shift()!;
    if (tried.has(commander)) continue;
    tried.add(commander);
    try {
      return { ok: true, value: await call(commander), commander };
    } catch (error) {
      errors.push({ commander, error });
      if (final(error)) break;
      const hint = hintedCommander(error);
      if (hint !== null && hint < count && !tried.has(hint)) queue.unshift(hint);
    }
  }
  return { ok: false, errors };
}

/** What /v1/cluster needs to know of one commander to tell the leader. */
export interface LeaderCandidate {
  readonly role: string;
  readonly ballot: { readonly round: number; readonly proposer: string };
}

/**
 * Among commanders that believe they lead, only the one with the highest ballot can: the
 * acceptors it reached promised that ballot, which refuses every lower one. The others have not
 * heard yet that they were preempted: they are "stale-leader". Returns the leader's index and
 * each commander's role as shown.
 */
export function electedView(commanders: readonly (LeaderCandidate | null)[]): { leader: number | null; roles: (string | null)[] } {
  let leader: number | null = null;
  for (const [i, c] of commanders.entries()) {
    if (c?.role !== "leader") continue;
    const best = leader === null ? null : commanders[leader]!;
    if (!best || compareBallots(c.ballot, best.ballot) > 0) leader = i;
  }
  const roles = commanders.map((c, i) => (c === null ? null : c.role === "leader" && i !== leader ? "stale-leader" : c.role));
  return { leader, roles };
}
