/**
 * Runner request signatures: every request a runner sends the plane carries
 *
 *   x-paxflow-runner: <runner id>
 *   x-paxflow-timestamp: <ms since the epoch>
 *   x-paxflow-nonce: <random, hex>
 *   x-paxflow-signature: hex HMAC-SHA-256(secret, METHOD \n path?query \n hex SHA-256(body) \n timestamp \n nonce)
 *
 * where the runner's secret is HMAC-SHA-256(RUNNER_KEY, "paxflow-runner:" + id) in hex: the
 * plane holds one key (a Worker secret) and derives each runner's secret from its id, so a stolen
 * runner secret lets its holder act as that one runner only. WebCrypto only: the same code signs
 * in Node runners and verifies in the Worker.
 */

export const RUNNER_HEADERS = {
  runner: "x-paxflow-runner",
  timestamp: "x-paxflow-timestamp",
  nonce: "x-paxflow-nonce",
  signature: "x-paxflow-signature",
} as const;

/** How far a request's timestamp may be from the plane's clock, either way. */
export const MAX_SKEW_MS = 60_000;

const encoder = new TextEncoder();

const hex = (bytes: ArrayBuffer): string => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

async function hmac(key: string, message: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", k, encoder.encode(message)));
}

export async function sha256Hex(body: Uint8Array | string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", typeof body === "string" ? encoder.encode(body) : body));
}

/** A runner's secret, from the plane's RUNNER_KEY and the runner's id. */
export const deriveRunnerSecret = (runnerKey: string, runnerId: string): Promise<string> => hmac(runnerKey, `paxflow-runner:${runnerId}`);

const canonical = (method: string, pathAndQuery: string, bodyHash: string, timestamp: string, nonce: string) =>
  `${method.toUpperCase()}\n${pathAndQuery}\n${bodyHash}\n${timestamp}\n${nonce}`;

export interface SignInput {
  readonly runnerId: string;
  readonly secret: string;
  readonly method: string;
  /** Absolute URL or path; only the path and query are signed (proxies may change the host). */
  readonly url: string;
  readonly body?: Uint8Array | string;
  /** The body's SHA-256 in hex, when the caller has it already (a payload named by it): not hashed again. */
  readonly bodySha256?: string;
  readonly now: number;
  readonly nonce: string;
}

export async function signRequest(input: SignInput): Promise<Record<string, string>> {
  const u = new URL(input.url, "http://runner.invalid");
  const timestamp = String(Math.round(input.now));
  const bodyHash = input.bodySha256 ?? (await sha256Hex(input.body ?? ""));
  const signature = await hmac(input.secret, canonical(input.method, u.pathname + u.search, bodyHash, timestamp, input.nonce));
  return {
    [RUNNER_HEADERS.runner]: input.runnerId,
    [RUNNER_HEADERS.timestamp]: timestamp,
    [RUNNER_HEADERS.nonce]: input.nonce,
    [RUNNER_HEADERS.signature]: signature,
  };
}

/** A fresh nonce: 128 random bits. */
export const newNonce = (): string => hex(crypto.getRandomValues(new Uint8Array(16)).buffer);

/** `signedAt`: the request's verified timestamp (registrations must be newer than the node's last one). */
export type Verdict = { readonly ok: true; readonly runnerId: string; readonly signedAt: number } | { readonly ok: false; readonly reason: string };

/**
 * Checks a request's signature headers against the plane's key. Does not remember nonces (the
 * caller does, for as long as MAX_SKEW_MS): `nonce` is returned so it can.
 */
export function verifyRequest(input: VerifyInput & { readonly runnerKey: string }): Promise<Verdict & { readonly nonce?: string }> {
  return verifyWith(input, (runnerId) => deriveRunnerSecret(input.runnerKey, runnerId));
}

/** A runner's check of what the plane sends it: signed for this runner's own id with its own secret. */
export function verifyForRunner(input: VerifyInput & { readonly runnerId: string; readonly secret: string }): Promise<Verdict & { readonly nonce?: string }> {
  return verifyWith(input, async (claimed) => (claimed === input.runnerId ? input.secret : null));
}

interface VerifyInput {
  readonly method: string;
  readonly url: string;
  readonly header: (name: string) => string | undefined;
  /**
   * The body, or its SHA-256 in hex for a body the plane streams on without reading (a payload
   * upload: its path names that digest, and the store refuses bytes that do not hash to it).
   */
  readonly body: Uint8Array | { readonly sha256: string };
  readonly now: number;
}

/** The signature headers of a request whose format and timestamp are acceptable. */
export interface SignatureHeaders {
  readonly runnerId: string;
  readonly timestamp: number;
  readonly nonce: string;
  readonly signature: string;
}

/**
 * The checks that need no body: every header present and well-formed, the timestamp within
 * MAX_SKEW_MS. The plane runs these before it reads a byte of the body, so an unsigned or stale
 * request costs nothing however large it claims to be.
 */
export function readSignatureHeaders(header: (name: string) => string | undefined, now: number): ({ readonly ok: true } & SignatureHeaders) | { readonly ok: false; readonly reason: string } {
  const runnerId = header(RUNNER_HEADERS.runner);
  const timestamp = header(RUNNER_HEADERS.timestamp);
  const nonce = header(RUNNER_HEADERS.nonce);
  const signature = header(RUNNER_HEADERS.signature);
  if (!runnerId || !timestamp || !nonce || !signature) {
    return { ok: false, reason: `unsigned runner request: send ${Object.values(RUNNER_HEADERS).join(", ")} (docs/runner-protocol.md)` };
  }
  if (!/^[1-9]\d{0,15}$/.test(timestamp)) return { ok: false, reason: `${RUNNER_HEADERS.timestamp} must be milliseconds since the epoch` };
  if (!/^[0-9a-f]{16,64}$/.test(nonce)) return { ok: false, reason: `${RUNNER_HEADERS.nonce} must be 16 to 64 hex digits` };
  if (!/^[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: `${RUNNER_HEADERS.signature} must be 64 hex digits (HMAC-SHA-256)` };
  const skew = now - Number(timestamp);
  if (Math.abs(skew) > MAX_SKEW_MS) {
    return { ok: false, reason: `stale runner request: its timestamp is ${Math.round(skew / 1000)} s from the plane's clock (at most ${MAX_SKEW_MS / 1000} s)` };
  }
  return { ok: true, runnerId, timestamp: Number(timestamp), nonce, signature };
}

async function verifyWith(input: VerifyInput, secretFor: (runnerId: string) => Promise<string | null>): Promise<Verdict & { readonly nonce?: string }> {
  const headers = readSignatureHeaders(input.header, input.now);
  if (!headers.ok) return headers;
  const { runnerId, nonce, signature } = headers;
  const u = new URL(input.url, "http://runner.invalid");
  const secret = await secretFor(runnerId);
  if (secret === null) return { ok: false, reason: `signed for runner "${runnerId}", not this one` };
  const bodyHash = input.body instanceof Uint8Array ? await sha256Hex(input.body) : input.body.sha256;
  const expected = await hmac(secret, canonical(input.method, u.pathname + u.search, bodyHash, String(headers.timestamp), nonce));
  if (!timingSafeEqualHex(expected, signature)) return { ok: false, reason: `bad signature for runner "${runnerId}"` };
  return { ok: true, runnerId, signedAt: headers.timestamp, nonce };
}

/** Compares two hex strings in time that depends only on their length. */
function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
