import {
  type AcceptorState,
  type AcceptorWrite,
  type ToAcceptor,
  type ToProposer,
  emptyAcceptorState,
  restoreAcceptor,
  stepAcceptor,
} from "../core/paxos/index.ts";
import { checkCluster, parseBatch } from "./acceptor-batch.ts";
import { type AcceptorFault, enactFault } from "./fault.ts";
import { LeaseGuard } from "./lease.ts";
import type { AcceptorTransport } from "./transport.ts";

export interface MemoryAcceptorsOptions {
  /** Leader lease per acceptor (see LeaseGuard); 0 disables it. */
  readonly leaseMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Answer each call in a later macrotask, as a Durable Object's RPC does, rather than a later
   * microtask: then a run of calls yields the event loop between them, and how long one piece of
   * work holds the thread can be measured (bench:scale's longest pause). Default false: a
   * microtask is enough for correctness and keeps tests fast.
   */
  readonly macrotaskHops?: boolean;
}

interface MemoryAcceptor {
  state: AcceptorState;
  /** Everything ever persisted, in order: what survives a crash. */
  readonly disk: AcceptorWrite[];
  fault: AcceptorFault | null;
  lease: LeaseGuard;
  /** The cluster fingerprint stored on first use; durable like `disk`. */
  cluster: string | null;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * In-memory acceptors running the real `stepAcceptor`, for Node tests. Messages and replies are
 * structured-cloned, as an RPC would, so commanders and acceptors never share objects.
 */
export class MemoryAcceptors implements AcceptorTransport {
  private readonly acceptors = new Map<string, MemoryAcceptor>();
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly hop: () => Promise<void>;

  constructor(names: readonly string[], options: MemoryAcceptorsOptions = {}) {
    this.leaseMs = options.leaseMs ?? 0;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.hop = options.macrotaskHops ? nextMacrotask : () => Promise.resolve();
    for (const name of names) this.add(name);
  }

  /** A brand-new, empty acceptor (e.g. the replacement in a reconfiguration). */
  add(name: string): void {
    if (this.acceptors.has(name)) throw new Error(`acceptor ${name} already exists`);
    this.acceptors.set(name, { state: emptyAcceptorState(), disk: [], fault: null, lease: this.newLease(), cluster: null });
  }

  setFault(name: string, fault: AcceptorFault | null): void {
    this.get(name).fault = fault;
  }

  /** Lose everything in memory and rebuild from what was persisted. */
  crash(name: string): void {
    const acceptor = this.get(name);
    acceptor.state = restoreAcceptor(acceptor.disk);
    acceptor.lease = this.newLease();
  }

  /** A copy of one acceptor's state, for assertions. */
  inspect(name: string): AcceptorState {
    return structuredClone(this.get(name).state);
  }

  /** The cluster fingerprint this acceptor stored, if any. */
  clusterOf(name: string): string | null {
    return this.get(name).cluster;
  }

  async call(name: string, messages: ToAcceptor[], cluster: string): Promise<(ToProposer | null)[]> {
    const acceptor = this.get(name);
    const batch = parseBatch(name, structuredClone(messages));
    // A real network never answers synchronously; neither do we.
    await this.hop();
    await enactFault(name, acceptor.fault, this.sleep);
    const first = checkCluster(name, acceptor.cluster, cluster);
    acceptor.lease.check(acceptor.state.promised, batch);
    if (first !== null) acceptor.cluster = first;
    const replies: (ToProposer | null)[] = [];
    for (const message of batch) {
      const { writes, reply } = stepAcceptor(acceptor.state, message);
      acceptor.disk.push(...writes);
      replies.push(reply);
    }
    acceptor.lease.observe(acceptor.state.promised, batch);
    return structuredClone(replies);
  }

  private newLease() {
    return new LeaseGuard(this.leaseMs, this.now);
  }

  private get(name: string): MemoryAcceptor {
    const acceptor = this.acceptors.get(name);
    if (!acceptor) throw new Error(`no such acceptor: ${name}`);
    return acceptor;
  }
}
