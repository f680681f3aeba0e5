// expect: none
// Breadth-first search on a text maze: distances in a fresh Int32Array, neighbours from a frozen module offset table.
import { defineStage } from "../../../core/index.ts";

const STEPS = Object.freeze([
  [0, 1],
  [1, 0],
  [0, -1],
  [-1, 0],
] as const);

export const mazeDistance = defineStage({
  name: "pure-bfs-grid", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => bytes * 5e-6, outputBytes: () => 8 },
  run: (maze: string[]) => {
    const h = maze.length;
    const w = maze[0]?.length ?? 0;
    const dist = new Int32Array(w * h).fill(-1);
    const find = (ch: string) => {
      for (let y = 0; y < h; y++) {
        const x = maze[y]!.indexOf(ch);
        if (x >= 0) return y * w + x;
      }
      return -1;
    };
    const start = find("S");
    const goal = find("G");
    if (start < 0 || goal < 0) return -1;
    dist[start] = 0;
    const queue = [start];
    for (let qi = 0; qi < queue.length; qi++) {
      const cur = queue[qi]!;
      const cx = cur % w;
      const cy = Math.floor(cur / w);
      for (const [dx, dy] of STEPS) {
        const nx = cx + dx;
        const ny = cy + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h || maze[ny]!.charAt(nx) === "#") continue;
        const ni = ny * w + nx;
        if (dist[ni] !== -1) continue;
        dist[ni] = dist[cur]! + 1;
        queue.push(ni);
      }
    }
    return dist[goal]!;
  },
});
