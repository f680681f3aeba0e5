import { describe, expect, it } from "vitest";
import { type OpenAttempt, OpenAttempts, attemptKey } from "../../core/jobs/open-attempts.ts";

const attempt = (job: string, seq: number, deadline: number, node = "n", attempt = 1): OpenAttempt => ({ job, seq, attempt, node, deadline, runMs: 1 });
const keys = (xs: readonly OpenAttempt[]) => xs.map((a) => attemptKey(a.job, a.seq, a.attempt)).sort();

describe("OpenAttempts: a leader's attempts and their deadlines", () => {
  it("says the earliest deadline, and which have passed, leaving them open until closed", () => {
    const open = new OpenAttempts();
    expect(open.nextDeadline()).toBeNull();
    open.add(attempt("a", 0, 300));
    open.add(attempt("a", 1, 100));
    open.add(attempt("b", 0, 200));
    expect(open.nextDeadline()).toBe(100);
    expect(open.due(99)).toEqual([]);
    expect(keys(open.due(200))).toEqual(["a/1/1", "b/0/1"]);
    // Still open (ending them is the leader's business): due again, and the next deadline stays the earliest open one.
    expect(keys(open.due(250))).toEqual(["a/1/1", "b/0/1"]);
    expect(open.nextDeadline()).toBe(100);
    open.close("a", 1, 1);
    expect(open.nextDeadline()).toBe(200);
    open.close("b", 0, 1);
    expect(open.nextDeadline()).toBe(300);
    expect(open.size).toBe(1);
  });

  it("forgets a closed attempt's deadline, and a re-added attempt keeps only its new one", () => {
    const open = new OpenAttempts();
    open.add(attempt("a", 0, 100));
    open.close("a", 0, 1);
    expect(open.due(1_000)).toEqual([]);
    expect(open.nextDeadline()).toBeNull();
    open.add(attempt("a", 0, 500));
    open.add(attempt("a", 0, 900));
    expect(open.due(600)).toEqual([]);
    expect(open.nextDeadline()).toBe(900);
    expect(open.get("a", 0, 1)?.deadline).toBe(900);
  });

  it("closes a job's attempts together, and finds attempts by node and by key", () => {
    const open = new OpenAttempts();
    open.add(attempt("a", 0, 100, "x"));
    open.add(attempt("a", 1, 100, "y"));
    open.add(attempt("b", 0, 100, "x"));
    expect(keys(open.onNode("x"))).toEqual(["a/0/1", "b/0/1"]);
    expect(open.byKey("a/1/1")?.node).toBe("y");
    open.closeJob("a");
    expect(keys(open.due(100))).toEqual(["b/0/1"]);
    expect(open.size).toBe(1);
    open.clear();
    expect(open.size).toBe(0);
    expect(open.nextDeadline()).toBeNull();
  });

  it("agrees with a plain scan over a random workload (time only moves forward)", () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const open = new OpenAttempts();
    const model = new Map<string, OpenAttempt>();
    let now = 0;
    for (let step = 0; step < 5_000; step++) {
      const r = next();
      const job = `j${Math.floor(next() * 20)}`;
      const seq = Math.floor(next() * 10);
      if (r < 0.5) {
        const a = attempt(job, seq, now + Math.floor(next() * 1_000));
        open.add(a);
        model.set(attemptKey(job, seq, 1), a);
      } else if (r < 0.8) {
        open.close(job, seq, 1);
        model.delete(attemptKey(job, seq, 1));
      } else if (r < 0.85) {
        open.closeJob(job);
        for (const key of [...model.keys()]) if (key.startsWith(`${job}/`)) model.delete(key);
      } else {
        now += Math.floor(next() * 100);
        expect(keys(open.due(now))).toEqual(keys([...model.values()].filter((a) => a.deadline <= now)));
      }
      const min = Math.min(...[...model.values()].map((a) => a.deadline));
      expect(open.nextDeadline()).toBe(model.size === 0 ? null : min);
      expect(open.size).toBe(model.size);
    }
  });
});
