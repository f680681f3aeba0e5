/** The checks every request meets before routing and before its body is parsed (workers/canonical-path.ts, workers/body.ts). */
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, jsonDepthExceeds } from "../../workers/body.ts";
import { nonCanonical } from "../../workers/canonical-path.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("canonical paths", () => {
  it("accepts the API's own spellings, with queries and encoded reserved characters", () => {
    for (const url of ["http://h/v1/jobs", "http://h/v1/jobs?limit=2&cursor=a%2Fb", "http://h/", "http://h/nodes/", "http://h/v1/nodes/a%2Fb/heartbeat", "http://h/v1/jobs/%E2%82%AC", "http://h/v1/x#frag%41"]) {
      expect(nonCanonical(url), url).toBeNull();
    }
  });

  it("refuses encoded unreserved characters in either case, empty segments, dot segments and API paths ending in /", () => {
    expect(nonCanonical("http://h/v1/%6Aobs")).toContain('encodes "j" as %6A');
    expect(nonCanonical("http://h/v1/%6aobs")).toContain('encodes "j" as %6a');
    expect(nonCanonical("http://h/%761/jobs")).toContain('encodes "v"');
    expect(nonCanonical("http://h/v1/jobs/j-1%2E2")).toContain('encodes "."');
    expect(nonCanonical("http://h/v1/%7Ex")).toContain('encodes "~"');
    expect(nonCanonical("http://h/v1//jobs")).toContain("empty segment");
    expect(nonCanonical("http://h//v1/jobs")).toContain("empty segment");
    expect(nonCanonical("http://h/v1/./jobs")).toContain("dot segment");
    expect(nonCanonical("http://h/v1/x/../jobs")).toContain("dot segment");
    expect(nonCanonical("http://h/v1/jobs/")).toContain("ends with /");
    expect(nonCanonical("http://h/metrics/")).toContain("ends with /");
  });

  it("reads the path as sent, not as a URL parser would resolve it", () => {
    expect(nonCanonical("http://h/v1/jobs?next=//x/%6A")).toBeNull();
    expect(nonCanonical("/v1/%6Aobs")).toContain("%6A");
  });
});

describe("JSON nesting", () => {
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

  it("counts brackets outside strings only", () => {
    expect(jsonDepthExceeds(bytes(nested(MAX_JSON_DEPTH)), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(bytes(nested(MAX_JSON_DEPTH + 1)), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(bytes(JSON.stringify({ text: "[".repeat(1_000) })), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(bytes(JSON.stringify({ text: '\\"[[[' + "{".repeat(100) })), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(bytes(`{"a":${nested(3)},"b":{"c":{"d":[]}}}`), 4)).toBe(false);
    expect(jsonDepthExceeds(bytes(`{"a":{"b":{"c":{"d":[]}}}}`), 4)).toBe(true);
  });

  it("scans 20,000 levels without recursion", () => {
    expect(jsonDepthExceeds(bytes(nested(20_000)), MAX_JSON_DEPTH)).toBe(true);
  });
});
