/**
 * The chaos suite's fault schedule: what fails, when and for how long, from a seed (the same
 * seed gives the same schedule). First a tour that hits every kind of fault once, in an order
 * that builds up (one acceptor away, then two of three); longer runs then draw more faults at
 * random. Times are ms from the start of the run; every fault ends before `durationMs`.
 */
import { Random } from "../core/sim/random.ts";

export type Fault =
  /** SIGKILL a runner mid-call (this one, or another honest one when this one has nothing in flight) and start it again after `downMs`. */
  | { readonly kind: "runner-kill"; readonly runner: string; readonly downMs: number }
  /** Start a runner that takes calls and never answers; SIGKILL it after `forMs`. */
  | { readonly kind: "runner-hang"; readonly forMs: number }
  /** These acceptors of one shard refuse every request for `forMs`, then come back. */
  | { readonly kind: "acceptors-down"; readonly shard: number; readonly acceptors: readonly number[]; readonly forMs: number }
  /** A commander Durable Object dies with its memory, mid-job. */
  | { readonly kind: "commander-abort"; readonly shard: number; readonly commander: number }
  /** SIGKILL workerd (every Durable Object and Worker at once) and start it again on its persisted state. */
  | { readonly kind: "workerd-restart"; readonly downMs: number }
  /** Every request between the plane and a runner, both ways, waits `delayMs` for `forMs`. */
  | { readonly kind: "slow-link"; readonly runner: string; readonly delayMs: number; readonly forMs: number };

export interface TimedFault {
  readonly at: number;
  readonly fault: Fault;
}

export interface ClusterShape {
  /** Runners that may be killed or slowed (the honest ones). */
  readonly runners: readonly string[];
  readonly shards: number;
  readonly acceptorsPerShard: number;
  readonly commandersPerShard: number;
}

/** How long a fault lasts, at most: a fault's end must leave time to heal before the run ends. */
const span = (durationMs: number, share: number) => Math.max(2_000, Math.round(durationMs * share));

export function faultSchedule(seed: number, durationMs: number, shape: ClusterShape): TimedFault[] {
  const r = new Random(seed);
  const runner = () => r.pick(shape.runners);
  const shard = () => r.int(shape.shards);
  const at = (share: number) => Math.round(durationMs * share);
  const twoAcceptors = () => {
    const first = r.int(shape.acceptorsPerShard);
    return [first, (first + 1 + r.int(shape.acceptorsPerShard - 1)) % shape.acceptorsPerShard];
  };
  const out: TimedFault[] = [];
  const add = (share: number, fault: Fault) => out.push({ at: at(share), fault });

  // The tour: every kind once.
  add(0.05, { kind: "slow-link", runner: runner(), delayMs: 200 + r.int(800), forMs: span(durationMs, 0.2) });
  add(0.1, { kind: "runner-kill", runner: runner(), downMs: 1_000 + r.int(3_000) });
  const acceptorShard = shard();
  const [a, b] = twoAcceptors();
  add(0.15, { kind: "acceptors-down", shard: acceptorShard, acceptors: [a!], forMs: span(durationMs, 0.1) });
  add(0.3, { kind: "acceptors-down", shard: acceptorShard, acceptors: [a!, b!], forMs: Math.min(span(durationMs, 0.08), 8_000) });
  add(0.4, { kind: "commander-abort", shard: shard(), commander: r.int(shape.commandersPerShard) });
  add(0.45, { kind: "runner-hang", forMs: span(durationMs, 0.2) });
  add(0.55, { kind: "workerd-restart", downMs: 500 + r.int(2_000) });

  // Longer runs: one more fault every ~8 s of the rest, drawn at random (no second workerd kill
  // within a minute of the last, no acceptor episodes overlapping in a shard).
  const rounds = Math.floor((durationMs * 0.3) / 8_000);
  let lastRestart = at(0.55);
  const acceptorBusyUntil = new Map<number, number>([[acceptorShard, at(0.3) + Math.min(span(durationMs, 0.08), 8_000)]]);
  for (let i = 0; i < rounds; i++) {
    const when = 0.62 + (0.3 * i) / Math.max(1, rounds);
    const t = at(when);
    const kind = r.weighted({ "runner-kill": 3, "commander-abort": 3, "acceptors-down": 2, "slow-link": 2, "workerd-restart": 1 });
    if (kind === "runner-kill") add(when, { kind, runner: runner(), downMs: 1_000 + r.int(3_000) });
    else if (kind === "commander-abort") add(when, { kind, shard: shard(), commander: r.int(shape.commandersPerShard) });
    else if (kind === "slow-link") add(when, { kind, runner: runner(), delayMs: 200 + r.int(800), forMs: span(durationMs, 0.05) });
    else if (kind === "workerd-restart" && t - lastRestart >= 60_000) {
      add(when, { kind, downMs: 500 + r.int(2_000) });
      lastRestart = t;
    } else if (kind === "acceptors-down") {
      const s = shard();
      const forMs = 2_000 + r.int(4_000);
      if ((acceptorBusyUntil.get(s) ?? -1) >= t) continue;
      acceptorBusyUntil.set(s, t + forMs);
      add(when, { kind, shard: s, acceptors: r.chance(0.5) ? [r.int(shape.acceptorsPerShard)] : twoAcceptors(), forMs });
    }
  }
  return out.sort((x, y) => x.at - y.at);
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case "runner-kill":
      return `SIGKILL runner ${fault.runner}, restart after ${fault.downMs} ms`;
    case "runner-hang":
      return `a runner that takes calls and never answers, for ${fault.forMs} ms`;
    case "acceptors-down":
      return `shard ${fault.shard}: acceptor${fault.acceptors.length > 1 ? "s" : ""} ${fault.acceptors.join(" and ")} down for ${fault.forMs} ms`;
    case "commander-abort":
      return `abort shard-${fault.shard}/commander-${fault.commander}`;
    case "workerd-restart":
      return `SIGKILL workerd, restart after ${fault.downMs} ms`;
    case "slow-link":
      return `slow link to ${fault.runner}: +${fault.delayMs} ms each way for ${fault.forMs} ms`;
  }
}
