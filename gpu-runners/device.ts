/**
 * Dawn (npm `webgpu`) for the gpu-runner: pick the best adapter, open a device, keep it open.
 *
 *   auto     the platform's native backends first (Vulkan on Linux, Metal on macOS, D3D12 then
 *            Vulkan on Windows) with powerPreference "high-performance"; a hardware adapter
 *            found there is used. Otherwise (no adapter, or only a software one: llvmpipe,
 *            lavapipe, SwiftShader, WARP) Mesa over OpenGL in compatibility mode, with
 *            EGL_PLATFORM=surfaceless (no display needed); failing that, the software adapter
 *            the native backend gave.
 *   vulkan, opengl, metal, d3d12   that backend only, software or not.
 *
 * Each backend is asked for explicitly (`create(["backend=vulkan"])` rather than `create([])`)
 * so the runner knows which one it got: Dawn's adapter info does not say.
 *
 * Two Dawn rules shape this file: the object `create()` returns must stay referenced while any
 * device made through it is in use (Dawn crashes if it is collected), so every one is kept for
 * the life of the process; and an adapter makes one device only, so a lost device is replaced
 * by asking for a new adapter on the same backend.
 */
export const BACKENDS = ["auto", "vulkan", "opengl", "metal", "d3d12"] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export type Backend = Exclude<BackendChoice, "auto">;

/** Debian packages that give a machine without a GPU the software path (Mesa llvmpipe over EGL/OpenGL). */
export const DEBIAN_PACKAGES = ["libegl1", "libegl-mesa0", "libgl1-mesa-dri", "libgles2"] as const;

/** Limits the runner asks the device for (the adapter's maximum) and reports. */
export const KEY_LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxStorageBuffersPerShaderStage",
  "maxUniformBufferBindingSize",
  "maxComputeWorkgroupsPerDimension",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupStorageSize",
] as const;
export type KeyLimit = (typeof KEY_LIMITS)[number];

/** Optional features requested when the adapter has them. */
const WANTED_FEATURES = ["shader-f16", "subgroups", "timestamp-query"] as const;

/** What the runner found, for people (printed, registered as `info`) and for caps. */
export interface AdapterFacts {
  readonly backend: Backend;
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader, WARP) rather than a GPU. */
  readonly software: boolean;
  /** Features the device was opened with. */
  readonly features: readonly string[];
  readonly limits: Readonly<Record<KeyLimit, number>>;
}

export class NoAdapterError extends Error {
  override readonly name = "NoAdapterError";
}

export class DeviceLostError extends Error {
  override readonly name = "DeviceLostError";
}

interface WebGpuModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Every GPU object create() returned: referenced for the life of the process (see above). */
const keepAlive: GPU[] = [];

let webgpu: WebGpuModule | undefined;

async function importWebGpu(): Promise<WebGpuModule> {
  if (webgpu) return webgpu;
  try {
    webgpu = (await import("webgpu")) as unknown as WebGpuModule;
  } catch (error) {
    throw new NoAdapterError(`cannot load the \`webgpu\` package (Dawn for Node): ${error instanceof Error ? error.message : String(error)}; run \`npm ci\``);
  }
  return webgpu;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|microsoft basic render|\bwarp\b/i;

/** Whether an adapter is a CPU implementation, from its info (Dawn marks lavapipe as a fallback adapter; llvmpipe over GL is only named). */
export function isSoftware(info: Pick<GPUAdapterInfo, "vendor" | "architecture" | "device" | "description"> & { isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => SOFTWARE.test(s ?? ""));
}

function nativeBackends(): Backend[] {
  if (process.platform === "darwin") return ["metal"];
  if (process.platform === "win32") return ["d3d12", "vulkan"];
  return ["vulkan"];
}

interface Found {
  readonly backend: Backend;
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
}

async function requestOn(backend: Backend, log: (line: string) => void): Promise<Found | undefined> {
  // Mesa's EGL must not look for a display: set before Dawn first loads EGL (it reads it once).
  if (backend === "opengl") process.env.EGL_PLATFORM ??= "surfaceless";
  const { create } = await importWebGpu();
  let gpu: GPU;
  try {
    gpu = create([`backend=${backend}`]);
  } catch (error) {
    log(`gpu: ${backend}: Dawn cannot start this backend: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  keepAlive.push(gpu);
  const options: GPURequestAdapterOptions =
    backend === "opengl" ? ({ featureLevel: "compatibility" } as GPURequestAdapterOptions) : { powerPreference: "high-performance" };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter(options);
  } catch (error) {
    log(`gpu: ${backend}: requestAdapter failed: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  return adapter ? { backend, gpu, adapter } : undefined;
}

/** The adapter to use for a backend choice, per the order at the top of this file. */
async function findAdapter(choice: BackendChoice, log: (line: string) => void): Promise<Found> {
  if (choice !== "auto") {
    const found = await requestOn(choice, log);
    if (!found) throw new NoAdapterError(noAdapterMessage([choice]));
    return found;
  }
  const tried: Backend[] = [];
  let software: Found | undefined;
  for (const backend of nativeBackends()) {
    tried.push(backend);
    const found = await requestOn(backend, log);
    if (!found) continue;
    if (!isSoftware(found.adapter.info)) return found;
    log(`gpu: ${backend} offers only a software adapter (${describe(found.adapter.info)}); trying Mesa over OpenGL`);
    software ??= found;
  }
  tried.push("opengl");
  const gl = await requestOn("opengl", log);
  if (gl) return gl;
  if (software) return software;
  throw new NoAdapterError(noAdapterMessage(tried));
}

function noAdapterMessage(tried: readonly Backend[]): string {
  const linux = process.platform === "linux";
  return (
    `no WebGPU adapter (tried ${tried.join(", ")}). ` +
    (linux
      ? `Without a GPU, install Mesa's software OpenGL driver: apt-get install -y ${DEBIAN_PACKAGES.join(" ")} ` +
        `(it runs with EGL_PLATFORM=surfaceless, no display needed); with a GPU, install its Vulkan driver.`
      : "Install a GPU driver with Vulkan, Metal or D3D12 support.")
  );
}

const describe = (info: GPUAdapterInfo): string => info.description || info.device || info.vendor || "unnamed adapter";

function factsOf(backend: Backend, adapter: GPUAdapter, device: GPUDevice): AdapterFacts {
  const info = adapter.info;
  const limits = Object.fromEntries(KEY_LIMITS.map((k) => [k, Number(device.limits[k])])) as Record<KeyLimit, number>;
  return {
    backend,
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    software: isSoftware(info),
    features: [...device.features].sort(),
    limits,
  };
}

async function openDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const k of KEY_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === "number") requiredLimits[k] = v;
  }
  return adapter.requestDevice({ requiredFeatures, requiredLimits, label: "paxflow gpu-runner" });
}

export interface GpuOptions {
  readonly backend?: BackendChoice;
  /** Progress and problems, one line each; default console.error. */
  readonly log?: (line: string) => void;
}

/** Counters the runner reports about its device. */
export interface DeviceHealth {
  /** Devices lost (driver reset, GPU removed, ...) and re-created since start. */
  readonly deviceLosses: number;
  readonly lastLoss?: { readonly at: number; readonly reason: string; readonly message: string };
  /** Errors the device raised outside any error scope (a bug of this runner if it happens). */
  readonly uncapturedErrors: number;
}

/**
 * The open device, replaced when lost. Users take `device` anew for every piece of work and
 * compare `generation` to know whether what they built on an older device (pipelines) is stale.
 */
export class Gpu {
  #device: GPUDevice;
  #adapter: GPUAdapter;
  #gpu: GPU;
  #generation = 1;
  #closed = false;
  #ready: Promise<void> = Promise.resolve();
  #losses = 0;
  #lastLoss: DeviceHealth["lastLoss"];
  #uncaptured = 0;
  readonly facts: AdapterFacts;
  readonly #log: (line: string) => void;

  private constructor(found: Found, device: GPUDevice, log: (line: string) => void) {
    this.#gpu = found.gpu;
    this.#adapter = found.adapter;
    this.#device = device;
    this.#log = log;
    this.facts = factsOf(found.backend, found.adapter, device);
    this.#watch(device);
  }

  static async open(options: GpuOptions = {}): Promise<Gpu> {
    const log = options.log ?? ((line: string) => console.error(line));
    const found = await findAdapter(options.backend ?? "auto", log);
    let device: GPUDevice;
    try {
      device = await openDevice(found.adapter);
    } catch (error) {
      throw new NoAdapterError(`${found.backend}: the adapter (${describe(found.adapter.info)}) would not open a device: ${error instanceof Error ? error.message : String(error)}`);
    }
    return new Gpu(found, device, log);
  }

  get device(): GPUDevice {
    if (this.#closed) throw new DeviceLostError("the GPU device was closed (the runner is stopping)");
    return this.#device;
  }

  /** Bumped every time the device is replaced. */
  get generation(): number {
    return this.#generation;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Settles once a lost device has been replaced (at once when none was lost). */
  ready(): Promise<void> {
    return this.#ready;
  }

  health(): DeviceHealth {
    return { deviceLosses: this.#losses, ...(this.#lastLoss ? { lastLoss: this.#lastLoss } : {}), uncapturedErrors: this.#uncaptured };
  }

  hasFeature(feature: string): boolean {
    return this.facts.features.includes(feature);
  }

  /** Destroys the device; nothing is re-created after this. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#device.destroy();
  }

  #watch(device: GPUDevice): void {
    device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
      this.#uncaptured++;
      this.#log(`gpu: uncaptured ${event.error.constructor.name}: ${event.error.message}`);
    };
    void device.lost.then((info) => {
      // Only close() destroys the device on purpose; any other loss (including a destroy() by
      // someone else) is a device to replace.
      if (this.#closed || device !== this.#device) return;
      this.#losses++;
      this.#lastLoss = { at: Date.now(), reason: String(info.reason), message: info.message };
      this.#log(`gpu: device lost (${info.reason}: ${info.message}); re-creating it (loss ${this.#losses})`);
      this.#ready = this.#replace();
    });
  }

  async #replace(): Promise<void> {
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        const found = await requestOn(this.facts.backend, this.#log);
        if (!found) throw new Error(`no ${this.facts.backend} adapter`);
        const device = await openDevice(found.adapter);
        if (this.#closed) {
          device.destroy();
          return;
        }
        this.#gpu = found.gpu;
        this.#adapter = found.adapter;
        this.#device = device;
        this.#generation++;
        this.#watch(device);
        this.#log(`gpu: device re-created on ${describe(found.adapter.info)} (device ${this.#generation})`);
        return;
      } catch (error) {
        const delayMs = Math.min(5_000, 100 * 2 ** Math.min(attempt, 6));
        this.#log(`gpu: cannot re-create the device (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}; retry in ${delayMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** The GPU object in use (kept referenced by this module as well, for the life of the process). */
  get instance(): GPU {
    return this.#gpu;
  }

  get adapter(): GPUAdapter {
    return this.#adapter;
  }
}

/** One line per fact, for start-up output. */
export function describeFacts(facts: AdapterFacts): string[] {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  return [
    `adapter: ${facts.description || facts.device || "(no description)"}`,
    `  backend ${facts.backend}, vendor ${facts.vendor || "-"}, architecture ${facts.architecture || "-"}, device ${facts.device || "-"}`,
    `  ${facts.software ? "SOFTWARE (a CPU implementation: kernels run on the CPU cores)" : "hardware GPU"}`,
    `  features: ${facts.features.join(", ") || "(none)"}`,
    `  limits: maxBufferSize ${mib(facts.limits.maxBufferSize)}, maxStorageBufferBindingSize ${mib(facts.limits.maxStorageBufferBindingSize)}, ` +
      `maxStorageBuffersPerShaderStage ${facts.limits.maxStorageBuffersPerShaderStage}, maxComputeWorkgroupsPerDimension ${facts.limits.maxComputeWorkgroupsPerDimension}, ` +
      `maxComputeInvocationsPerWorkgroup ${facts.limits.maxComputeInvocationsPerWorkgroup}, maxComputeWorkgroupStorageSize ${facts.limits.maxComputeWorkgroupStorageSize}`,
  ];
}
