/**
 * The gpu-runner end to end against a stand-in plane: registration (caps from the adapter, the
 * calibrated speed profile, the adapter in `info`), calls over HTTP run on the device and
 * reported back, kernel failures reported as the call's failure, stages it does not run
 * refused; calibration; and the CLI (prints the adapter, keeps retrying registration, exits 0 on
 * SIGTERM with the device destroyed).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Value, createRegistry, defineStage, encode } from "../../core/index.ts";
import { inlinePayload } from "../../core/jobs/payload.ts";
import type { CallRequest } from "../../core/jobs/protocol.ts";
import { registry as examples } from "../../examples/index.ts";
import { sumReference } from "../../examples/numeric-pipeline.ts";
import { calibrate, describeCalibration, parseSpeedProfile } from "../../gpu-runners/calibrate.ts";
import type { Gpu } from "../../gpu-runners/device.ts";
import { GpuExecutor } from "../../gpu-runners/executor.ts";
import { SAMPLES } from "../../gpu-runners/samples.ts";
import { type GpuRunner, capsOf, startGpuRunner } from "../../gpu-runners/start.ts";
import { mapReference } from "../../kernels/index.ts";
import { FakePlane, ROOT, STAGES, openGpu, until } from "./support.ts";

let gpu: Gpu;
const logs: string[] = [];
const planes: FakePlane[] = [];
const runners: GpuRunner[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  gpu = await openGpu(logs);
}, 120_000);

afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await Promise.all(planes.splice(0).map((p) => p.close()));
});

afterAll(() => gpu?.close());

async function plane(): Promise<FakePlane> {
  const p = await new FakePlane().start();
  // Heartbeats often enough for a test to see the load they carry change.
  p.heartbeatReply = { status: "up", heartbeatMs: 50 };
  planes.push(p);
  return p;
}

/** A user stage whose WGSL does not compile (line 3, `vec5` is no type). */
const broken = defineStage({
  name: "test/broken",
  version: 1,
  caps: ["simd"],
  timeoutMs: 1_000,
  cost: { runtimeMs: () => 1, outputBytes: () => 16 },
  run: (xs: Float32Array) => xs,
  kernel: {
    wgsl: "@group(0) @binding(0) var<storage, read_write> out: array<f32>;\n@compute @workgroup_size(1)\nfn main() { let v: vec5<f32> = vec5<f32>(); }\n",
    entryPoint: "main",
    bind: (xs) => ({ inputs: [], output: { type: "f32", length: xs.length }, params: [], workgroups: [1, 1, 1] }),
    read: (out) => out as Float32Array,
  },
});

const stages = new Map([...STAGES, ...createRegistry({ broken }).stages]);

let seq = 0;
const call = (stage: string, input: Value): CallRequest => ({
  job: "job-gpu",
  seq: seq++,
  attempt: 1,
  stage,
  input: inlinePayload(encode(input)),
  deadlineAt: Date.now() + 60_000,
});

async function post(url: string, body: unknown): Promise<{ status: number; json: { error?: { code: string; message: string } } }> {
  const response = await fetch(`${url}/v1/calls`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as never };
}

describe("gpu-runner (library) against a plane", () => {
  const speed = { cpu: 1, simd: 0.5, stages: { "numeric-pipeline/sum@1": 0.25 } };

  async function start(p: FakePlane): Promise<GpuRunner> {
    const r = await startGpuRunner({ apiUrl: p.url, id: "gpu-test", gpu, stages, speed, heartbeatMs: 20, log: (line) => logs.push(line) });
    runners.push(r);
    await r.registered;
    return r;
  }

  it("registers with caps from the adapter, the speed profile and the adapter's facts", async () => {
    const p = await plane();
    const r = await start(p);
    const caps = capsOf(gpu.facts);
    expect(caps.slice(0, 2)).toEqual(["gpu", "simd"]);
    expect(caps.includes("f16")).toBe(gpu.facts.features.includes("shader-f16"));
    expect(caps.includes("subgroups")).toBe(gpu.facts.features.includes("subgroups"));
    expect(p.registrations).toEqual([expect.objectContaining({ id: "gpu-test", url: r.url, caps, speed, slots: 1 })]);
    const info = p.registrations[0]!.info!;
    expect(info).toMatchObject({ runner: "gpu-runner", backend: gpu.facts.backend, description: gpu.facts.description, software: String(gpu.facts.software) });
    expect(Number(info.maxStorageBufferBindingSize)).toBeGreaterThan(0);
    expect(Object.values(info).every((v) => typeof v === "string")).toBe(true);
    await until(() => expect(p.heartbeats.length).toBeGreaterThan(0));
    expect(p.heartbeats[0]).toEqual({ queue: 0, inFlight: 0, bytesIn: 0, bytesOut: 0, probeMs: expect.any(Number) });
  });

  it("runs calls on the device and reports their results", async () => {
    const p = await plane();
    const r = await start(p);
    const xs = Float32Array.from({ length: 10_000 }, (_, i) => Math.sin(i) * 100);
    const a = Float32Array.from({ length: 300 }, (_, i) => i / 7);
    expect((await post(r.url, call("numeric-pipeline/sum@1", xs))).status).toBe(202);
    expect((await post(r.url, call("simd/map@1", { op: "square", a }))).status).toBe(202);
    await until(() => expect(p.results).toHaveLength(2));
    const bySeq = [...p.results].sort((x, y) => x.seq - y.seq);
    expect(p.valueOf(bySeq[0]!)).toBe(sumReference(xs));
    expect(p.valueOf(bySeq[1]!)).toEqual(mapReference({ op: "square", a }));
    for (const report of p.results) {
      expect(report.job).toBe("job-gpu");
      expect(report.attempt).toBe(1);
      expect(report.finishedAt).toBeGreaterThanOrEqual(report.startedAt);
    }
    const status = r.gpuStatus();
    expect(status).toMatchObject({ id: "gpu-test", queue: 0, inFlight: 0, gpu: { backend: gpu.facts.backend, kernelCalls: 2, kernelFailures: 0 } });
    expect(status.gpu.recent.calls).toBe(2);
    expect(status.gpu.recent.totalMs).toBeGreaterThan(0);
    expect(status.bytesOut).toBeGreaterThan(1_200);
    // Heartbeats (and GET /v1/status) now carry the recent kernel and transfer times.
    expect(status.recentComputeMs).toBeGreaterThan(0);
    expect(status.recentTransferMs).toBeGreaterThan(0);
    const seen = p.heartbeats.length;
    await until(() => expect(p.heartbeats.length).toBeGreaterThan(seen));
    expect(p.heartbeats.at(-1)).toMatchObject({ recentComputeMs: expect.any(Number), recentTransferMs: expect.any(Number) });
    const served = (await (await fetch(`${r.url}/v1/status`)).json()) as Record<string, unknown>;
    expect(served).toMatchObject({ id: "gpu-test", recentComputeMs: expect.any(Number), recentTransferMs: expect.any(Number) });
  });

  it("reports a kernel that does not compile as the call's failure, with line and column", async () => {
    const p = await plane();
    const r = await start(p);
    expect((await post(r.url, call("test/broken@1", new Float32Array(4)))).status).toBe(202);
    await until(() => expect(p.results).toHaveLength(1));
    const { outcome } = p.results[0]!;
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error.name).toBe("WgslCompileError");
    expect(outcome.error.message).toMatch(/^stage "test\/broken@1": its WGSL kernel does not compile:\n {2}line 3:\d+: .*vec5/);
    // The runner goes on.
    expect((await post(r.url, call("numeric-pipeline/sum@1", new Float32Array([1, 2, 3])))).status).toBe(202);
    await until(() => expect(p.results).toHaveLength(2));
    expect(p.valueOf(p.results[1]!)).toBe(6);
  });

  it("refuses stages it does not run: plain CPU stages and stages it does not bundle (404 unknown_stage)", async () => {
    const p = await plane();
    const r = await start(p);
    const cpuStage = [...STAGES.values()].find((s) => s.caps.includes("cpu"))!;
    for (const ref of [cpuStage.ref, "simd/nope@1"]) {
      const answer = await post(r.url, call(ref, 1));
      expect(answer.status).toBe(404);
      expect(answer.json.error?.code).toBe("unknown_stage");
    }
  });
});

describe("calibration", () => {
  it("measures every kernel stage: finite positive factors, simd their median, cpu 1, kernels agreeing with run()", async () => {
    const executor = new GpuExecutor({ gpu, stages: STAGES, log: (line) => logs.push(line) });
    const c = await calibrate({ executor, adapter: gpu.facts, reps: 2, log: (line) => logs.push(line) });
    const kernelRefs = executor.kernelStages().map((s) => s.ref);
    expect(c.skipped).toEqual([]);
    expect(c.stages.map((s) => s.ref).sort()).toEqual([...kernelRefs].sort());
    for (const s of c.stages) {
      expect(s.disagreement).toBeUndefined();
      expect(s.inputs.map((i) => i.size)).toEqual(SAMPLES[s.ref]!.calibrationSizes);
      for (const i of s.inputs) expect(Number.isFinite(i.ratio) && i.ratio > 0).toBe(true);
      expect(Number.isFinite(s.factor) && s.factor > 0).toBe(true);
      expect(c.speed.stages?.[s.ref]).toBe(s.factor);
    }
    const factors = c.stages.map((s) => s.factor).sort((a, b) => a - b);
    const mid = factors.length >> 1;
    expect(c.speed.simd).toBe(factors.length % 2 ? factors[mid] : (factors[mid - 1]! + factors[mid]!) / 2);
    expect(c.speed.cpu).toBe(1);
    expect(parseSpeedProfile(JSON.parse(JSON.stringify(c)), "saved")).toEqual(c.speed);
    const text = describeCalibration(c).join("\n");
    for (const ref of kernelRefs) expect(text).toContain(ref);
  });

  it("refuses a speed profile file that is not one", () => {
    expect(() => parseSpeedProfile({ cpu: 0 }, "p.json")).toThrow("p.json: cpu must be a finite number > 0, got 0");
    expect(() => parseSpeedProfile({ cpu: 1, gpu: 2 }, "p.json")).toThrow('p.json: unknown field "gpu"');
    expect(() => parseSpeedProfile({ cpu: 1, stages: { "Bad Ref": 1 } }, "p.json")).toThrow('p.json: stages: "Bad Ref" is not a stage ref');
    expect(parseSpeedProfile({ cpu: 1, simd: 0.3, stages: { "simd/map@1": 0.2 } }, "p.json")).toEqual({ cpu: 1, simd: 0.3, stages: { "simd/map@1": 0.2 } });
  });
});

describe("gpu-runner (CLI)", () => {
  const ARGS = ["--import", "tsx", "gpu-runners/gpu-runner.ts", "--registry", "examples/index.ts"];
  const cli = (...args: string[]) => spawnSync(process.execPath, [...ARGS, ...args], { cwd: ROOT, encoding: "utf8" });

  function launch(...args: string[]) {
    const child = spawn(process.execPath, [...ARGS, ...args], { cwd: ROOT });
    children.push(child);
    const out = { stdout: "", stderr: "" };
    child.stdout.on("data", (chunk: Buffer) => (out.stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return { child, out, exited };
  }

  /** A port nothing listens on. */
  async function deadPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it("prints the adapter and the calibrated profile, registers with them, runs a call, and exits 0 on SIGTERM", async () => {
    const p = await plane();
    const { child, out, exited } = launch("--api", p.url, "--id", "gpu-cli", "--reps", "1");
    await until(() => expect(out.stdout).toContain("registered with"), 90_000);
    expect(out.stdout).toMatch(/^adapter: .+\n {2}backend (vulkan|opengl|metal|d3d12), /);
    expect(out.stdout).toMatch(/^caps: gpu, simd/m);
    expect(out.stdout).toContain("speed profile (cpu run time / gpu time incl. transfers;");
    const line = /^gpu-runner gpu-cli listening on (http:\/\/127\.0\.0\.1:\d+), registered with (.+)$/m.exec(out.stdout);
    expect(line?.[2]).toBe(p.url);
    const registration = p.registrations[0]!;
    expect(registration).toMatchObject({ id: "gpu-cli", url: line![1], slots: 1 });
    expect(registration.caps.slice(0, 2)).toEqual(["gpu", "simd"]);
    expect(registration.speed.cpu).toBe(1);
    expect(registration.speed.simd).toBeGreaterThan(0);
    // The CLI's default registry is the one the plane deploys (examples/index.ts): its kernel stages.
    const deployed = [...examples.stages.values()].filter((s) => s.kernel).map((s) => s.ref);
    expect(deployed).toEqual(expect.arrayContaining(["numeric-pipeline/matmul@1", "numeric-pipeline/sum@1"]));
    expect(Object.keys(registration.speed.stages ?? {}).sort()).toEqual(deployed.sort());
    expect(registration.info).toMatchObject({ runner: "gpu-runner", speedProfile: "calibrated at start-up" });
    // The adapter it runs on, for people (the dashboard's nodes page): "<backend>: <description>".
    expect(registration.info?.adapter).toMatch(/^\w+: \S/);
    expect((await post(line![1]!, call("numeric-pipeline/sum@1", new Float32Array([0.5, 0.25])))).status).toBe(202);
    await until(() => expect(p.results).toHaveLength(1));
    expect(p.valueOf(p.results[0]!)).toBe(0.75);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out.stderr).toContain("gpu-runner gpu-cli: SIGTERM, stopping");
  }, 120_000);

  it("with no plane: prints the adapter, keeps retrying registration with progress, exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gpu-runner-"));
    const profile = join(dir, "profile.json");
    writeFileSync(profile, JSON.stringify({ cpu: 1, simd: 0.4 }));
    const { child, out, exited } = launch("--api", `http://127.0.0.1:${await deadPort()}`, "--id", "gpu-alone", "--no-calibrate", "--profile", profile);
    await until(() => expect(out.stderr).toMatch(/retry 2 in/), 60_000);
    expect(out.stdout).toMatch(/^adapter: /);
    expect(out.stdout).toContain(`speed profile from ${profile}: {"cpu":1,"simd":0.4}`);
    expect(out.stderr).toMatch(/runner gpu-alone: registering with http:\/\/127\.0\.0\.1:\d+: .*; retry 1 in \d+\.\d s/);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 90_000);

  it("exits 0 on SIGTERM during calibration", async () => {
    const { child, out, exited } = launch("--api", "http://127.0.0.1:1", "--reps", "50");
    await until(() => expect(out.stdout).toContain("calibrating"), 60_000);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 90_000);

  it("exits 2 with a message for bad flags and profile files", () => {
    const noProfile = cli("--api", "http://127.0.0.1:1", "--no-calibrate");
    expect(noProfile.status).toBe(2);
    expect(noProfile.stderr).toContain("error: --no-calibrate needs --profile FILE");
    const backend = cli("--api", "http://127.0.0.1:1", "--backend", "glide");
    expect(backend.status).toBe(2);
    expect(backend.stderr).toContain("error: option '--backend <name>' argument 'glide' is invalid. Allowed choices are auto, vulkan, opengl, metal, d3d12.");
    const missing = cli("--api", "http://127.0.0.1:1", "--profile", "/nonexistent/profile.json");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("error: cannot read the speed profile /nonexistent/profile.json: ENOENT");
    const dir = mkdtempSync(join(tmpdir(), "gpu-runner-"));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ cpu: -1 }));
    const bad = cli("--api", "http://127.0.0.1:1", "--profile", join(dir, "bad.json"));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("cpu must be a finite number > 0, got -1");
  });
});
