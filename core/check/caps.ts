/**
 * Capability tags a stage may require. Dependency-free on purpose: the SDK (and anything
 * bundled into a Worker) can import this list without pulling in the TypeScript compiler.
 */
export const KNOWN_CAPS = ["cpu", "simd", "gpu", "f16", "subgroups"] as const;
export type KnownCap = (typeof KNOWN_CAPS)[number];
