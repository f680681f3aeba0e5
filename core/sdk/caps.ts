/**
 * Capability tags a backend advertises and a stage may require. Dependency-free on purpose:
 * the SDK, Workers and the checker share this one list.
 */
export const KNOWN_CAPS = ["cpu", "simd", "gpu", "f16", "subgroups"] as const;
export type Cap = (typeof KNOWN_CAPS)[number];
