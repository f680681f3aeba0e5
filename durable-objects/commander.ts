import { DurableObject } from "cloudflare:workers";
import type { JobId, NodeId, NodeLoad, NodeSpec } from "../core/jobs/decisions.ts";
import { payloadKey } from "../core/jobs/payload.ts";
import type { Viewer } from "../core/jobs/tenancy.ts";
import type { Committed } from "../core/paxos/index.ts";
import type { CommandSlot } from "../runtime/applied-log.ts";
import { type CommanderStatus, CommanderDriver, type Reconfigured, type SubmitCommand } from "../runtime/commander-driver.ts";
import type { JobPlane, ListJobsQuery, ResultOffer, SubmitJobRequest } from "../runtime/jobs/contract.ts";
import type { StoreCursor, StoredJob } from "../runtime/jobs/finished-jobs.ts";
import { JobDriver } from "../runtime/jobs/job-driver.ts";
import { PayloadHolds } from "../runtime/jobs/payload-holds.ts";
import { Payloads } from "../runtime/jobs/payload-store.ts";
import { jsonLogger } from "../runtime/log.ts";
import { realTimers } from "../runtime/timers.ts";
import { PaxflowError, errorCode } from "../runtime/errors.ts";
import type { Registry } from "../core/sdk/registry.ts";
import { DurableAcceptorTransport } from "./acceptor-transport.ts";
import type { Env } from "./env.ts";
import { parseJobsConfig } from "./jobs-config.ts";
import { builtinNodes } from "../core/jobs/builtins.ts";
import { createLearningScheduler } from "../core/sched/learning-scheduler.ts";
import { SqliteFinishedJobs } from "./finished-jobs-sqlite.ts";
import { r2Blobs } from "./r2-blobs.ts";
import { runnerBackends } from "./runner-backends.ts";
import {
  ShardConfigError,
  checkReplacementAcceptor,
  commanderName,
  initialConfig,
  nextAcceptorOf,
  parseCommanderName,
  parseShardConfig,
} from "./shard-config.ts";

/** Most entries one read() returns: keeps RPC replies small. */
const MAX_READ = 1_000;

/** While jobs run, the alarm wakes the commander at least this often (a fresh incarnation resumes them). */
const WATCHDOG_MS = 2_000;

/** Longest a long-poll holds an RPC open. */
const MAX_WAIT_MS = 60_000;

/**
 * One commander ("shard-<k>/commander-<i>"): a CommanderDriver whose acceptors are Acceptor
 * Durable Objects, and the JobDriver that the log drives. Its own storage holds its alarm and the
 * finished jobs it applied (finished-jobs-sqlite.ts, kept for JOB_RETENTION); a new incarnation
 * rebuilds the running jobs from the acceptors' snapshot and log.
 *
 * `registry` is the deployment's stages and jobs: the Worker entry exports a subclass with a
 * two-argument constructor that passes it (workers/define-paxflow.ts), since workerd constructs
 * a Durable Object from (ctx, env) alone.
 */
export class Commander extends DurableObject<Env> implements JobPlane {
  private readonly driver: CommanderDriver;
  private readonly jobs: JobDriver;
  private readonly shard: number;
  private readonly name: string;
  /** The alarm time we last set (memory only): avoids a storage write per request. */
  private alarmAt: number | null = null;
  private nameStored = false;

  private static storedName(ctx: DurableObjectState): string | undefined {
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS identity (name TEXT NOT NULL)");
    return ctx.storage.sql.exec<{ name: string }>("SELECT name FROM identity").toArray()[0]?.name;
  }

  constructor(ctx: DurableObjectState, env: Env, registry: Registry) {
    super(ctx, env);
    // An alarm wakes an instance without its name (ctx.id.name is undefined there): the name was
    // stored when the alarm was set.
    const name = ctx.id.name ?? Commander.storedName(ctx);
    if (!name) throw new ShardConfigError("a Commander must be addressed by name (COMMANDER.idFromName)");
    this.name = name;
    const config = parseShardConfig(env);
    const jobsConfig = parseJobsConfig(env);
    const { shard } = parseCommanderName(config, name);
    this.shard = shard;
    const blobs = r2Blobs(env.PAYLOADS);
    const payloadHolds = new PayloadHolds(blobs, shard, name, jsonLogger({ shard, commander: name }), realTimers);
    this.jobs = new JobDriver({
      shard,
      registry,
      // Its own seals go through its holds (PayloadHolds.sealing): a blob deleted before it is held is written again.
      payloads: new Payloads(payloadHolds.sealing(blobs), jobsConfig.inlinePayloadBytes, payloadKey),
      payloadHolds,
      backends: runnerBackends(env, jobsConfig.runnerAllow),
      timers: realTimers,
      builtins: builtinNodes(jobsConfig.workerLatencyMs, jobsConfig.workerSlots),
      scheduler: createLearningScheduler({ inlineMaxMs: jobsConfig.inlineMaxMs }),
      maxWaitMs: MAX_WAIT_MS,
      finished: new SqliteFinishedJobs(ctx.storage.sql, jobsConfig.retainJobs),
      retentionMs: jobsConfig.jobRetentionMs,
      name,
      // The shard's other commanders' finished jobs, for the slots a snapshot made this one skip (job-driver.ts fillGap).
      peers: () =>
        new Map(
          Array.from({ length: config.commandersPerShard }, (_, index) => commanderName(shard, index))
            .filter((peer) => peer !== name)
            .map((peer) => [peer, env.COMMANDER.get(env.COMMANDER.idFromName(peer))]),
        ),
      maxCallsPerJob: jobsConfig.maxCallsPerJob,
      maxJobDepth: jobsConfig.maxJobDepth,
      maxRunningJobs: jobsConfig.maxRunningJobs,
      verify: jobsConfig.verify,
      maxNodes: jobsConfig.maxNodes,
      freezeInputs: jobsConfig.freezeInputs,
      nodeExpiryMs: jobsConfig.nodeExpiryMs,
      commander: (machine, onElected) =>
        new CommanderDriver({
          // A fresh id per incarnation, so a restarted commander can never reuse an old ballot.
          id: `${name}#${crypto.randomUUID()}`,
          initial: initialConfig(config, shard),
          transport: new DurableAcceptorTransport(env.ACCEPTOR, config),
          maxBatch: config.maxBatch,
          retryMs: config.retryMs,
          callTimeoutMs: config.callTimeoutMs,
          campaignTimeoutMs: config.campaignTimeoutMs,
          commitTimeoutMs: config.commitTimeoutMs,
          compactEvery: config.compactEvery,
          maxCommandBytes: config.maxCommandBytes,
          maxBatchBytes: config.maxBatchBytes,
          maxPending: config.maxPending,
          thrifty: config.thrifty,
          autoReplaceAfterMs: config.autoReplaceAfterMs,
          // Half the acceptors' lease: room for the clocks of two machines and the message's way.
          readLeaseMs: Math.floor(config.leaseMs / 2),
          freshAcceptor: (_dead, known) => nextAcceptorOf(config, shard, known),
          machine,
          onElected,
        }),
    });
    this.driver = this.jobs.commander;
    // Learn what was chosen before this incarnation existed; failures are retried on demand.
    void this.driver.catchUp().catch(() => undefined);
  }

  async submit(commands: SubmitCommand[]): Promise<CommandSlot[]> {
    return this.driver.submit(commands);
  }

  async reconfigure(deadAcceptor: string, freshAcceptor: string): Promise<Reconfigured> {
    return this.driver.reconfigure(deadAcceptor, checkReplacementAcceptor(this.shard, freshAcceptor));
  }

  async catchUp(): Promise<{ learnedThrough: number }> {
    return this.driver.catchUp();
  }

  async read(fromSlot = 1, limit = 100): Promise<Committed[]> {
    return this.driver.read(fromSlot, Math.min(Math.max(limit, 0), MAX_READ));
  }

  /** For a peer commander of this shard filling its store's gap (runtime/jobs/job-driver.ts fillGap). */
  async finishedBetween(after: number, through: number, cursor: StoreCursor | null, limit: number): Promise<StoredJob[]> {
    return this.jobs.finishedBetween(after, through, cursor, limit);
  }

  async status(): Promise<CommanderStatus> {
    return this.driver.status();
  }

  /**
   * Chaos testing (PAXFLOW_CHAOS="1"): this incarnation dies at once with everything in its
   * memory, as when its machine goes away; the next request or alarm starts a fresh one.
   */
  async abort(reason: string): Promise<void> {
    if (this.env.PAXFLOW_CHAOS !== "1") throw new PaxflowError("chaos-disabled", 'fault injection is disabled: set PAXFLOW_CHAOS="1" to allow abort');
    this.ctx.abort(reason);
  }

  // ---- jobs (JobPlane) ---------------------------------------------------------------------

  submitJob(request: SubmitJobRequest) {
    return this.watch(this.jobs.submitJob(request));
  }
  getJob(id: JobId, viewer: Viewer, waitMs?: number) {
    return this.watch(this.jobs.getJob(id, viewer, waitMs));
  }
  jobEvents(id: JobId, viewer: Viewer, after: number, waitMs: number) {
    return this.watch(this.jobs.jobEvents(id, viewer, after, waitMs));
  }
  cancelJob(id: JobId, viewer: Viewer, reason: string) {
    return this.watch(this.jobs.cancelJob(id, viewer, reason));
  }
  listJobs(query: ListJobsQuery) {
    return this.jobs.listJobs(query);
  }
  registerNode(spec: NodeSpec, signedAt: number) {
    return this.jobs.registerNode(spec, signedAt);
  }
  removeNode(id: NodeId, reason: string) {
    return this.watch(this.jobs.removeNode(id, reason));
  }
  heartbeat(id: NodeId, load: NodeLoad) {
    return this.watch(this.jobs.heartbeat(id, load));
  }
  quarantineNode(id: NodeId, reason: string) {
    return this.watch(this.jobs.quarantineNode(id, reason));
  }
  offerResult(offer: ResultOffer) {
    return this.watch(this.jobs.offerResult(offer));
  }

  offerResults(offers: readonly ResultOffer[]) {
    return this.watch(this.jobs.offerResults(offers));
  }
  listNodes() {
    return this.jobs.listNodes();
  }
  jobStats() {
    return this.jobs.jobStats();
  }
  metrics() {
    return this.jobs.metrics();
  }
  /** The learning scheduler's view: load forecast (AR(2)), node health (phi, anomaly) and statistics. */
  async scheduling() {
    return this.jobs.scheduling();
  }

  /** The alarm: expired deadlines, and the takeover of jobs a previous incarnation left running. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    try {
      await this.jobs.tick();
    } catch (error) {
      // Another commander leads (or the quorum is away): it handles the jobs; we look again later.
      // Or this one's store of finished jobs still waits for a peer's copy (job-driver.ts fillGap): the next alarm tries again.
      if (!["not-leader", "commit-timeout", "lease-held", "store-incomplete"].includes(errorCode(error) ?? "")) throw error;
    }
    await this.rearm();
  }

  /** After work that may leave jobs running, make sure an alarm will come back for them. */
  private async watch<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } finally {
      this.ctx.waitUntil(this.rearm().catch(() => undefined));
    }
  }

  private async rearm(): Promise<void> {
    if (this.jobs.state.runningJobs().length === 0) return;
    const now = Date.now();
    const deadline = this.jobs.nextDeadline();
    const at = Math.min(deadline ?? Infinity, now + WATCHDOG_MS);
    // An alarm due before the one we need already wakes us in time.
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > now) return;
    if (!this.nameStored) {
      this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS identity (name TEXT NOT NULL)");
      this.ctx.storage.sql.exec("DELETE FROM identity");
      this.ctx.storage.sql.exec("INSERT INTO identity (name) VALUES (?)", this.name);
      this.nameStored = true;
    }
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}
