/** A binary min-heap ordered by `less`: the simulator's event queue, a leader's attempt deadlines. */
export class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The least item, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const xs = this.items;
    xs.push(item);
    let i = xs.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(xs[i]!, xs[parent]!)) break;
      [xs[i], xs[parent]] = [xs[parent]!, xs[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const xs = this.items;
    if (xs.length === 0) return undefined;
    const top = xs[0]!;
    const last = xs.pop()!;
    if (xs.length > 0) {
      xs[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < xs.length && this.less(xs[l]!, xs[m]!)) m = l;
        if (r < xs.length && this.less(xs[r]!, xs[m]!)) m = r;
        if (m === i) break;
        [xs[i], xs[m]] = [xs[m]!, xs[i]!];
        i = m;
      }
    }
    return top;
  }
}
