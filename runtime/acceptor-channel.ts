import { type ToAcceptor, formatBallot } from "../core/paxos/index.ts";

/**
 * What makes two waiting messages the same request, so the newer one replaces the older:
 * a ballot proposes one value per slot, so an accept is named by (ballot, slot) and its entry
 * never needs to be looked at (hashing full entries on every retransmission costs their size).
 * A later accept or commit of the same key only carries a newer (higher) commit cursor.
 */
export function messageKey(message: ToAcceptor): string {
  switch (message.type) {
    case "prepare":
      return `prepare|${formatBallot(message.ballot)}|${message.fromSlot}`;
    case "accept":
      return `accept|${formatBallot(message.ballot)}|${message.slot}`;
    case "commit":
      return `commit|${formatBallot(message.ballot)}`;
    case "learn":
      return `learn|${message.fromSlot}`;
    case "compact":
      return `compact|${message.snapshot.through}`;
  }
}

/**
 * At most one call in flight per acceptor. Messages produced meanwhile wait and leave
 * together in the next call: a slow acceptor then costs one pending RPC, not one per
 * retransmission, and bursts of accepts share a single storage transaction on its side.
 * A message with the same key as one already waiting (a retransmission) takes its place.
 */
export class AcceptorChannel {
  private busy = false;
  private waiting: ToAcceptor[] = [];
  /** Key -> index in `waiting`. */
  private waitingKeys = new Map<string, number>();
  private delivered: (() => void)[] = [];

  /** `deliver` sends one batch and must settle eventually; its outcome is its own business. */
  constructor(private readonly deliver: (batch: ToAcceptor[]) => Promise<void>) {}

  /** Resolves once the batch carrying these messages has settled, whatever the outcome. */
  send(messages: readonly ToAcceptor[]): Promise<void> {
    for (const message of messages) {
      const key = messageKey(message);
      const index = this.waitingKeys.get(key);
      if (index !== undefined) {
        this.waiting[index] = message;
        continue;
      }
      this.waitingKeys.set(key, this.waiting.length);
      this.waiting.push(message);
    }
    const settled = new Promise<void>((resolve) => this.delivered.push(resolve));
    this.flush();
    return settled;
  }

  private flush(): void {
    if (this.busy) return;
    if (this.waiting.length === 0) {
      for (const resolve of this.delivered.splice(0)) resolve();
      return;
    }
    const batch = this.waiting;
    const delivered = this.delivered;
    this.waiting = [];
    this.waitingKeys = new Map();
    this.delivered = [];
    this.busy = true;
    void this.deliver(batch)
      .catch(() => undefined)
      .then(() => {
        this.busy = false;
        for (const resolve of delivered) resolve();
        this.flush();
      });
  }
}
