import type { ToAcceptor } from "../core/paxos/index.ts";

/**
 * At most one call in flight per acceptor. Messages produced meanwhile wait and leave
 * together in the next call: a slow acceptor then costs one pending RPC, not one per
 * retransmission, and bursts of accepts share a single storage transaction on its side.
 * Identical messages waiting together are sent once (retransmissions repeat themselves).
 */
export class AcceptorChannel {
  private busy = false;
  private waiting: ToAcceptor[] = [];
  private waitingKeys = new Set<string>();
  private delivered: (() => void)[] = [];

  /** `deliver` sends one batch and must settle eventually; its outcome is its own business. */
  constructor(private readonly deliver: (batch: ToAcceptor[]) => Promise<void>) {}

  /** Resolves once the batch carrying these messages has settled, whatever the outcome. */
  send(messages: readonly ToAcceptor[]): Promise<void> {
    for (const message of messages) {
      const key = JSON.stringify(message);
      if (this.waitingKeys.has(key)) continue;
      this.waitingKeys.add(key);
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
    this.waitingKeys = new Set();
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
