/**
 * A few declarations the checker's TypeScript program gets instead of TypeScript's lib files.
 *
 * The checker runs without lib files on purpose: every name a project does not declare is then a
 * host global, judged by core/check/builtins.ts, never trusted because a .d.ts declares it. But
 * without any lib, `Row[]` has no element type, so a callback's parameter (`rows.map((r) => ...)`)
 * or a loop variable is `any`, and the provenance analysis cannot tell that `r.sensor` is a
 * string nobody can write through. These declarations give arrays, maps and sets their element
 * types and nothing else: the only values declared are `Symbol` (for...of needs its iterator),
 * `Array` and `Object` for the element types of `Array.from` and `Object.entries`/`values`, and
 * `Date`, so a field or an array typed with Date is known to hold one (a Date turned into text is
 * local time). A
 * declaration here is still a host global to the checker (it is ambient), judged by the allowlist.
 */
export const ELEMENT_TYPES_FILE = "/__paxflow_element_types__.d.ts";

export const ELEMENT_TYPES = `
interface Boolean {} interface Function {} interface CallableFunction {} interface NewableFunction {}
interface IArguments {} interface Number {} interface Object {} interface RegExp {} interface String { readonly length: number }
interface SymbolConstructor { readonly iterator: unique symbol; readonly toPrimitive: unique symbol }
declare var Symbol: SymbolConstructor;
interface IteratorResult<T> { done?: boolean; value: T }
interface Iterator<T> { next(): IteratorResult<T> }
interface Iterable<T> { [Symbol.iterator](): Iterator<T> }
interface IterableIterator<T> extends Iterator<T> { [Symbol.iterator](): IterableIterator<T> }
interface ReadonlyArray<T> {
  readonly [n: number]: T; readonly length: number;
  [Symbol.iterator](): IterableIterator<T>;
  forEach(cb: (value: T, index: number, array: readonly T[]) => void): void;
  map<U>(cb: (value: T, index: number, array: readonly T[]) => U): U[];
  flatMap<U>(cb: (value: T, index: number, array: readonly T[]) => U | readonly U[]): U[];
  filter(cb: (value: T, index: number, array: readonly T[]) => unknown): T[];
  find(cb: (value: T, index: number, array: readonly T[]) => unknown): T | undefined;
  findLast(cb: (value: T, index: number, array: readonly T[]) => unknown): T | undefined;
  findIndex(cb: (value: T, index: number, array: readonly T[]) => unknown): number;
  some(cb: (value: T, index: number, array: readonly T[]) => unknown): boolean;
  every(cb: (value: T, index: number, array: readonly T[]) => unknown): boolean;
  reduce(cb: (acc: T, value: T, index: number, array: readonly T[]) => T): T;
  reduce<U>(cb: (acc: U, value: T, index: number, array: readonly T[]) => U, init: U): U;
  reduceRight<U>(cb: (acc: U, value: T, index: number, array: readonly T[]) => U, init: U): U;
  toSorted(cmp?: (a: T, b: T) => number): T[];
  slice(start?: number, end?: number): T[];
  at(index: number): T | undefined;
}
interface Array<T> extends ReadonlyArray<T> {
  [n: number]: T; length: number;
  sort(cmp?: (a: T, b: T) => number): this;
  push(...items: T[]): number;
  pop(): T | undefined;
  shift(): T | undefined;
}
interface ReadonlyMap<K, V> { get(key: K): V | undefined; readonly size: number; forEach(cb: (value: V, key: K) => void): void; [Symbol.iterator](): IterableIterator<[K, V]>; values(): IterableIterator<V>; keys(): IterableIterator<K>; entries(): IterableIterator<[K, V]> }
interface Map<K, V> extends ReadonlyMap<K, V> {}
interface ReadonlySet<T> { readonly size: number; forEach(cb: (value: T) => void): void; [Symbol.iterator](): IterableIterator<T>; values(): IterableIterator<T> }
interface Set<T> extends ReadonlySet<T> {}
interface ArrayLike<T> { readonly length: number; readonly [n: number]: T }
interface ArrayConstructor {
  from<T, U>(items: Iterable<T> | ArrayLike<T>, map: (value: T, index: number) => U): U[];
  from<T>(items: Iterable<T> | ArrayLike<T>): T[];
  of<T>(...items: T[]): T[];
}
declare var Array: ArrayConstructor;
interface ObjectConstructor {
  entries<T>(o: { readonly [key: string]: T }): [string, T][];
  values<T>(o: { readonly [key: string]: T }): T[];
  keys(o: object): string[];
  freeze<T>(o: T): Readonly<T>;
}
declare var Object: ObjectConstructor;
interface Date { getTime(): number; toISOString(): string }
interface DateConstructor { new (value?: number | string | Date): Date; new (year: number, monthIndex: number, ...rest: number[]): Date }
declare var Date: DateConstructor;
type Record<K extends keyof any, T> = { [P in K]: T };
type Partial<T> = { [P in keyof T]?: T[P] };
type Readonly<T> = { readonly [P in keyof T]: T[P] };
`;
