/**
 * The time zone and default locale stages run under on Node, the same as workerd's (UTC, en-US;
 * test/workerd/stage-environment.test.ts checks workerd's): a stage that formats a date or a number
 * without naming a zone or locale gives the same answer on every backend, so a retry or a
 * verifying run elsewhere agrees. docs/writing-jobs.md, "Defence in depth at run time".
 */
import { FREEZE_INPUTS_SETTING, FreezeInputsSettingError, freezeInputsFrom } from "../core/sdk/run-stage.ts";
import { UsageError } from "./cli-common.ts";

export const STAGE_TIME_ZONE = "UTC";
export const STAGE_LOCALE = "en-US";

/**
 * What a runner process is spawned with (`paxflow runner`, `paxflow dev`). Node's ICU takes its
 * default locale from LC_ALL / LANG once, at process start, and nothing can change it later, so
 * the spawner must set it; LC_ALL wins over LANG and every LC_* variable.
 */
export const STAGE_PROCESS_ENV = { TZ: STAGE_TIME_ZONE, LC_ALL: "en_US.UTF-8" } as const;

/** A runner started (directly, not through the CLI) in another default locale refuses to start. */
export class StageLocaleError extends Error {
  override readonly name = "StageLocaleError";
  readonly code = "wrong-locale";
  readonly expected = STAGE_LOCALE;
  constructor(readonly locale: string) {
    super(
      `this process's default locale is ${locale}, but stages run in ${STAGE_LOCALE} on every backend; ` +
        `start the runner with LC_ALL=${STAGE_PROCESS_ENV.LC_ALL} (as \`paxflow runner\` does)`,
    );
  }
}

/**
 * Called by startRunner before any stage runs: sets TZ (Node re-reads process.env.TZ when it is
 * assigned, since v13) and refuses a default locale it cannot change.
 */
export function fixStageEnvironment(): void {
  process.env.TZ = STAGE_TIME_ZONE;
  const { locale } = new Intl.DateTimeFormat().resolvedOptions();
  if (locale !== STAGE_LOCALE) throw new StageLocaleError(locale);
}

/** PAXFLOW_FREEZE_INPUTS from this process's environment (core/sdk/run-stage.ts); a bad value is a usage error. */
export function freezeInputsFromEnv(): boolean {
  try {
    return freezeInputsFrom(process.env[FREEZE_INPUTS_SETTING]);
  } catch (error) {
    throw error instanceof FreezeInputsSettingError ? new UsageError(error.message) : error;
  }
}
