import { describe, expect, it } from "vitest";
import { type RunnerAllow, checkRunnerUrl, parseRunnerAllow, runnerOrigin } from "../../core/net/runner-url.ts";

const allow = (raw: string): RunnerAllow => {
  const parsed = parseRunnerAllow(raw);
  if (!parsed.ok) throw new Error(`${parsed.entry}: ${parsed.reason}`);
  return parsed.allow;
};
const NONE = allow("");
const LOCAL = allow("127.0.0.0/8,::1,localhost");

/** The refusal message, or "ok: <origin>". */
const judge = (url: string, under: RunnerAllow = NONE): string => {
  const verdict = checkRunnerUrl(url, under);
  return verdict.ok ? `ok: ${verdict.origin}` : `${verdict.refused}: ${verdict.message}`;
};

describe("runner URLs: origins only", () => {
  it("takes http(s) origins with an optional port, and records them without a trailing slash", () => {
    expect(judge("https://runner.example.com")).toBe("ok: https://runner.example.com");
    expect(judge("http://203.0.113.7:7001/")).toBe("ok: http://203.0.113.7:7001");
    expect(judge("HTTPS://Runner.Example.COM:443/")).toBe("ok: https://runner.example.com");
    expect(judge("http://[2001:db8::1]:8080")).toBe("ok: http://[2001:db8::1]:8080");
  });

  it("names the part that makes a URL more than an origin", () => {
    const shape = (url: string) => {
      const o = runnerOrigin(url);
      return o.ok ? "ok" : o.message;
    };
    expect(shape("http://runner.example.com/x")).toBe('must be an origin (scheme://host[:port]); it has a path "/x"');
    expect(shape("http://runner.example.com//")).toContain('a path "//"');
    expect(shape("http://runner.example.com/?a=1")).toContain('a query "?a=1"');
    expect(shape("http://runner.example.com/?")).toContain('a query "?"');
    expect(shape("http://runner.example.com/#f")).toContain('a fragment "#f"');
    expect(shape("http://runner.example.com#")).toContain('a fragment "#"');
    expect(shape("ftp://runner.example.com")).toContain('the scheme "ftp"');
    expect(shape("not a url")).toContain("not a URL");
    // Credentials are named, never echoed.
    const withUser = shape("http://alice:s3cret@runner.example.com");
    expect(withUser).toContain("credentials");
    expect(withUser).not.toContain("s3cret");
    expect(shape("http://alice@runner.example.com")).toContain("credentials");
  });
});

describe("runner URLs: addresses", () => {
  it("allows public addresses and DNS names by default", () => {
    expect(judge("http://8.8.8.8")).toBe("ok: http://8.8.8.8");
    expect(judge("http://[2606:4700::1111]")).toBe("ok: http://[2606:4700::1111]");
    expect(judge("http://runner-1.internal.example")).toBe("ok: http://runner-1.internal.example");
    // Just outside the private ranges.
    for (const host of ["11.0.0.1", "172.32.0.1", "172.15.255.255", "192.169.0.1", "100.128.0.1", "1.0.0.0", "169.255.0.1", "[fe00::1]", "[fec0::1]"]) {
      expect(judge(`http://${host}`), host).toMatch(/^ok: /);
    }
  });

  it("refuses loopback and private addresses unless RUNNER_ALLOW lists them, naming the address and the setting", () => {
    expect(judge("http://127.0.0.1:9")).toBe('address: 127.0.0.1 is a loopback address: refused unless RUNNER_ALLOW lists it (e.g. RUNNER_ALLOW="127.0.0.0/8")');
    expect(judge("http://localhost:9")).toContain("localhost is a loopback address");
    expect(judge("http://LOCALHOST.:9")).toContain("localhost is a loopback address");
    expect(judge("http://a.localhost")).toContain("a.localhost is a loopback address");
    expect(judge("http://[::1]")).toContain("[::1] is a loopback address");
    const privates: Record<string, string> = {
      "10.1.2.3": "10.0.0.0/8",
      "172.16.0.1": "172.16.0.0/12",
      "172.31.255.254": "172.16.0.0/12",
      "192.168.1.1": "192.168.0.0/16",
      "100.64.0.1": "100.64.0.0/10",
      "100.127.255.255": "100.64.0.0/10",
      "0.0.0.0": "0.0.0.0/8",
      "[fd12:3456::1]": "fc00::/7",
      "[fc00::1]": "fc00::/7",
      "[::]": "::",
    };
    for (const [host, range] of Object.entries(privates)) {
      expect(judge(`http://${host}`), host).toBe(`address: ${host} is a private address: refused unless RUNNER_ALLOW lists it (e.g. RUNNER_ALLOW="${range}")`);
    }
    expect(judge("http://127.0.0.1:9", LOCAL)).toBe("ok: http://127.0.0.1:9");
    expect(judge("http://127.8.9.10", LOCAL)).toBe("ok: http://127.8.9.10");
    expect(judge("http://localhost:9", LOCAL)).toBe("ok: http://localhost:9");
    expect(judge("http://[::1]:9", LOCAL)).toBe("ok: http://[::1]:9");
    // What is listed, not more.
    expect(judge("http://10.0.0.1", LOCAL)).toMatch(/^address: /);
    expect(judge("http://a.localhost", LOCAL)).toMatch(/^address: /);
    expect(judge("http://10.1.2.3", allow("10.1.2.0/24"))).toBe("ok: http://10.1.2.3");
    expect(judge("http://10.1.3.3", allow("10.1.2.0/24"))).toMatch(/^address: /);
    expect(judge("http://[fd00::5]", allow("fd00::/8"))).toBe("ok: http://[fd00::5]");
    expect(judge("http://[fd00::5]", allow("[fd00::5]"))).toBe("ok: http://[fd00::5]");
  });

  it("catches the numeric spellings of IPv4 the URL parser normalises", () => {
    for (const host of ["0x7f000001", "2130706433", "0177.0.0.1", "127.1", "0x7f.1", "%31%32%37.0.0.1", "0"]) {
      expect(judge(`http://${host}/`), host).toMatch(/^address: (127\.0\.0\.1|0\.0\.0\.0) is a (loopback|private) address/);
    }
    expect(judge("http://0xa9fea9fe/")).toContain("169.254.169.254 is a cloud metadata address");
  });

  it("judges an IPv6 address that carries an IPv4 one as that IPv4 address", () => {
    expect(judge("http://[::ffff:127.0.0.1]")).toContain("[::ffff:7f00:1] (IPv4 127.0.0.1) is a loopback address");
    expect(judge("http://[0:0:0:0:0:ffff:a00:1]")).toContain("(IPv4 10.0.0.1) is a private address");
    expect(judge("http://[::ffff:0.0.0.1]")).toContain("(IPv4 0.0.0.1) is a private address");
    expect(judge("http://[::127.0.0.1]")).toContain("(IPv4 127.0.0.1) is a loopback address");
    expect(judge("http://[64:ff9b::a9fe:a9fe]")).toContain("(IPv4 169.254.169.254) is a cloud metadata address");
    expect(judge("http://[::ffff:8.8.8.8]")).toBe("ok: http://[::ffff:808:808]");
    // RUNNER_ALLOW's IPv4 ranges cover them.
    expect(judge("http://[::ffff:127.0.0.1]", LOCAL)).toBe("ok: http://[::ffff:7f00:1]");
  });

  it("never allows metadata addresses, whatever RUNNER_ALLOW says", () => {
    const everything = allow("0.0.0.0/0,::/0,169.254.0.0/16,169.254.169.254,fe80::/10,fd00:ec2::254,metadata,metadata.google.internal");
    for (const host of ["169.254.169.254", "[fd00:ec2::254]", "metadata.google.internal", "metadata.google.internal.", "metadata", "[::ffff:169.254.169.254]"]) {
      expect(judge(`http://${host}`, everything), host).toMatch(/^address: .* is a cloud metadata address: runners are never registered there, whatever RUNNER_ALLOW says$/);
    }
  });

  it("allows link-local addresses only when a link-local range of RUNNER_ALLOW lists them", () => {
    expect(judge("http://169.254.10.1")).toBe('address: 169.254.10.1 is a link-local address: refused unless RUNNER_ALLOW lists a link-local range that holds it (e.g. RUNNER_ALLOW="169.254.0.0/16")');
    expect(judge("http://[fe80::1]")).toContain("[fe80::1] is a link-local address");
    // A wide range does not count as listing them...
    expect(judge("http://169.254.10.1", allow("0.0.0.0/0"))).toMatch(/^address: /);
    expect(judge("http://169.254.10.1", allow("169.0.0.0/8"))).toMatch(/^address: /);
    expect(judge("http://[fe80::1]", allow("::/0"))).toMatch(/^address: /);
    // ...a link-local one does.
    expect(judge("http://169.254.10.1", allow("169.254.0.0/16"))).toBe("ok: http://169.254.10.1");
    expect(judge("http://169.254.10.1", allow("169.254.10.1"))).toBe("ok: http://169.254.10.1");
    expect(judge("http://169.254.11.1", allow("169.254.10.0/24"))).toMatch(/^address: /);
    expect(judge("http://[fe80::1]", allow("fe80::/64"))).toBe("ok: http://[fe80::1]");
    // A wide range does allow the private and loopback addresses it holds.
    expect(judge("http://10.9.9.9", allow("0.0.0.0/0"))).toBe("ok: http://10.9.9.9");
  });
});

describe("RUNNER_ALLOW", () => {
  it("reads names, addresses and ranges of both families, with spaces and empty entries", () => {
    const parsed = allow(" 127.0.0.0/8 , ::1,, Localhost., [fe80::]/10, 10.1.2.3, ::ffff:10.0.0.0/104 ");
    expect([...parsed.names]).toEqual(["localhost"]);
    expect(parsed.ranges.map((r) => `${r.family}/${r.bits}`)).toEqual(["4/8", "6/128", "6/10", "4/32", "6/104"]);
    expect(allow("").ranges).toEqual([]);
  });

  it("masks the host bits of a range", () => {
    expect(judge("http://10.200.0.1", allow("10.1.2.3/8"))).toBe("ok: http://10.200.0.1");
  });

  it("names an entry it cannot read", () => {
    for (const entry of ["10.0.0.0/33", "::1/129", "10.0.0.0/", "127.1", "0177.0.0.1", "1::2::3", "1.2.3.4::", "*.example.com", "a b", "10.0.0.0/8/1", "::ffff:1.2.3", "-bad.example"]) {
      const parsed = parseRunnerAllow(`localhost,${entry}`);
      expect(parsed, entry).toMatchObject({ ok: false, entry });
    }
  });
});
