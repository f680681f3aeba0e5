/**
 * Structured logs: one JSON object per line, so Workers Logs (and `wrangler tail`) can filter
 * on fields. Every line has `job`, `call` and `trace` (null when the line is not about one): the
 * trace of a job is its root job's id (a job tree is one trace); an API line's trace is its
 * request's (`x-paxflow-trace`, or `cf-ray`).
 */
export interface LogContext {
  readonly job?: string | null;
  /** "job#seq". */
  readonly call?: string | null;
  readonly trace?: string | null;
  readonly [field: string]: unknown;
}

export type Level = "info" | "warn" | "error";

/** Where lines go (console by default; tests capture them). */
export type Sink = (level: Level, line: string) => void;

const consoleSink: Sink = (level, line) => (level === "error" ? console.error(line) : level === "warn" ? console.warn(line) : console.log(line));

export interface Logger {
  info(msg: string, fields?: LogContext): void;
  warn(msg: string, fields?: LogContext): void;
  error(msg: string, fields?: LogContext): void;
  /** A logger whose lines also carry these fields. */
  with(fields: LogContext): Logger;
}

const errorFields = (value: unknown): unknown =>
  value instanceof Error ? { name: value.name, message: value.message, ...(value.stack ? { stack: value.stack } : {}) } : value;

export function jsonLogger(base: LogContext = {}, sink: Sink = consoleSink): Logger {
  const emit = (level: Level, msg: string, fields: LogContext = {}) => {
    const merged: Record<string, unknown> = { level, src: "paxflow", msg, job: null, call: null, trace: null, ...base, ...fields };
    if (merged.trace === null && typeof merged.job === "string") merged.trace = merged.job;
    for (const [key, value] of Object.entries(merged)) merged[key] = errorFields(value);
    sink(level, JSON.stringify(merged));
  };
  return {
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    with: (fields) => jsonLogger({ ...base, ...fields }, sink),
  };
}
