// Per-PFN translation counts (Stats.pfn), kept packed until read. A trace
// touching a million frames makes a million [pfn, count] arrays, whose
// allocation and garbage collection cost more than a tenth of a replay (and
// far more to clone between threads), while most reports never read them.
// So the counts stay as the core keeps them, u64 per PFN (two u32 halves),
// and the pairs are made on the first read of `pfn`.

import type { Stats } from '../model.js';

const packed = new WeakMap<Stats, Uint32Array>();

/** Makes stats.pfn the counts in `halves` (u64 per PFN as low, high u32), paired on first read. */
export function setPackedPfnCounts(stats: Stats, halves: Uint32Array): void {
  const settle = (value: Array<[number, number]>) => {
    packed.delete(stats);
    Object.defineProperty(stats, 'pfn', { value, enumerable: true, writable: true, configurable: true });
    return value;
  };
  packed.set(stats, halves);
  Object.defineProperty(stats, 'pfn', {
    enumerable: true,
    configurable: true,
    get: () => {
      const out: Array<[number, number]> = [];
      for (let pfn = 0; 2 * pfn < halves.length; pfn++) {
        const n = halves[2 * pfn + 1] * 2 ** 32 + halves[2 * pfn];
        if (n !== 0) out.push([pfn, n]);
      }
      return settle(out);
    },
    set: settle,
  });
}

/**
 * Removes stats.pfn and returns it packed, without pairing it if it was not
 * read: how a result crosses to another thread cheaply.
 */
export function takePackedPfnCounts(stats: Stats): Uint32Array {
  let halves = packed.get(stats);
  if (!halves) {
    const pairs = stats.pfn;
    halves = new Uint32Array(2 * (pairs.length === 0 ? 0 : pairs[pairs.length - 1][0] + 1));
    for (const [pfn, n] of pairs) {
      halves[2 * pfn] = n % 2 ** 32;
      halves[2 * pfn + 1] = Math.floor(n / 2 ** 32);
    }
  }
  packed.delete(stats);
  delete (stats as Partial<Stats>).pfn;
  return halves;
}
