import type { StageEnvironment } from "./shapes.ts";

/**
 * What shapes/environment answers on every backend: UTC and en-US (runners/stage-environment.ts).
 * The workerd and e2e tests compare against this one value.
 */
export const STAGE_ENVIRONMENT: StageEnvironment = {
  hours: 0,
  offset: 0,
  number: "1,234.5",
  date: "1/1/1970, 12:00:00 AM",
  locale: "en-US",
  timeZone: "UTC",
};
