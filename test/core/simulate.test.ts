import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Cluster, type Dag, POLICIES, SimInputError, dagFromSpec, heftPlan, parseCluster, parseDag, simulate, verifyRun } from "../../core/sim/dag/index.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

// Correctness only: no timing thresholds and no makespan targets here (those are in bench/simulate.ts).

const NODES = [
  { id: "fast", speed: 4, caps: ["cpu", "simd"], slots: 2 },
  { id: "mid", speed: 2, caps: ["cpu"], slots: 2 },
  { id: "slow-a", speed: 1, caps: ["cpu"], slots: 1 },
  { id: "slow-b", speed: 1, caps: ["cpu"], slots: 2 },
  { id: "accel", speed: 3, caps: ["simd"], slots: 2 },
];
const cluster = (extra: object = {}): Cluster => parseCluster({ nodes: NODES, network: { latencyMs: 5, bandwidthMBps: 100 }, ...extra });

const KINDS: Record<string, Cluster> = {
  exact: cluster(),
  noisy: cluster({ estimateNoise: 0.5 }),
  slow: cluster({ faults: [{ node: "fast", at: 3, kind: "slow", factor: 5 }] }),
  crash: cluster({
    faults: [
      { node: "fast", at: 1, kind: "crash" },
      { node: "mid", at: 2.5, kind: "crash" },
      { node: "mid", at: 9, kind: "recover" },
    ],
  }),
};

const DAG = dagFromSpec("random:layers=4,width=5,seed=2,maxRuntime=8");

const REPORT_KEYS = ["makespan", "lowerBound", "policy", "tasks", "nodes", "reexecuted", "speculative", "predictedFailures", "utilization"].sort();

describe("paxflow simulate: DAG and cluster validation", () => {
  const task = (id: string, inputs: { from: string; bytes: number }[] = [], extra: object = {}) => ({ id, runtime: 1, inputs, outputBytes: 10, ...extra });
  const bad = (tasks: unknown[]) => () => parseDag({ name: "d", tasks });

  it("accepts a valid DAG and keeps its fields", () => {
    const dag = parseDag({ name: "d", tasks: [task("a"), task("b", [{ from: "a", bytes: 10 }], { caps: ["simd"] })] });
    expect(dag.tasks.map((t) => t.id)).toEqual(["a", "b"]);
    expect(dag.tasks[1]!.caps).toEqual(["simd"]);
  });

  it("names an unknown input, a duplicate id, a negative number, an unknown field or capability", () => {
    expect(bad([task("a", [{ from: "zz", bytes: 1 }])])).toThrow(new SimInputError(`task "a" inputs[0]: unknown task "zz"`));
    expect(bad([task("a"), task("a")])).toThrow(new SimInputError(`duplicate task id "a" (tasks[0] and tasks[1])`));
    expect(bad([{ ...task("a"), runtime: -1 }])).toThrow(new SimInputError(`task "a" (tasks[0]).runtime must be a number >= 0, got -1`));
    expect(bad([task("a"), task("b", [{ from: "a", bytes: -5 }])])).toThrow(/inputs\[0\]\.bytes must be a number >= 0, got -5/);
    expect(bad([{ ...task("a"), outputBytes: "big" }])).toThrow(/outputBytes must be a number >= 0, got "big"/);
    expect(bad([{ ...task("a"), runtme: 3 }])).toThrow(/unknown field "runtme"/);
    expect(bad([task("a", [], { caps: ["tpu"] })])).toThrow(/unknown capability "tpu"/);
    expect(() => parseDag({ name: "d", tasks: [] })).toThrow(/non-empty array/);
  });

  it("spells out a cycle", () => {
    const cyclic = bad([task("a", [{ from: "c", bytes: 1 }]), task("b", [{ from: "a", bytes: 1 }]), task("c", [{ from: "b", bytes: 1 }])]);
    expect(cyclic).toThrow(new SimInputError(`DAG "d" has a cycle: a -> c -> b -> a`));
    expect(bad([task("a", [{ from: "a", bytes: 1 }])])).toThrow(/has a cycle: a -> a/);
  });

  it("validates clusters: faults on unknown nodes, speed-ups disguised as slowdowns, bad slots", () => {
    expect(() => cluster({ faults: [{ node: "nope", at: 1, kind: "crash" }] })).toThrow(/faults\[0\]\.node: unknown node "nope"/);
    expect(() => cluster({ faults: [{ node: "fast", at: 1, kind: "slow", factor: 0.5 }] })).toThrow(/factor must be >= 1/);
    expect(() => cluster({ faults: [{ node: "fast", at: 1, kind: "slow" }] })).toThrow(/factor must be a number > 0/);
    expect(() => parseCluster({ nodes: [{ ...NODES[0], slots: 0 }], network: { latencyMs: 1, bandwidthMBps: 1 } })).toThrow(/slots must be an integer >= 1/);
    expect(() => parseCluster({ nodes: NODES, network: { latencyMs: 1, bandwidthMBps: 0 } })).toThrow(/bandwidthMBps must be a number > 0/);
  });

  it("refuses a DAG the cluster can never finish", () => {
    const needsGpu = parseDag({ name: "g", tasks: [task("a", [], { caps: ["gpu"] })] });
    expect(() => simulate(needsGpu, cluster())).toThrow(new SimInputError(`task "a" needs gpu, and no node has it`));
    const simd = parseDag({ name: "s", tasks: [task("a", [], { caps: ["simd"] })] });
    const dead = cluster({ faults: [{ node: "fast", at: 0, kind: "crash" }, { node: "accel", at: 1, kind: "crash" }] });
    expect(() => simulate(simd, dead)).toThrow(/every node that has it \(fast, accel\) crashes and never recovers/);
  });

  it("generators make valid DAGs, and refuse bad specs", () => {
    for (const spec of ["chain:length=7", "fork-join:width=5,stages=3", "random:layers=6,width=8,seed=3,simd=0.5"]) {
      const dag = dagFromSpec(spec);
      expect(parseDag(JSON.parse(JSON.stringify(dag)))).toEqual(dag);
    }
    expect(dagFromSpec("random:layers=6,width=8,seed=3")).toEqual(dagFromSpec("random:layers=6,width=8,seed=3"));
    expect(() => dagFromSpec("random:layers=6,depth=2")).toThrow(/unknown key "depth" for random/);
    expect(() => dagFromSpec("star:n=3")).toThrow(/unknown DAG generator/);
  });
});

describe("paxflow simulate: every policy finishes every task correctly", () => {
  for (const [kind, c] of Object.entries(KINDS)) {
    for (const policy of POLICIES) {
      it(`${kind}, ${policy}`, () => {
        const result = simulate(DAG, c, { policy, seed: 3 });
        expect(verifyRun(DAG, result)).toEqual([]);
        const { report } = result;
        expect(Object.keys(report).sort()).toEqual(REPORT_KEYS);
        expect(report.policy).toBe(policy);
        expect(report.tasks).toBe(DAG.tasks.length);
        expect(report.nodes).toBe(NODES.length);
        expect(Object.keys(report.utilization)).toEqual(NODES.map((n) => n.id));
        for (const u of Object.values(report.utilization)) expect(u).toBeGreaterThanOrEqual(0);
        expect(Object.keys(report.predictedFailures).sort()).toEqual(["falseNegative", "falsePositive", "meanLeadSeconds", "truePositive"]);
        expect(report.makespan).toBeGreaterThanOrEqual(report.lowerBound);
        // Each fault episode is scored exactly once (true positive or false negative).
        const faulted = c.faults.filter((f) => f.kind !== "recover").length;
        expect(report.predictedFailures.truePositive + report.predictedFailures.falseNegative).toBe(faulted);
        if (kind === "crash") {
          // The crashes really hit work in flight, and it was run again elsewhere.
          expect(result.attempts.some((a) => a.end === "lost")).toBe(true);
          for (const a of result.attempts.filter((x) => x.end === "won")) {
            if (a.node === "fast") expect(a.endedAt!).toBeLessThanOrEqual(1);
          }
        }
      });
    }
  }

  it("is deterministic: one seed, one run", () => {
    for (const policy of ["paxflow", "random"] as const) {
      expect(simulate(DAG, KINDS.noisy!, { policy, seed: 9 })).toEqual(simulate(DAG, KINDS.noisy!, { policy, seed: 9 }));
    }
  });

  it("gives every policy the same real runtimes under one seed", () => {
    const bounds = POLICIES.map((policy) => simulate(DAG, KINDS.noisy!, { policy, seed: 4 }).report.lowerBound);
    expect(new Set(bounds).size).toBe(1);
    expect(simulate(DAG, KINDS.noisy!, { seed: 5 }).report.lowerBound).not.toBe(bounds[0]);
  });

  it("executes a HEFT plan exactly as planned when estimates are exact and nothing fails", () => {
    for (const dag of [DAG, dagFromSpec("fork-join:width=6,stages=2"), dagFromSpec("chain:length=5")]) {
      const plan = heftPlan(dag, KINDS.exact!);
      const run = simulate(dag, KINDS.exact!, { policy: "heft" });
      expect(run.report.makespan).toBeCloseTo(plan.makespan / 1000, 3);
      for (const a of run.attempts) expect(a.startedAt).toBeCloseTo(plan.assignments.get(a.task)!.start / 1000, 6);
    }
  });

  it("charges data moves between nodes and not on one node", () => {
    const pair: Dag = parseDag({
      name: "pair",
      tasks: [
        { id: "a", runtime: 4, inputs: [], outputBytes: 1e8 },
        { id: "b", runtime: 4, inputs: [{ from: "a", bytes: 1e8 }], outputBytes: 1 },
      ],
    });
    const one = parseCluster({ nodes: [{ id: "n", speed: 1, caps: ["cpu"], slots: 1 }], network: { latencyMs: 10, bandwidthMBps: 100 } });
    expect(simulate(pair, one, { policy: "heft" }).report.makespan).toBe(8);
    // Two nodes that each can run one of the tasks: 1e8 bytes at 100 MB/s = 1 s, plus 10 ms.
    const split = parseCluster({
      nodes: [
        { id: "x", speed: 1, caps: ["cpu"], slots: 1 },
        { id: "y", speed: 1, caps: ["simd"], slots: 1 },
      ],
      network: { latencyMs: 10, bandwidthMBps: 100 },
    });
    const moved = parseDag({ ...pair, tasks: [pair.tasks[0], { ...pair.tasks[1], caps: ["simd"] }] });
    expect(simulate(moved, split, { policy: "round-robin" }).report.makespan).toBeCloseTo(9.01, 6);
  });

  it("a node that restarts before anyone notices loses its calls, which are sent again", () => {
    const two: Dag = parseDag({ name: "two", tasks: [{ id: "a", runtime: 2, inputs: [], outputBytes: 1 }, { id: "b", runtime: 2, inputs: [{ from: "a", bytes: 1 }], outputBytes: 1 }] });
    const blip = parseCluster({
      nodes: [{ id: "n", speed: 1, caps: ["cpu"], slots: 1 }],
      network: { latencyMs: 1, bandwidthMBps: 100 },
      faults: [{ node: "n", at: 1, kind: "crash" }, { node: "n", at: 1.5, kind: "recover" }],
    });
    for (const policy of POLICIES) {
      const run = simulate(two, blip, { policy });
      expect(verifyRun(two, run), policy).toEqual([]);
      // b is made once a is done (no call goes out before its input exists, HEFT's included), so only a was lost.
      const order = (xs: string[][]) => [...xs].sort((x, y) => (x[0]! < y[0]! ? -1 : 1));
      expect(order(run.attempts.map((a) => [a.key, a.cause, a.end!])), policy).toEqual(order([["a/1", "first", "lost"], ["a/2", "lost", "won"], ["b/1", "first", "won"]]));
      expect(run.report.reexecuted, policy).toBe(1);
    }
  });

  it("paxflow flags a node slowing 5x from its speed probes, before any call there would have timed out, and stops sending it work", () => {
    // Calls of up to 40 s: a call running late says so only tens of seconds after the onset; the probes, within two heartbeats.
    const slowing = parseCluster({ ...KINDS.exact!, faults: [{ node: "fast", at: 20, kind: "slow", factor: 5 }] });
    const dag = dagFromSpec("random:layers=6,width=6,seed=4,maxRuntime=40");
    const run = simulate(dag, slowing, { policy: "paxflow", seed: 2 });
    expect(verifyRun(dag, run)).toEqual([]);
    const [episode] = run.episodes;
    expect(episode).toMatchObject({ node: "fast", kind: "slow" });
    expect(episode!.flaggedAt).not.toBeNull();
    // Flagged within a few heartbeats (1 s apart) of the onset; flags before it would be false alarms.
    expect(episode!.flaggedAt!).toBeGreaterThanOrEqual(20);
    expect(episode!.flaggedAt!).toBeLessThan(23);
    if (episode!.visibleAt !== null) expect(episode!.lead!).toBeGreaterThan(0);
    expect(run.report.predictedFailures).toMatchObject({ truePositive: 1, falsePositive: 0, falseNegative: 0 });
    // Nothing new goes to it once flagged, except backups of its own running calls that it cannot take (none).
    const flaggedAt = episode!.flaggedAt!;
    expect(run.attempts.filter((a) => a.node === "fast" && a.dispatchedAt > flaggedAt + 0.2)).toEqual([]);
  });

  it("a slowed node runs factor times slower from the fault on", () => {
    const one: Dag = parseDag({ name: "one", tasks: [{ id: "a", runtime: 10, inputs: [], outputBytes: 1 }] });
    // 2 s at full speed (2 of 10 s of work), then the other 8 s of work at 1/2 speed: 2 + 16 = 18 s.
    const slow = parseCluster({ nodes: [{ id: "n", speed: 1, caps: ["cpu"], slots: 1 }], network: { latencyMs: 1, bandwidthMBps: 1 }, faults: [{ node: "n", at: 2, kind: "slow", factor: 2 }] });
    expect(simulate(one, slow, { policy: "least-loaded" }).report.makespan).toBeCloseTo(18, 6);
    const back = parseCluster({ ...slow, faults: [...slow.faults, { node: "n", at: 6, kind: "recover" }] });
    // 2 s + 4 s at half speed (2 s of work) + 6 s of work left at full speed = 12 s.
    expect(simulate(one, back, { policy: "least-loaded" }).report.makespan).toBeCloseTo(12, 6);
  });
});

describe("paxflow simulate (CLI)", { timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paxflow-simulate-"));
  const write = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
    return file;
  };
  const cli = (...args: string[]) => spawnSync(process.execPath, ["cli/paxflow.mjs", "simulate", ...args], { cwd: ROOT, encoding: "utf8" });
  const clusterFile = "examples/clusters/hetero-8.json";

  it("exits 2 with the message for a bad DAG", () => {
    const cyclic = write("cyclic.json", { name: "loop", tasks: [{ id: "a", runtime: 1, inputs: [{ from: "b", bytes: 1 }], outputBytes: 1 }, { id: "b", runtime: 1, inputs: [{ from: "a", bytes: 1 }], outputBytes: 1 }] });
    let r = cli("--dag", cyclic, "--cluster", clusterFile, "--json");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${cyclic}: DAG "loop" has a cycle: a -> b -> a`);
    expect(r.stdout).toBe("");
    const unknown = write("unknown.json", { name: "u", tasks: [{ id: "a", runtime: 1, inputs: [{ from: "ghost", bytes: 1 }], outputBytes: 1 }] });
    r = cli("--dag", unknown, "--cluster", clusterFile);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`error: ${unknown}: task "a" inputs[0]: unknown task "ghost"`);
    r = cli("--dag", write("broken.json", "{ not json"), "--cluster", clusterFile);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/broken\.json: not valid JSON/);
    r = cli("--dag", "no/such.json", "--cluster", clusterFile);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("error: no such DAG file: no/such.json");
    r = cli("--dag", "examples/dags/diamond.json", "--cluster", write("c.json", { nodes: [{ id: "n", speed: -1, caps: ["cpu"], slots: 1 }], network: { latencyMs: 1, bandwidthMBps: 1 } }));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/c\.json: node "n" \(nodes\[0\]\)\.speed must be a number > 0, got -1/);
  });

  it("--json prints the report, which parses, for a file and for a generator", () => {
    let r = cli("--dag", "examples/dags/diamond.json", "--cluster", "examples/clusters/hetero-8-crash.json", "--policy", "heft", "--json");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(REPORT_KEYS);
    expect(report.policy).toBe("heft");
    expect(report.tasks).toBe(4);
    r = cli("--dag", "random:layers=3,width=4,seed=2", "--cluster", clusterFile, "--policy", "all", "--json");
    expect(r.status).toBe(0);
    const all = JSON.parse(r.stdout) as { policy: string }[];
    expect(all.map((x) => x.policy)).toEqual([...POLICIES]);
  });

  it("prints a readable summary without --json", () => {
    const r = cli("--dag", "examples/dags/chain-12.json", "--cluster", "examples/clusters/hetero-8-slow.json", "--policy", "least-loaded");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^chain-12-s1 \(12 tasks\) on 8 nodes, policy least-loaded, seed 1\nmakespan [\d.]+ s, lower bound [\d.]+ s/);
    expect(r.stdout).toMatch(/slow of fast-1 at 10\.00 s/);
    expect(r.stdout).toMatch(/fast-1\s+4\s+2\s+cpu,simd/);
  });

  it("every shipped DAG and cluster is valid", () => {
    for (const f of fs.readdirSync(path.join(ROOT, "examples/dags"))) parseDag(JSON.parse(fs.readFileSync(path.join(ROOT, "examples/dags", f), "utf8")));
    for (const f of fs.readdirSync(path.join(ROOT, "examples/clusters"))) {
      const c = parseCluster(JSON.parse(fs.readFileSync(path.join(ROOT, "examples/clusters", f), "utf8")));
      const speeds = c.nodes.map((n) => n.speed);
      expect(Math.max(...speeds) / Math.min(...speeds)).toBeGreaterThanOrEqual(4);
      expect(c.nodes.some((n) => n.caps.length === 1 && n.caps[0] === "simd")).toBe(true);
    }
  });
});
