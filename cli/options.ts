import { InvalidArgumentError } from "commander";

/** Commander argument parser for an http(s) URL (the plane's API, a runner's advertised URL). */
export const httpUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError(`expected an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidArgumentError(`expected an http(s) URL, got "${raw}"`);
  return raw;
};

/** Commander argument parser for integers in [min, max], with an error that names the range. */
export const intOption =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${raw}"`);
    return n;
  };
