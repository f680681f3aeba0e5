/**
 * CPU profiles of workerd isolates over the V8 inspector (Miniflare's `inspectorPort`), and a
 * breakdown of where the time went by source file and function, mapped back through the
 * bundle's source map. Used by `paxflow bench jobs --profile`.
 *
 * V8 samples real time, so this sees what workerd's own clock cannot (it only moves on I/O).
 * It sees JavaScript only: time workerd spends natively (SQLite, RPC serialization, HTTP
 * parsing) shows up as "(program)" when the isolate's thread is in it, or as idle time.
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, isAbsolute, relative, resolve } from "node:path";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

type Socket = {
  send(data: string): void;
  close(): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "open" | "close" | "error", listener: (event: unknown) => void): void;
};

/** WebSocket: Node's global when it has one (22+), else the `ws` package Miniflare depends on. */
async function openSocket(url: string): Promise<Socket> {
  const Global = (globalThis as { WebSocket?: new (url: string) => Socket }).WebSocket;
  // Through a variable: `ws` has no types here, and is only needed when profiling on Node < 22.
  const wsModule: string = "ws";
  const Ctor = Global ?? ((await import(wsModule)) as { default: new (url: string) => Socket }).default;
  const socket = new Ctor(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    socket.addEventListener("error", (e) => reject(new Error(`inspector ${url}: ${String((e as { message?: string }).message ?? e)}`)));
  });
  return socket;
}

/** A Chrome DevTools Protocol session with one isolate. */
export class Inspector {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly socket: Socket) {
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const w = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) w?.reject(new Error(message.error.message));
      else w?.resolve(message.result);
    });
  }

  /** Connects to the isolate of the worker named `worker` (workerd calls it "core:user:<name>"). */
  static async connect(port: number, worker: string): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { id: string; webSocketDebuggerUrl: string }[];
    const target = targets.find((t) => t.id === worker);
    if (!target) throw new Error(`no inspector target "${worker}" (have: ${targets.map((t) => t.id).join(", ")})`);
    return new Inspector(await openSocket(target.webSocketDebuggerUrl));
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  async start(intervalUs = 100): Promise<void> {
    await this.send("Profiler.enable");
    await this.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await this.send("Profiler.start");
  }

  async stop(): Promise<CpuProfile> {
    const { profile } = await this.send<{ profile: CpuProfile }>("Profiler.stop");
    return profile;
  }

  close(): void {
    this.socket.close();
  }
}

export interface Breakdown {
  /** Sampled time in ms, all of it (idle included). */
  readonly totalMs: number;
  /** Sampled time not idle: JavaScript, GC and "(program)" (native work on the isolate's thread). */
  readonly busyMs: number;
  /** Self time by source file (or V8 bucket), ms, largest first. */
  readonly byFile: readonly { readonly file: string; readonly ms: number }[];
  /** Self time by function, ms, largest first. */
  readonly byFunction: readonly { readonly fn: string; readonly ms: number }[];
  /** Inclusive time (self + callees, synchronous parts only) of chosen functions, ms. */
  readonly inclusive: readonly { readonly fn: string; readonly ms: number }[];
}

/** Maps bundle positions to source files; without a source map, names the bundle. */
function mapper(bundlePath: string | undefined, root: string) {
  let map: SourceMap | null = null;
  if (bundlePath) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, "utf8")));
    } catch {
      map = null;
    }
  }
  const cache = new Map<string, { file: string; fn: string }>();
  return (frame: CallFrame): { file: string; fn: string } => {
    const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}:${frame.functionName}`;
    let hit = cache.get(key);
    if (hit) return hit;
    const name = frame.functionName || "(anonymous)";
    if (!frame.url) {
      hit = { file: name.startsWith("(") ? name : "(native)", fn: name };
    } else if (map && frame.lineNumber >= 0) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number };
      const original = entry.originalSource?.replace(/^file:\/\//, "");
      const source = original ? relative(root, isAbsolute(original) ? original : resolve(dirname(bundlePath!), original)) : frame.url;
      const file = source.replace(/^(\.\.\/)+/, "").replace(/^.*node_modules\//, "node_modules/");
      hit = { file, fn: `${name} (${file}:${(entry.originalLine ?? frame.lineNumber) + 1})` };
    } else {
      hit = { file: frame.url, fn: `${name} (${frame.url}:${frame.lineNumber + 1})` };
    }
    cache.set(key, hit);
    return hit;
  };
}

/** Self and inclusive times of a profile; `inclusiveOf` are function names to total up. */
export function breakdown(profile: CpuProfile, bundlePath: string | undefined, root: string, inclusiveOf: readonly string[] = []): Breakdown {
  const where = mapper(bundlePath, root);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute each interval to the sample that ends it.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>(inclusiveOf.map((f) => [f, 0]));
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id)!;
    totalMs += ms;
    if (node.callFrame.functionName === "(idle)") {
      idleMs += ms;
      continue;
    }
    const { file, fn } = where(node.callFrame);
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    // Each named function counts once per sample even when it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (inclusive.has(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, inclusive.get(name)! + ms);
      }
    }
  }
  const sorted = <K extends string>(m: Map<string, number>, key: K) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ [key]: name, ms }) as { [P in K]: string } & { ms: number });
  return {
    totalMs,
    busyMs: totalMs - idleMs,
    byFile: sorted(byFile, "file"),
    byFunction: sorted(byFunction, "fn"),
    inclusive: sorted(inclusive, "fn"),
  };
}
