import { PaxflowError } from "./errors.ts";

/** A failure injected into one acceptor (chaos testing). */
export type AcceptorFault =
  | { readonly mode: "down" }
  | { readonly mode: "refuse" }
  | { readonly mode: "slow"; readonly delayMs: number };

export function parseFault(value: unknown): AcceptorFault | null {
  if (value === null) return null;
  const mode = (value as { mode?: unknown } | undefined)?.mode;
  if (mode === "down" || mode === "refuse") return { mode };
  const delayMs = (value as { delayMs?: unknown }).delayMs;
  if (mode === "slow" && typeof delayMs === "number" && Number.isFinite(delayMs) && delayMs >= 0) return { mode, delayMs };
  throw new TypeError(`fault must be null, {mode:"down"}, {mode:"refuse"} or {mode:"slow", delayMs>=0}, got ${JSON.stringify(value)}`);
}

/** Acts out a fault before the acceptor looks at a batch: throw, or wait. */
export async function enactFault(acceptor: string, fault: AcceptorFault | null, sleep: (ms: number) => Promise<void>) {
  if (!fault) return;
  if (fault.mode === "down") throw new PaxflowError("acceptor-down", `acceptor ${acceptor} is down (injected fault)`);
  if (fault.mode === "refuse") throw new PaxflowError("acceptor-refusing", `acceptor ${acceptor} refuses requests (injected fault)`);
  await sleep(fault.delayMs);
}
