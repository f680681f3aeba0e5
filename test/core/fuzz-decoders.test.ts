/**
 * Hostile input to the decoders, property-based (fast-check): whatever bytes or values arrive,
 * each decoder either returns a typed value or refuses with its own error, never crashes
 * otherwise and never hangs. The HTTP side is test/shared/http-fuzz.ts.
 *
 * - the CBOR codec (payloads, inline values, runner results);
 * - an acceptor's batch parser (what a commander, or anything that reaches the acceptor, sends);
 * - a runner's call-request parser (what reaches POST /v1/calls);
 * - the job state machine applying log entries: entries that claim a decision type but are
 *   malformed must not throw (every replica applies the same log, so an entry that throws would
 *   stop every one of them at that slot).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, decode, encode } from "../../core/codec.ts";
import { DECISION_TYPES, INLINE_NODE, decodeDecision } from "../../core/jobs/decisions.ts";
import { JobsState } from "../../core/jobs/state.ts";
import { PaxflowError } from "../../runtime/errors.ts";
import { parseBatch } from "../../runtime/acceptor-batch.ts";
import { parseCallRequest } from "../../runners/call-request.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const tried: Record<string, number> = {};
const count = (what: string) => (tried[what] = (tried[what] ?? 0) + 1);

const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }));

describe("hostile input to the decoders", () => {
  it("the CBOR codec decodes random bytes to a value or refuses with a CodecError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), anyValue.map((v) => safeEncode(v)).filter((b): b is Uint8Array => b !== null)), (bytes) => {
        count("codec");
        try {
          decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("an acceptor's batch parser returns the batch or refuses it with invalid-batch", () => {
    const message = fc.record(
      {
        type: fc.constantFrom("prepare", "accept", "commit", "catch-up", "snapshot", "nope"),
        ballot: fc.oneof(fc.record({ round: fc.integer(), proposer: fc.string() }), anyValue),
        slot: fc.oneof(fc.integer(), anyValue),
        fromSlot: fc.oneof(fc.integer(), anyValue),
        value: anyValue,
        from: fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(anyValue, fc.array(message, { maxLength: 5 }), fc.array(anyValue, { maxLength: 5 })), (batch) => {
        count("acceptor batch");
        try {
          parseBatch("shard-0/acceptor-0", batch);
        } catch (error) {
          expect(error).toBeInstanceOf(PaxflowError);
          expect((error as PaxflowError).code).toBe("invalid-batch");
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("a runner's call-request parser answers ok or names the field, never throws", () => {
    const nearly = fc.record(
      {
        job: fc.oneof(fc.string(), anyValue),
        seq: fc.oneof(fc.integer(), anyValue),
        attempt: fc.oneof(fc.integer(), anyValue),
        stage: fc.oneof(fc.string(), anyValue),
        input: fc.oneof(
          fc.record({ inline: fc.oneof(fc.base64String(), fc.string()), bytes: fc.oneof(fc.integer(), anyValue) }, { requiredKeys: [] }),
          fc.record({ r2: fc.oneof(fc.stringMatching(/^[0-9a-f]{0,64}$/), fc.string()), bytes: fc.oneof(fc.integer(), anyValue) }, { requiredKeys: [] }),
          anyValue,
        ),
        deadlineAt: fc.oneof(fc.double(), anyValue),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(nearly, anyValue), (body) => {
        count("call request");
        const parsed = parseCallRequest(body);
        if (!parsed.ok) expect(typeof parsed.error.message).toBe("string");
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("the job state machine takes any log entry, malformed decisions included, without throwing", () => {
    let malformedSeen = 0;
    const job = fc.constantFrom("j-1", "j-1.0", "j-2", "");
    const field = fc.oneof(anyValue, fc.integer({ min: -1, max: 3 }), job, fc.constantFrom(INLINE_NODE, "runner-1"));
    // Well-formed decisions with adversarial values: unknown jobs, calls out of order, wrong nodes, repeats.
    const seq = fc.integer({ min: 0, max: 3 });
    const attempt = fc.integer({ min: 1, max: 3 });
    const at = fc.integer({ min: 0, max: 100 });
    const node = fc.constantFrom(INLINE_NODE, "runner-1", "runner-2");
    const p = fc.constantFrom({ inline: "AQ==", bytes: 1 }, { r2: "a".repeat(64), bytes: 20_000 });
    const cand = fc.record({ node, finishAt: at, waitMs: at, transferMs: at, runMs: at });
    const spec = fc.record({ id: node, kind: fc.constantFrom("runner" as const, "worker" as const), caps: fc.constant(["cpu"]), speed: fc.constant({ cpu: 1 }), slots: fc.integer({ min: 1, max: 4 }), latencyMs: at, bandwidthMBps: fc.constant(10) });
    const wellFormed = fc.oneof(
      fc.record({ type: fc.constant("job.accepted"), job, name: fc.constantFrom("shapes/chain", "nope"), input: p, at, parent: fc.option(fc.record({ job, seq }), { nil: undefined }) }),
      fc.record({ type: fc.constant("call.dispatched"), job, seq, attempt, stage: fc.constantFrom("shapes/stats@1", "x"), input: p, node, at, predicted: cand, alternatives: fc.array(cand, { maxLength: 3 }), reason: fc.string(), by: fc.string() }),
      fc.record({ type: fc.constant("call.result"), job, seq, attempt, node, outcome: fc.oneof(fc.record({ ok: fc.constant(true), value: p }), fc.record({ ok: fc.constant(false), error: fc.record({ name: fc.string(), message: fc.string() }) })), startedAt: at, finishedAt: at, at }),
      fc.record(
        { type: fc.constant("call.timeout"), job, seq, attempt, node, at, reason: fc.string(), ending: fc.constantFrom("silent" as const, "refused" as const, "orphaned" as const) },
        // Entries logged before endings were recorded have no `ending`.
        { requiredKeys: ["type", "job", "seq", "attempt", "node", "at", "reason"] },
      ),
      fc.record({ type: fc.constant("job.finished"), job, at, outcome: fc.oneof(fc.record({ ok: fc.constant(true), output: p }), fc.record({ ok: fc.constant(false), error: fc.record({ kind: fc.constantFrom("error" as const, "cancelled" as const), name: fc.string(), message: fc.string() }) })) }),
      fc.record(
        {
          type: fc.constant("job.cancelled"),
          job,
          at,
          reason: fc.string(),
          by: fc.oneof(fc.record({ kind: fc.constant("client" as const), token: fc.string() }), fc.constant({ kind: "plane" as const })),
        },
        // Entries logged before cancellers were recorded have no `by`.
        { requiredKeys: ["type", "job", "at", "reason"] },
      ),
      fc.record({ type: fc.constant("node.registered"), node: spec, at, signedAt: fc.option(at, { nil: undefined }) }),
      fc.record({ type: fc.constant("node.removed"), node, at, reason: fc.string() }),
      fc.record({ type: fc.constant("node.unresponsive"), node, at, reason: fc.string() }),
      fc.record({ type: fc.constant("node.back"), node, at, load: fc.record({ queue: fc.nat(9), inFlight: fc.nat(9), bytesIn: fc.nat(), bytesOut: fc.nat() }) }),
    );
    const entry = fc.oneof(
      { weight: 3, arbitrary: wellFormed },
      { weight: 3, arbitrary: fc.record({ type: fc.constantFrom(...DECISION_TYPES), job, seq: field, attempt: field, node: field, at: field, outcome: field, input: field, name: field, stage: field, parent: field, load: field, predicted: field, alternatives: field, reason: field, by: field, startedAt: field, finishedAt: field, signedAt: field }, { requiredKeys: ["type"] }) },
      { weight: 1, arbitrary: anyValue },
    );
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 12 }), (entries) => {
        count("log entries");
        let malformed = 0;
        const state = new JobsState();
        // A well-formed start, so later entries can hit a running job.
        state.apply({ type: "job.accepted", job: "j-1", name: "shapes/chain", input: { inline: "oA==", bytes: 1 } as never, at: 0 });
        for (const data of entries) {
          const decision = decodeDecision(data);
          if (decision) state.apply(decision);
          // What claims a decision type without its shape never reaches the state.
          else if (typeof data === "object" && data !== null && DECISION_TYPES.includes((data as { type?: never }).type!)) malformed++;
        }
        // The state still answers and snapshots.
        expect(() => JSON.stringify(state.snapshot())).not.toThrow();
        malformedSeen += malformed;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(malformedSeen).toBeGreaterThan(0);
  });

  it("reports how many inputs were tried", () => {
    console.log(`fuzz-decoders (seed ${SEED}): ${JSON.stringify(tried)}`);
    expect(Object.values(tried).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4 * RUNS);
  });
});

/** Bytes of a value the codec can encode (most of fc.anything can be), or null. */
function safeEncode(value: unknown): Uint8Array | null {
  try {
    return encode(value);
  } catch {
    return null;
  }
}
