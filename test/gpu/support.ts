/**
 * What the GPU tests share: the real WebGPU device (no stand-in: a machine without an adapter
 * fails these tests, with the message naming what to install), the stages under test, and a
 * stand-in for the command plane's runner endpoints.
 */
import path from "node:path";
import { vi } from "vitest";
import { type Value, createRegistry } from "../../core/index.ts";
import type { Stage } from "../../core/sdk/stage.ts";
import { registry as examples } from "../../examples/index.ts";
import { BACKENDS, type BackendChoice, Gpu } from "../../gpu-runners/device.ts";
import * as kernels from "../../kernels/index.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export const until = (check: () => void, timeout = 30_000) => vi.waitFor(check, { timeout, interval: 10 });

/** Every bundled stage: the examples' registry (what the plane deploys) and the kernels library. */
export const STAGES: ReadonlyMap<string, Stage<Value, Value>> = new Map([...examples.stages, ...createRegistry(kernels).stages]);

/** PAXFLOW_GPU_BACKEND picks a backend (default auto: what the gpu-runner would pick). */
export function testBackend(): BackendChoice {
  const raw = process.env.PAXFLOW_GPU_BACKEND ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(raw)) throw new Error(`PAXFLOW_GPU_BACKEND must be one of ${BACKENDS.join(", ")}, got "${raw}"`);
  return raw as BackendChoice;
}

/** Opens the device the runner would use; throws (failing the file) when there is none. */
export async function openGpu(logs: string[] = []): Promise<Gpu> {
  return Gpu.open({ backend: testBackend(), log: (line) => logs.push(line) });
}


export { FakePlane } from "../shared/fake-plane.ts";
