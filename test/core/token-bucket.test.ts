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

  it("never holds more than the burst, and ignores a clock that steps back", () => {
    const idle = take(fullBucket(2, 0), 60_000, 10, 2);
    expect(idle.ok).toBe(true);
    expect(idle.bucket.tokens).toBe(1);
    expect(take({ tokens: 0.5, at: 1_000 }, 500, 1, 2).ok).toBe(false);
  });
});
