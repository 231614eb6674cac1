// The OPT eviction policy's knowledge of the future (docs/metrics.md,
// Physical memory and eviction): a pre-pass over the whole trace lists every
// translation's page, in the machine's order (replay.ts runs the machine
// without a frame limit to list them: which pages are translated, and in
// what order, does not depend on memory), and for each translation the
// index of the next one of the same page.

/** A page's name across the trace: its page table's id (an address space's, or the kernel's) and its number. */
export const pageKey = (tree: number, page: bigint): string => `${tree}/${page.toString(16)}`;

export interface Future {
  /** Translation t's page (pageKey). */
  readonly keys: readonly string[];
  /** Translation t's page's next translation index; Infinity when it has none. */
  readonly next: readonly number[];
}

export function futureOf(keys: readonly string[]): Future {
  const next = new Array<number>(keys.length).fill(Infinity);
  const seen = new Map<string, number>();
  for (let t = keys.length - 1; t >= 0; t--) {
    next[t] = seen.get(keys[t]) ?? Infinity;
    seen.set(keys[t], t);
  }
  return { keys, next };
}
