/**
 * Which URLs a runner may register (issue 14: the plane posts signed calls, job inputs
 * included, to whatever URL a registration names, so a registration must not point it at the
 * plane's own network). Pure: WHATWG URL parsing and address arithmetic, no DNS, no I/O.
 *
 * A runner URL is an origin: http(s), a host, an optional port; nothing else. Its host is
 * judged by the address it names:
 *
 *   metadata     169.254.169.254, fd00:ec2::254, metadata.google.internal, metadata: never
 *   link-local   169.254.0.0/16, fe80::/10: only when a link-local range of RUNNER_ALLOW holds it
 *   loopback     127.0.0.0/8, ::1, localhost (and *.localhost): only when RUNNER_ALLOW holds it
 *   private      10/8, 172.16/12, 192.168/16, 100.64/10, 0/8, fc00::/7, ::: the same
 *   public       any other address, and any other DNS name: allowed
 *
 * The URL parser has already turned the numeric spellings of IPv4 (0x7f000001, 2130706433,
 * 0177.0.0.1, 127.1) into dotted quads; an IPv6 address that carries an IPv4 one (mapped
 * ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d) is judged as that IPv4
 * address. DNS names are not resolved (Workers cannot): a public name that resolves to a
 * private address passes (SECURITY.md).
 */

type AddressClass = "public" | "loopback" | "private" | "link-local" | "metadata";

interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: readonly number[];
  readonly bits: number;
}

/** What RUNNER_ALLOW lists: exact DNS names and address ranges (a single address is a /32 or /128). */
export interface RunnerAllow {
  readonly names: ReadonlySet<string>;
  readonly ranges: readonly Cidr[];
}

/** How a registration's URL fares: the origin to record, or why not (its shape, or the address it names). */
export type RunnerUrlCheck =
  | { readonly ok: true; readonly origin: string }
  | { readonly ok: false; readonly refused: "shape" | "address"; readonly message: string };

const ORIGIN = "must be an origin (scheme://host[:port])";

/** The origin a runner URL names, or what keeps it from being one (without echoing credentials). */
export function runnerOrigin(raw: string): { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly message: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: `${ORIGIN} with http or https; it is not a URL` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, message: `${ORIGIN} with http or https; it has the scheme "${url.protocol.slice(0, -1)}"` };
  if (url.username !== "" || url.password !== "") return { ok: false, message: `${ORIGIN}; it has credentials (user:password@)` };
  if (url.pathname !== "/") return { ok: false, message: `${ORIGIN}; it has a path "${url.pathname}"` };
  // An empty query or fragment ("http://h/?") still shows in href: only a bare origin serialises as origin + "/".
  if (url.search !== "" || url.href.startsWith(`${url.origin}/?`)) return { ok: false, message: `${ORIGIN}; it has a query "${url.search || "?"}"` };
  if (url.href !== `${url.origin}/`) return { ok: false, message: `${ORIGIN}; it has a fragment "${url.hash || "#"}"` };
  return { ok: true, url };
}

/** The whole check: an origin whose address RUNNER_ALLOW (`allow`) lets runners use. */
export function checkRunnerUrl(raw: string, allow: RunnerAllow): RunnerUrlCheck {
  const origin = runnerOrigin(raw);
  if (!origin.ok) return { ok: false, refused: "shape", message: origin.message };
  const refusal = hostRefusal(origin.url.hostname, allow);
  return refusal === null ? { ok: true, origin: origin.url.origin } : { ok: false, refused: "address", message: refusal };
}

// ---- addresses ----------------------------------------------------------------------------

function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

/** The 16 bytes of an IPv6 address in any RFC 4291 text form (a trailing dotted IPv4 included); no zone ids. */
function parseIpv6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  // A dotted IPv4 may only end the address.
  const groups = (half: string, last: boolean): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (const [i, part] of parts.entries()) {
      const v4 = last && i === parts.length - 1 && part.includes(".") ? parseIpv4(part) : null;
      if (v4) out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      else if (/^[0-9a-f]{1,4}$/i.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...Array<number>(missing).fill(0), ...tail].flatMap((g) => [g >> 8, g & 0xff]);
}

function parseCidr(text: string): Cidr | null {
  const [address = "", bits, ...rest] = text.split("/");
  if (rest.length > 0) return null;
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const v4 = parseIpv4(bare);
  const bytes = v4 ?? parseIpv6(bare);
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  const width = bits === undefined ? max : Number(bits);
  if (width > max) return null;
  return { family: v4 ? 4 : 6, bytes: mask(bytes, width), bits: width };
}

function mask(bytes: readonly number[], bits: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

const contains = (range: Cidr, family: 4 | 6, bytes: readonly number[]): boolean =>
  range.family === family && mask(bytes, range.bits).every((b, i) => b === range.bytes[i]);

const cidr = (text: string): Cidr => parseCidr(text)!;

/** First match wins: the metadata addresses lie inside the link-local and private ranges. */
const RANGES: readonly { readonly range: Cidr; readonly text: string; readonly class: Exclude<AddressClass, "public"> }[] = (
  [
    ["169.254.169.254/32", "metadata"],
    ["fd00:ec2::254/128", "metadata"],
    ["169.254.0.0/16", "link-local"],
    ["fe80::/10", "link-local"],
    ["127.0.0.0/8", "loopback"],
    ["::1/128", "loopback"],
    ["10.0.0.0/8", "private"],
    ["172.16.0.0/12", "private"],
    ["192.168.0.0/16", "private"],
    ["100.64.0.0/10", "private"],
    ["0.0.0.0/8", "private"],
    ["fc00::/7", "private"],
    ["::/128", "private"],
  ] as const
).map(([text, klass]) => ({ range: cidr(text), text, class: klass }));

const LINK_LOCAL = RANGES.filter((r) => r.class === "link-local").map((r) => r.range);

/** IPv6 prefixes whose last 32 bits are an IPv4 address the packets go to (mapped, NAT64, compatible)... */
const CARRIES_IPV4 = ["::ffff:0:0/96", "64:ff9b::/96", "::/96"].map(cidr);
/** ...but for :: and ::1, which are addresses of their own. */
const OWN_IPV6 = cidr("::/127");

const METADATA_NAMES = new Set(["metadata.google.internal", "metadata"]);

/** A host as the URL parser leaves it: lower case, IPv6 in brackets, a DNS name possibly ending in ".". */
type Host =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "ip"; readonly family: 4 | 6; readonly bytes: readonly number[]; readonly text: string; readonly via?: string };

function readHost(hostname: string): Host {
  if (hostname.startsWith("[")) {
    const bytes = parseIpv6(hostname.slice(1, -1))!;
    const v4 = bytes.slice(12);
    if (CARRIES_IPV4.some((r) => contains(r, 6, bytes)) && !contains(OWN_IPV6, 6, bytes)) return { kind: "ip", family: 4, bytes: v4, text: v4.join("."), via: hostname };
    return { kind: "ip", family: 6, bytes, text: hostname };
  }
  const v4 = parseIpv4(hostname);
  if (v4) return { kind: "ip", family: 4, bytes: v4, text: hostname };
  return { kind: "name", name: hostname.replace(/\.$/, "") };
}

function classify(host: Host): { readonly class: AddressClass; readonly range?: string } {
  if (host.kind === "name") {
    if (METADATA_NAMES.has(host.name)) return { class: "metadata" };
    if (host.name === "localhost" || host.name.endsWith(".localhost")) return { class: "loopback", range: "localhost" };
    return { class: "public" };
  }
  const hit = RANGES.find((r) => contains(r.range, host.family, host.bytes));
  return hit ? { class: hit.class, range: hit.text.replace(/\/(32|128)$/, "") } : { class: "public" };
}

/** Why runners may not use this host (`hostname` as the URL parser gives it) under `allow`, or null when they may. */
function hostRefusal(hostname: string, allow: RunnerAllow): string | null {
  const host = readHost(hostname);
  const { class: klass, range } = classify(host);
  if (klass === "public") return null;
  const shown = host.kind === "name" ? host.name : host.via ? `${host.via} (IPv4 ${host.text})` : host.text;
  if (klass === "metadata") return `${shown} is a cloud metadata address: runners are never registered there, whatever RUNNER_ALLOW says`;
  const listed = (r: Cidr) => host.kind === "ip" && contains(r, host.family, host.bytes);
  if (klass === "link-local") {
    // Explicitly: a wide range (0.0.0.0/0) that happens to cover link-local addresses does not count.
    if (allow.ranges.some((r) => listed(r) && LINK_LOCAL.some((ll) => r.bits >= ll.bits && contains(ll, r.family, r.bytes)))) return null;
    return `${shown} is a link-local address: refused unless RUNNER_ALLOW lists a link-local range that holds it (e.g. RUNNER_ALLOW="${range}")`;
  }
  if (host.kind === "name" ? allow.names.has(host.name) : allow.ranges.some(listed)) return null;
  return `${shown} is a ${klass} address: refused unless RUNNER_ALLOW lists it (e.g. RUNNER_ALLOW="${range}")`;
}

const NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * RUNNER_ALLOW: comma-separated DNS names (exact), addresses and CIDR ranges, IPv4 or IPv6
 * (brackets optional). An entry it cannot read is named, with why.
 */
export function parseRunnerAllow(raw: string): { readonly ok: true; readonly allow: RunnerAllow } | { readonly ok: false; readonly entry: string; readonly reason: string } {
  const names = new Set<string>();
  const ranges: Cidr[] = [];
  for (const entry of raw.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    const range = parseCidr(entry);
    if (range) {
      ranges.push(range);
      continue;
    }
    const name = entry.toLowerCase().replace(/\.$/, "");
    // A last label of digits would be an address in a URL (127.1 is 127.0.0.1), never a name.
    if (entry.includes("/") || !NAME.test(name) || /(^|\.)\d+$/.test(name)) {
      return { ok: false, entry, reason: "neither a DNS name, an IPv4 or IPv6 address, nor a CIDR range (address/bits)" };
    }
    names.add(name);
  }
  return { ok: true, allow: { names, ranges } };
}
