import { describe, expect, it } from "vitest";
import { fullBucket, take } from "../../core/limits/token-bucket.ts";

describe("token bucket", () => {
  it("lets a burst through, then one token per 1/rate seconds, saying how long to wait", () => {
    let bucket = fullBucket(3, 0);
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const t = take(bucket, 0, 2, 3);
      results.push(t.ok);
      bucket = t.bucket;
    }
    expect(results).toEqual([true, true, true, false]);
    const refused = take(bucket, 0, 2, 3);
    expect(refused).toMatchObject({ ok: false, retryAfterMs: 500 });
    expect(take(bucket, 499, 2, 3).ok).toBe(false);
    expect(take(bucket, 500, 2, 3).ok).toBe(true);
  });

  it("grants up to the tokens it holds when asked for several, at least one", () => {
    const many = take(fullBucket(10, 0), 0, 100, 10, 4);
    expect(many).toMatchObject({ ok: true, granted: 4 });
    expect(many.bucket.tokens).toBe(6);
    expect(take({ tokens: 2.5, at: 0 }, 0, 100, 10, 4)).toMatchObject({ ok: true, granted: 2 });
    expect(take({ tokens: 0.2, at: 0 }, 0, 100, 10, 4)).toMatchObject({ ok: false, retryAfterMs: 8 });
  });

  it("never holds more than the burst, and ignores a clock that steps back", () => {
    const idle = take(fullBucket(2, 0), 60_000, 10, 2);
    expect(idle.ok).toBe(true);
    expect(idle.bucket.tokens).toBe(1);
    expect(take({ tokens: 0.5, at: 1_000 }, 500, 1, 2).ok).toBe(false);
  });
});

describe("rate limit leases (workers/rate-limit.ts)", () => {
  it("serves concurrent requests from one Durable Object call per batch, and refuses when the bucket does", async () => {
    const { acquire } = await import("../../workers/rate-limit.ts");
    let calls = 0;
    let bucket = fullBucket(50, Date.now());
    const refill = async (want: number) => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      const t = take(bucket, Date.now(), 10, 50, want);
      bucket = t.bucket;
      return t.ok ? { ok: true as const, granted: t.granted } : { ok: false as const, retryAfterMs: t.retryAfterMs };
    };
    const first = await Promise.all(Array.from({ length: 20 }, () => acquire("lease-test", refill, 20)));
    expect(first.every((v) => v.ok)).toBe(true);
    expect(calls).toBe(1);
    // 30 more: the bucket has 30 left, handed out 20 at a time; then it is empty.
    const more = await Promise.all(Array.from({ length: 31 }, () => acquire("lease-test", refill, 20)));
    expect(more.filter((v) => v.ok)).toHaveLength(30);
    expect(more.filter((v) => !v.ok)).toHaveLength(1);
  });
});
