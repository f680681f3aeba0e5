/** Acceptor-set configurations and the flexible-quorum rule (|Q1| + |Q2| > N). */

export interface QuorumConfig {
  /** Increases by one with every membership change; 1 for the bootstrap configuration. */
  readonly epoch: number;
  readonly acceptors: readonly string[];
  /** Promises needed to finish Phase 1 (leader election). */
  readonly phase1Quorum: number;
  /** Accepts needed to choose a value in Phase 2. */
  readonly phase2Quorum: number;
  /**
   * Pipeline depth and membership-change delay: a configuration chosen in slot i governs from
   * slot i + alpha. Part of the configuration, so the log (not a commander's local setting)
   * decides it, and the same for the life of the shard: a change must keep it.
   */
  readonly alpha: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Throws a ConfigError naming the problem; returns the config unchanged when valid. */
export function validateConfig(config: QuorumConfig): QuorumConfig {
  const { acceptors, phase1Quorum: q1, phase2Quorum: q2, epoch } = config;
  const n = acceptors.length;
  if (!Number.isInteger(epoch) || epoch < 1) throw new ConfigError(`epoch must be an integer >= 1, got ${epoch}`);
  if (!Number.isInteger(config.alpha) || config.alpha < 1) throw new ConfigError(`alpha must be an integer >= 1, got ${config.alpha}`);
  if (n === 0) throw new ConfigError("a configuration needs at least one acceptor");
  if (new Set(acceptors).size !== n) throw new ConfigError(`acceptor ids must be unique, got [${acceptors.join(", ")}]`);
  for (const [name, q] of [["phase1Quorum", q1], ["phase2Quorum", q2]] as const) {
    if (!Number.isInteger(q) || q < 1 || q > n) {
      throw new ConfigError(`${name} must be an integer between 1 and the number of acceptors (${n}), got ${q}`);
    }
  }
  if (q1 + q2 <= n) {
    throw new ConfigError(
      `quorums do not intersect: phase1Quorum (${q1}) + phase2Quorum (${q2}) must exceed the number of acceptors (${n}); ` +
        `try phase1Quorum=${n - q2 + 1} or phase2Quorum=${n - q1 + 1}`,
    );
  }
  return config;
}

/** Classic majorities, or the given flexible quorums, validated. */
export const DEFAULT_ALPHA = 32;

/** The bootstrap configuration (epoch 1): classic majorities unless flexible quorums are given. */
export function makeConfig(
  acceptors: readonly string[],
  options: { phase1Quorum?: number | undefined; phase2Quorum?: number | undefined; alpha?: number | undefined } = {},
): QuorumConfig {
  const majority = Math.floor(acceptors.length / 2) + 1;
  return validateConfig({
    epoch: 1,
    acceptors: [...acceptors],
    phase1Quorum: options.phase1Quorum ?? majority,
    phase2Quorum: options.phase2Quorum ?? majority,
    alpha: options.alpha ?? DEFAULT_ALPHA,
  });
}

/** A stable text form of a configuration, for comparing what two parties believe. */
export const configFingerprint = (c: QuorumConfig): string =>
  `epoch=${c.epoch};alpha=${c.alpha};q1=${c.phase1Quorum};q2=${c.phase2Quorum};acceptors=${c.acceptors.join(",")}`;

/** The configuration that replaces `dead` by `fresh`, keeping quorum sizes. */
export function replaceAcceptor(config: QuorumConfig, dead: string, fresh: string): QuorumConfig {
  if (!config.acceptors.includes(dead)) throw new ConfigError(`acceptor ${dead} is not in epoch ${config.epoch}`);
  if (config.acceptors.includes(fresh)) throw new ConfigError(`acceptor ${fresh} is already in epoch ${config.epoch}`);
  return validateConfig({
    ...config,
    epoch: config.epoch + 1,
    acceptors: config.acceptors.map((a) => (a === dead ? fresh : a)),
  });
}

/**
 * A configuration chosen in slot `chosenAt` governs slots from `fromSlot` = chosenAt + alpha.
 * The delay alpha bounds the pipeline: a proposer only proposes slot s once every slot up to
 * s - alpha is learned, so every proposer agrees on which acceptors decide slot s.
 */
export interface ConfigChange {
  readonly chosenAt: number;
  readonly fromSlot: number;
  readonly config: QuorumConfig;
}

export type ConfigHistory = readonly ConfigChange[];

export const initialHistory = (config: QuorumConfig): ConfigHistory => [{ chosenAt: 0, fromSlot: 1, config }];

export function configFor(history: ConfigHistory, slot: number): QuorumConfig {
  let found = history[0]!.config;
  for (const change of history) if (change.fromSlot <= slot) found = change.config;
  return found;
}

export const latestConfig = (history: ConfigHistory): QuorumConfig => history[history.length - 1]!.config;

/**
 * The history after a configuration chosen in `slot`: it governs from slot + alpha. Every
 * learner applies the same rule, so stale or invalid changes are skipped, never applied:
 * the epoch must be the next one, and alpha (which bounds every proposer's pipeline) must
 * stay what it was.
 */
export function withChange(history: ConfigHistory, slot: number, config: QuorumConfig): ConfigHistory | null {
  const latest = latestConfig(history);
  if (config.epoch !== latest.epoch + 1 || config.alpha !== latest.alpha) return null;
  try {
    validateConfig(config);
  } catch {
    return null;
  }
  return [...history, { chosenAt: slot, fromSlot: slot + latest.alpha, config }];
}

/** The configurations that decide some slot >= `slot` under the known history. */
export function configsFrom(history: ConfigHistory, slot: number): QuorumConfig[] {
  return history.filter((_, i) => !(history[i + 1] && history[i + 1]!.fromSlot <= slot)).map((c) => c.config);
}

/** Every acceptor that decides some slot >= `slot` under the known history. */
export function acceptorsFrom(history: ConfigHistory, slot: number): string[] {
  return [...new Set(configsFrom(history, slot).flatMap((c) => c.acceptors))];
}
