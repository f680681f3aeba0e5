import { errorCode, errorMessage } from "../runtime/errors.ts";

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
 * if none succeeds.
 */
export async function tryCommanders<T>(
  first: number,
  count: number,
  call: (commander: number) => Promise<T>,
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
      const hint = hintedCommander(error);
      if (hint !== null && hint < count && !tried.has(hint)) queue.unshift(hint);
    }
  }
  return { ok: false, errors };
}
