import { DurableObject } from "cloudflare:workers";
import {
  type AcceptorState,
  type AcceptorWrite,
  type Ballot,
  type Entry,
  type Snapshot,
  type ToAcceptor,
  type ToProposer,
  compactedThrough,
  emptyAcceptorState,
  stepAcceptor,
} from "../core/paxos/index.ts";
import { checkCluster, parseBatch } from "../runtime/acceptor-batch.ts";
import { PaxflowError } from "../runtime/errors.ts";
import { type AcceptorFault, enactFault, parseFault } from "../runtime/fault.ts";
import { LeaseGuard } from "../runtime/lease.ts";
import type { Env } from "./env.ts";
import { parseLeaseMs } from "./shard-config.ts";

export interface AcceptorStatus {
  readonly promised: Ballot;
  readonly acceptedCount: number;
  /** Every slot up to here is known chosen (through the snapshot or marked chosen). */
  readonly chosenThrough: number;
  readonly snapshotThrough: number;
  readonly fault: AcceptorFault | null;
  /** The bootstrap-configuration fingerprint stored on first use (null before any batch). */
  readonly cluster: string | null;
}

/** At most 3 UTF-8 bytes per UTF-16 unit: 600k units stay under SQLite's 2 MB per value. */
const SNAPSHOT_PART_CHARS = 600_000;

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS promise (id INTEGER PRIMARY KEY CHECK (id = 1), round INTEGER NOT NULL, proposer TEXT NOT NULL)",
  `CREATE TABLE IF NOT EXISTS accepted (
     slot INTEGER PRIMARY KEY, round INTEGER NOT NULL, proposer TEXT NOT NULL, entry TEXT NOT NULL, chosen INTEGER NOT NULL)`,
  "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), through INTEGER NOT NULL, body TEXT NOT NULL)",
  // A snapshot holds the application state (jobs), which can outgrow one SQLite value (2 MB):
  // its JSON is stored in parts, and the snapshot row's body is then empty.
  "CREATE TABLE IF NOT EXISTS snapshot_part (part INTEGER PRIMARY KEY, body TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS fault (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS cluster (id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT NOT NULL)",
];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One Paxos acceptor on SQLite. The transition logic is the pure `stepAcceptor`; this class
 * only loads its state, persists its writes and enacts injected faults.
 */
export class Acceptor extends DurableObject<Env> {
  private state: AcceptorState = emptyAcceptorState();
  private fault: AcceptorFault | null = null;
  private cluster: string | null = null;
  private readonly lease: LeaseGuard;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.lease = new LeaseGuard(parseLeaseMs(env), Date.now);
    void ctx.blockConcurrencyWhile(async () => this.load());
  }

  /**
   * Steps every message in order; the replies leave only after the writes are committed.
   * `cluster` is the fingerprint of the sender's bootstrap configuration (see AcceptorTransport).
   */
  async handle(messages: ToAcceptor[], cluster: string): Promise<(ToProposer | null)[]> {
    const name = this.ctx.id.name ?? this.ctx.id.toString();
    await enactFault(name, this.fault, sleep);
    // Refused whole before anything is stepped: nothing in memory changes for a bad batch.
    const batch = parseBatch(name, messages);
    const firstCluster = checkCluster(name, this.cluster, cluster);
    this.lease.check(this.state.promised, batch);
    const replies: (ToProposer | null)[] = [];
    try {
      // stepAcceptor mutates the in-memory state, so stepping and persisting form one unit:
      // if anything in here throws, memory may hold state that the disk lacks, and this
      // instance must not answer another message from it.
      const writes: AcceptorWrite[] = [];
      for (const message of batch) {
        const step = stepAcceptor(this.state, message);
        writes.push(...step.writes);
        replies.push(step.reply);
      }
      // Durable BEFORE we answer: a promise or accept that was answered but then lost in a
      // restart lets this acceptor contradict itself, and two different values get chosen.
      // transactionSync commits all writes of the batch atomically before it returns, and the
      // output gate holds the reply below until those writes are confirmed durable.
      this.ctx.storage.transactionSync(() => {
        if (firstCluster !== null) {
          this.ctx.storage.sql.exec("INSERT OR REPLACE INTO cluster (id, fingerprint) VALUES (1, ?)", firstCluster);
        }
        for (const write of writes) this.persist(write);
      });
    } catch (error) {
      // Drop this instance so the next one reloads what is really on disk instead of
      // answering from a state it never wrote.
      try {
        this.ctx.abort(`acceptor batch failed: ${error instanceof Error ? error.message : String(error)}`);
      } catch {
        // abort() may throw to unwind the caller; the original error is the one to report.
      }
      throw error;
    }
    if (firstCluster !== null) this.cluster = firstCluster;
    this.lease.observe(this.state.promised, batch);
    return replies;
  }

  async status(): Promise<AcceptorStatus> {
    const snapshotThrough = compactedThrough(this.state);
    let chosenThrough = snapshotThrough;
    while (this.state.accepted.get(chosenThrough + 1)?.chosen) chosenThrough++;
    return {
      promised: this.state.promised,
      acceptedCount: this.state.accepted.size,
      chosenThrough,
      snapshotThrough,
      fault: this.fault,
      cluster: this.cluster,
    };
  }

  /** Fault injection for tests and chaos runs; survives restarts. Needs PAXFLOW_CHAOS="1". */
  async setFault(fault: AcceptorFault | null): Promise<void> {
    if (this.env.PAXFLOW_CHAOS !== "1") {
      throw new PaxflowError("chaos-disabled", 'fault injection is disabled: set PAXFLOW_CHAOS="1" to allow setFault');
    }
    const parsed = parseFault(fault);
    if (parsed) this.ctx.storage.sql.exec("INSERT OR REPLACE INTO fault (id, body) VALUES (1, ?)", JSON.stringify(parsed));
    else this.ctx.storage.sql.exec("DELETE FROM fault");
    this.fault = parsed;
  }

  private load(): void {
    const sql = this.ctx.storage.sql;
    for (const statement of SCHEMA) sql.exec(statement);
    const state = emptyAcceptorState();
    for (const row of sql.exec<{ round: number; proposer: string }>("SELECT round, proposer FROM promise")) {
      state.promised = { round: row.round, proposer: row.proposer };
    }
    for (const row of sql.exec<{ body: string }>("SELECT body FROM snapshot")) {
      const body = row.body !== "" ? row.body : sql.exec<{ body: string }>("SELECT body FROM snapshot_part ORDER BY part").toArray().map((p) => p.body).join("");
      state.snapshot = JSON.parse(body) as Snapshot;
    }
    const rows = sql.exec<{ slot: number; round: number; proposer: string; entry: string; chosen: number }>(
      "SELECT slot, round, proposer, entry, chosen FROM accepted ORDER BY slot",
    );
    for (const row of rows) {
      state.accepted.set(row.slot, {
        ballot: { round: row.round, proposer: row.proposer },
        entry: JSON.parse(row.entry) as Entry,
        chosen: row.chosen === 1,
      });
    }
    for (const row of sql.exec<{ body: string }>("SELECT body FROM fault")) this.fault = parseFault(JSON.parse(row.body));
    for (const row of sql.exec<{ fingerprint: string }>("SELECT fingerprint FROM cluster")) this.cluster = row.fingerprint;
    this.state = state;
  }

  private persist(write: AcceptorWrite): void {
    const sql = this.ctx.storage.sql;
    switch (write.kind) {
      case "promise":
        sql.exec("INSERT OR REPLACE INTO promise (id, round, proposer) VALUES (1, ?, ?)", write.ballot.round, write.ballot.proposer);
        return;
      case "accept": {
        const { ballot, entry } = write.value;
        sql.exec(
          "INSERT OR REPLACE INTO accepted (slot, round, proposer, entry, chosen) VALUES (?, ?, ?, ?, 0)",
          write.slot,
          ballot.round,
          ballot.proposer,
          JSON.stringify(entry),
        );
        return;
      }
      case "chosen":
        for (const slot of write.slots) sql.exec("UPDATE accepted SET chosen = 1 WHERE slot = ?", slot);
        return;
      case "compact":
        sql.exec("DELETE FROM accepted WHERE slot <= ?", write.snapshot.through);
        sql.exec("DELETE FROM snapshot_part");
        sql.exec("INSERT OR REPLACE INTO snapshot (id, through, body) VALUES (1, ?, '')", write.snapshot.through);
        const json = JSON.stringify(write.snapshot);
        for (let part = 0; part * SNAPSHOT_PART_CHARS < json.length; part++) {
          sql.exec("INSERT INTO snapshot_part (part, body) VALUES (?, ?)", part, json.slice(part * SNAPSHOT_PART_CHARS, (part + 1) * SNAPSHOT_PART_CHARS));
        }
        return;
    }
  }
}
