/**
 * Word count as map-reduce: the smallest complete paxflow job.
 *
 * - `tokenize-count` (map): one chunk of text -> { word: count }.
 * - `merge-counts` (reduce): a list of count tables -> one table.
 * - `word-count` (job): splits the text into chunks at whitespace, fans out one
 *   tokenize-count call per chunk with all(...), then merges the tables pairwise, one
 *   all(...) per level of a binary tree, until one table is left.
 *
 * Everything here is pure: a stage is a function of its input, a job is a generator that
 * only yields calls (via `yield*`) and computes with local values between them.
 */
import { type Step, all, defineJob, defineStage } from "paxflow";

/** Word -> number of occurrences. Keys are sorted, so equal tables encode to equal bytes. */
export type Counts = { readonly [word: string]: number };

export type WordCountInput = {
  readonly text: string;
  /** Target chunk size in characters; a chunk is extended to the next whitespace so no word is cut. */
  readonly chunkChars: number;
};

/**
 * The words of `text`: maximal runs of letters and digits, joined by inner apostrophes
 * ("don't"), lowercased. toLowerCase, not toLocaleLowerCase: the result must not depend on
 * the machine's locale.
 */
export function tokenize(text: string): string[] {
  const word = /[\p{L}\p{N}]+(?:['\u2019][\p{L}\p{N}]+)*/gu;
  return text.toLowerCase().match(word) ?? [];
}

/** Code-unit order: unlike localeCompare, the same on every machine. */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A plain object from a Map, keys sorted. The counting itself uses a Map: a plain `{}` would
 * see inherited keys, so the word "constructor" would start at a function instead of 0.
 */
function sortedTable(counts: ReadonlyMap<string, number>): Counts {
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => byCodeUnit(a, b)));
}

/**
 * Chunks of about `chunkChars` characters, each ending at whitespace (or the end), so every
 * word lies inside exactly one chunk. Concatenated, the chunks are the text again.
 */
export function splitIntoChunks(text: string, chunkChars: number): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + chunkChars, text.length);
    while (end < text.length && !/\s/u.test(text.charAt(end))) end++;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

// Cost models: n is the size of the encoded input in bytes.
// Tokenizing is one regex pass plus a Map update per word: about 35 ns per input byte
// (measured in Node 20), plus a fixed cost for the call. The table it returns grows with the
// vocabulary, which for natural-language text follows Heaps' law: V ≈ K·T^β distinct words in
// T tokens, with K ≈ 30, β ≈ 0.55 for English, T ≈ n / 6 (five letters and a space per word),
// and about 10 encoded bytes per entry (a 7-byte word, its header and a count). It is never
// much larger than the text itself (the worst case is all distinct one-letter words:
// "a b c ..." -> 2 bytes of text, 3 bytes of table per word).
const TOKENIZE_NS_PER_BYTE = 35;
const heapsTableBytes = (n: number): number => 10 * 30 * Math.pow(n / 6, 0.55);

export const countChunk = defineStage({
  name: "word-count/tokenize-count",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  cost: {
    runtimeMs: (n) => 0.05 + (n * TOKENIZE_NS_PER_BYTE) / 1e6,
    outputBytes: (n) => Math.ceil(Math.min(1.5 * n, heapsTableBytes(n))) + 1,
  },
  run: (chunk: string): Counts => {
    const counts = new Map<string, number>();
    for (const word of tokenize(chunk)) counts.set(word, (counts.get(word) ?? 0) + 1);
    return sortedTable(counts);
  },
});

// Merging reads every entry of every table once (about 15 ns per byte) and returns their
// union, which is at most as large as the tables put together (shared words shrink it).
export const mergeCounts = defineStage({
  name: "word-count/merge-counts",
  version: 1,
  caps: ["cpu"],
  timeoutMs: 5_000,
  cost: {
    runtimeMs: (n) => 0.05 + (n * 15) / 1e6,
    outputBytes: (n) => n,
  },
  run: (tables: readonly Counts[]): Counts => {
    const counts = new Map<string, number>();
    for (const table of tables) {
      for (const [word, count] of Object.entries(table)) counts.set(word, (counts.get(word) ?? 0) + count);
    }
    return sortedTable(counts);
  },
});

/** One level of the reduction tree: [t0, t1, t2, t3, t4] -> pairs [[t0, t1], [t2, t3]] and a leftover t4. */
function pairUp(tables: readonly Counts[]): { pairs: Counts[][]; leftover: Counts[] } {
  const pairs: Counts[][] = [];
  for (let i = 0; i + 1 < tables.length; i += 2) pairs.push([tables[i]!, tables[i + 1]!]);
  return { pairs, leftover: tables.length % 2 === 1 ? tables.slice(-1) : [] };
}

export const wordCount = defineJob({
  name: "word-count",
  *run({ text, chunkChars }: WordCountInput): Step<Counts> {
    if (!(Number.isInteger(chunkChars) && chunkChars > 0)) throw new RangeError(`chunkChars must be a positive integer, got ${chunkChars}`);
    // Map: one call per chunk, all running at once.
    let level: Counts[] = yield* all(splitIntoChunks(text, chunkChars).map((chunk) => countChunk(chunk)));
    if (level.length === 0) return {};
    // Reduce: a binary tree, the merges of one level running at once. An odd table out
    // waits for the next level, so k chunks cost exactly k - 1 merges in ceil(log2 k) rounds.
    while (level.length > 1) {
      const { pairs, leftover } = pairUp(level);
      const merged = yield* all(pairs.map((pair) => mergeCounts(pair)));
      level = [...merged, ...leftover];
    }
    return level[0]!;
  },
});
