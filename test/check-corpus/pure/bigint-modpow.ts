// expect: none
// Modular exponentiation and a 64-bit FNV-1a hash with BigInt (BigInt.asUintN keeps 64 bits).
import { defineStage } from "../../../core/index.ts";

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

export const hashAndPow = defineStage({
  name: "pure-bigint-modpow", version: 1, caps: ["cpu"], timeoutMs: 500,
  cost: { runtimeMs: (bytes) => bytes * 1e-5 + 0.1, outputBytes: () => 96 },
  run: ({ text, base, exp, mod }: { text: string; base: string; exp: string; mod: string }) => {
    let h = FNV_OFFSET;
    for (const byte of new TextEncoder().encode(text)) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * FNV_PRIME);
    return { fnv1a64: h.toString(16).padStart(16, "0"), pow: modPow(BigInt(base), BigInt(exp), BigInt(mod)).toString() };
  },
});
