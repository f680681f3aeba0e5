// expect: purity/outer-write@16
// Iterating a module-level Map's values() hands out the Map's own session objects: marking them
// revoked writes module state. Iterating a Map built from the input is fine.
import { defineStage } from "../../../../core/index.ts";

interface Session { user: string; revokedBy?: string }
const sessions = new Map<string, Session>([
  ["s1", { user: "ada" }],
  ["s2", { user: "grace" }],
]);

export const revokeAll = defineStage({
  name: "revoke-all", version: 1, caps: ["cpu"], timeoutMs: 20,
  cost: { runtimeMs: () => 1, outputBytes: () => 64 },
  run: (req: { adminId: string; sessions: Session[] }) => {
    for (const s of sessions.values()) s.revokedBy = req.adminId;
    const mine = new Map(req.sessions.map((s, i) => [String(i), { ...s }]));
    for (const s of mine.values()) s.revokedBy = req.adminId;
    return [...mine.values()];
  },
});
