// expect: job/cycle@15:warning job/cycle@27:warning
// Paging through results on a moving cursor, and a category tree walked on each child: the input
// changes on every round, so these are warnings (fine if the input shrinks), never errors.
import { type Job, type Step, all, defineJob } from "../../../core/index.ts";

type PageRequest = { query: string; cursor: number; pagesLeft: number };
type Category = { name: string; children: Category[] };

export const listResults: Job<PageRequest, string[]> = defineJob({
  name: "list-results",
  *run(req: PageRequest): Step<string[]> {
    const page = [`${req.query}#${req.cursor}`];
    if (req.pagesLeft === 0) return page;
    const next = { ...req, cursor: req.cursor + 10, pagesLeft: req.pagesLeft - 1 };
    return [...page, ...(yield* listResults(next))];
  },
});

export const countProducts: Job<Category, number> = defineJob({
  name: "count-products",
  *run(category: Category): Step<number> {
    // Every child, unconditionally: still a different (smaller) input each time.
    const first = category.children[0];
    const rest = category.children.slice(1);
    const counts = first === undefined
      ? []
      : yield* all([countProducts(first), countProducts({ name: category.name, children: rest })]);
    return counts.reduce((a, n) => a + n, 1);
  },
});
