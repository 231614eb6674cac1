// One set-associative TLB, written to mirror QEMU's contrib/plugins/cache.c
// (with 4096-byte blocks), whose miss counts are the independent answers the
// tests check against.

import type { Geometry, LevelStats, Policy } from '../model.js';

interface Entry {
  space: number;
  vpn: bigint;
  pfn: number;
  /**
   * LRU: time of the last lookup hit or fill; FIFO: time of the fill only.
   * Either way the victim is the way with the smallest stamp.
   */
  stamp: number;
}

export class Tlb {
  readonly sets: number;
  readonly ways: number;
  readonly counts: LevelStats = { lookups: 0, hits: 0, misses: 0 };
  private readonly table: Array<Array<Entry | null>>;
  private clock = 0;

  constructor(geometry: Geometry, private readonly policy: Policy) {
    const { entries, ways } = geometry;
    if (!Number.isInteger(entries) || !Number.isInteger(ways) || ways < 1 || entries < ways || entries % ways !== 0) {
      throw new Error(`bad TLB geometry ${entries}:${ways}: entries must be a positive multiple of ways`);
    }
    this.ways = ways;
    this.sets = entries / ways;
    this.table = Array.from({ length: this.sets }, () => new Array<Entry | null>(ways).fill(null));
  }

  private set(vpn: bigint): Array<Entry | null> {
    return this.table[Number(vpn % BigInt(this.sets))];
  }

  /** Looks a page up, counting it; returns its frame on a hit, else null. */
  lookup(space: number, vpn: bigint): number | null {
    this.counts.lookups++;
    const entry = this.set(vpn).find((e) => e !== null && e.space === space && e.vpn === vpn);
    if (!entry) {
      this.counts.misses++;
      return null;
    }
    this.counts.hits++;
    if (this.policy === 'lru') entry.stamp = ++this.clock;
    return entry.pfn;
  }

  /** Inserts a page that has just missed (so it is not already present). */
  fill(space: number, vpn: bigint, pfn: number): void {
    const ways = this.set(vpn);
    const entry: Entry = { space, vpn, pfn, stamp: ++this.clock };
    const free = ways.indexOf(null);
    if (free >= 0) {
      ways[free] = entry;
      return;
    }
    let victim = 0;
    for (let w = 1; w < ways.length; w++) {
      if (ways[w]!.stamp < ways[victim]!.stamp) victim = w;
    }
    ways[victim] = entry;
  }

  invalidate(space: number, vpn: bigint): void {
    const ways = this.set(vpn);
    const w = ways.findIndex((e) => e !== null && e.space === space && e.vpn === vpn);
    if (w >= 0) ways[w] = null;
  }

  flush(): void {
    for (const ways of this.table) ways.fill(null);
  }
}
