// expect: none
// A module-level priority queue class instantiated inside run: schedule tasks by deadline (earliest first).
import { defineStage } from "../../../core/index.ts";

class PriorityQueue<T> {
  private heap: Array<{ key: number; value: T }> = [];
  private seq = 0;
  private order: number[] = [];

  get length(): number {
    return this.heap.length;
  }

  enqueue(key: number, value: T): void {
    this.heap.push({ key, value });
    this.order.push(this.seq++);
    this.heap.sort((a, b) => a.key - b.key);
  }

  dequeue(): T | undefined {
    this.order.shift();
    return this.heap.shift()?.value;
  }
}

export const schedule = defineStage({
  name: "pure-edf-schedule", version: 1, caps: ["cpu"], timeoutMs: 1_000,
  cost: { runtimeMs: (bytes) => 0.2 + bytes * 1e-5, outputBytes: (bytes) => bytes },
  run: (tasks: Array<{ id: string; deadline: number }>) => {
    const q = new PriorityQueue<string>();
    for (const t of tasks) q.enqueue(t.deadline, t.id);
    const order: string[] = [];
    while (q.length > 0) {
      const id = q.dequeue();
      if (id !== undefined) order.push(id);
    }
    return order;
  },
});
