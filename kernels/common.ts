/**
 * What the SIMD kernels in this folder share: WebGPU limits, f32 helpers, input validation,
 * and the a-priori error bounds of f32 arithmetic that their tests (and the gpu-runner's)
 * compare against.
 *
 * Every kernel here follows the binding layout of `KernelBinding` in core/sdk/stage.ts:
 * inputs at @binding(0 .. k-1), the output at @binding(k), the u32 params uniform at
 * @binding(k+1), all in @group(0).
 */
import type { KernelArray } from "../core/index.ts";

/**
 * Elements of f32/u32 one buffer may hold here: WebGPU's default maxStorageBufferBindingSize
 * (128 MiB) over 4 bytes. Every `bind` refuses larger inputs or outputs with a RangeError (the
 * CPU reference `run` has no such limit).
 */
export const MAX_ELEMENTS = 2 ** 25;
/** WebGPU's default maxComputeWorkgroupsPerDimension. */
export const MAX_WORKGROUPS = 65_535;

/** Unit roundoff of f32 with round-to-nearest: 2⁻²⁴. */
export const F32_UNIT_ROUNDOFF = 2 ** -24;
/** The smallest positive normal f32, 2⁻¹²⁶: what one flush of a subnormal to zero can lose. */
export const F32_MIN_NORMAL = 2 ** -126;

/**
 * Higham's γ_k = k·u / (1 − k·u), u = 2⁻²⁴ ("Accuracy and Stability of Numerical Algorithms",
 * §3.1): |ŝ − s| ≤ γ_k · Σ|terms| for any f32 sum in which no term passes through more than k
 * rounded additions (and, for a dot product, k − 1 additions plus its own rounded product).
 * Infinity once k·u ≥ 1 (the bound says nothing there).
 */
export function gamma(k: number): number {
  const ku = k * F32_UNIT_ROUNDOFF;
  return ku < 1 ? ku / (1 - ku) : Infinity;
}

/** The u32 bit pattern of `x` rounded to f32: how an f32 travels in a u32 params slot. */
export function f32Bits(x: number): number {
  const bits = new Uint32Array(1);
  new Float32Array(bits.buffer)[0] = x;
  return bits[0]!;
}

/**
 * Workgroups for `count` workgroups' worth of a 1-D problem: x up to 65,535, the rest in y, at
 * least one each (a kernel guards its indices). The kernel's flat workgroup index is
 * `wid.y * num_workgroups.x + wid.x`.
 */
export function grid(count: number): [number, number, number] {
  const x = Math.max(1, Math.min(count, MAX_WORKGROUPS));
  return [x, Math.max(1, Math.ceil(count / MAX_WORKGROUPS)), 1];
}

/** A short description of what a value is, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Float32Array) return `a Float32Array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return "another typed array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}

/** Throws TypeError unless `input` is a plain object (the shape every kernel stage takes). */
export function checkObject(stage: string, input: unknown, shape: string): asserts input is { readonly [key: string]: unknown } {
  if (typeof input !== "object" || input === null || Array.isArray(input) || ArrayBuffer.isView(input)) {
    throw new TypeError(`${stage}: input must be an object ${shape}, got ${describe(input)}`);
  }
}

/** Throws TypeError unless `value` (the input's field `field`) is a Float32Array. */
export function checkF32(stage: string, field: string, value: unknown): Float32Array {
  if (!(value instanceof Float32Array)) throw new TypeError(`${stage}: ${field} must be a Float32Array, got ${describe(value)}`);
  return value;
}

/** Throws TypeError/RangeError unless `value` is an integer in [min, max]. */
export function checkInteger(stage: string, field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number") throw new TypeError(`${stage}: ${field} must be a number, got ${describe(value)}`);
  if (!(Number.isInteger(value) && value >= min && value <= max)) throw new RangeError(`${stage}: ${field} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}

/** Throws TypeError/RangeError unless `value` is a number whose f32 rounding is finite; returns that f32 value. */
export function checkF32Number(stage: string, field: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`${stage}: ${field} must be a number, got ${describe(value)}`);
  const f = Math.fround(value);
  if (!Number.isFinite(f)) throw new RangeError(`${stage}: ${field} must be a finite number within f32 range, got ${value}`);
  return f;
}

/** Throws RangeError if a buffer of `length` elements is more than a storage binding holds. */
export function checkBufferLength(stage: string, what: string, length: number): void {
  if (length > MAX_ELEMENTS) {
    throw new RangeError(`${stage}: ${what} has ${length} elements; a GPU buffer here holds at most ${MAX_ELEMENTS} (128 MiB of 4-byte elements)`);
  }
}

/** The output buffer a kernel's `read` is handed, checked against what `bind` asked for. */
export function checkOutput<T extends KernelArray>(stage: string, output: KernelArray, type: "f32" | "u32", length: number): T {
  const ok = type === "f32" ? output instanceof Float32Array : output instanceof Uint32Array;
  if (!ok) throw new TypeError(`${stage}: the kernel's output must be ${type === "f32" ? "a Float32Array" : "a Uint32Array"}, got ${describe(output)}`);
  if (output.length !== length) throw new RangeError(`${stage}: the kernel's output must hold ${length} elements, got ${output.length}`);
  return output as T;
}
