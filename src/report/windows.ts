// Interval snapshots are cumulative; reports show windows: the counts of
// the records between one snapshot and the next (docs/metrics.md, Intervals).

import type { IntervalSnapshot } from '../model.js';

export interface IntervalWindow extends IntervalSnapshot {
  /** 1-based. */
  window: number;
  /** The window's first and last record, 1-based, inclusive. */
  firstRecord: number;
  lastRecord: number;
}

const ZERO: IntervalSnapshot = {
  records: 0, reads: 0, writes: 0, fetches: 0, l1dLookups: 0, l1dMisses: 0, l1iLookups: 0, l1iMisses: 0,
  l2Lookups: 0, l2Misses: 0, walks: 0, walkRefs: 0, minorFaults: 0, majorFaults: 0, nonCanonical: 0,
};

export function intervalWindows(snapshots: IntervalSnapshot[]): IntervalWindow[] {
  let before = ZERO;
  return snapshots.map((after, i) => {
    const delta = Object.fromEntries(
      (Object.keys(ZERO) as Array<keyof IntervalSnapshot>).map((k) => [k, after[k] - before[k]]),
    ) as unknown as IntervalSnapshot;
    const window = { window: i + 1, firstRecord: before.records + 1, lastRecord: after.records, ...delta };
    before = after;
    return window;
  });
}

/** misses / lookups, or null when there were no lookups (an empty cell, not 0). */
export function rate(misses: number, lookups: number): number | null {
  return lookups === 0 ? null : misses / lookups;
}
