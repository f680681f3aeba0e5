/** FNV-1a, 32 bit: stable across runtimes and versions, so routing and digests never drift. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export const fnv1aHex = (text: string, seed?: number): string => fnv1a(text, seed).toString(16).padStart(8, "0");
