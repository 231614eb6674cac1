// One set-associative TLB, written to mirror QEMU's contrib/plugins/cache.c
// (with 4096-byte blocks), whose miss counts are the independent answers the
// tests check against; random and plru as docs/metrics.md (Replacement)
// defines them.

import type { Geometry, LevelStats, Policy, TlbLevel } from '../model.js';
import { seedState, SplitMix64 } from './splitmix64.js';

/**
 * The address-space part of an entry's tag: a process (PCID), the kernel's
 * global entries, or under KPTI a (process, mode) pair; the machine names them.
 */
export type TagSpace = number | string;

/** Where an entry's frame comes from: the page table (by id) that maps its page, and whether it is global. */
export interface Mapping {
  tree: number;
  global: boolean;
}

const UNOWNED: Mapping = { tree: Number.NaN, global: false };

interface Entry {
  space: TagSpace;
  /** The page's number at its size, 2^shift bytes: an entry maps one page of one size. */
  vpn: bigint;
  shift: bigint;
  pfn: number;
  mapping: Mapping;
  /**
   * LRU: time of the last lookup hit or fill; FIFO: time of the fill only.
   * Either way the victim is the way with the smallest stamp. (Unused by
   * random and plru.)
   */
  stamp: number;
}

const LEVEL_OFFSET: Record<TlbLevel, bigint> = { l1d: 1n, l1i: 2n, l2: 3n };

/**
 * The random generator's starting state of a level of CPU `cpu`: seed + 3 *
 * cpu + 1, 2, 3 (mod 2^64); seed 1 by default (docs/metrics.md, CPUs).
 */
export function randomStart(seed: number | undefined, level: TlbLevel, cpu = 0): bigint {
  return seedState(seed, 3n * BigInt(cpu) + LEVEL_OFFSET[level]);
}

export class Tlb {
  readonly sets: number;
  readonly ways: number;
  readonly counts: LevelStats = { lookups: 0, hits: 0, misses: 0 };
  /** Per set, way by way; null is an invalid way. */
  private readonly table: Array<Array<Entry | null>>;
  /** plru: per set, the ways - 1 bits of the tree (node i's children 2i+1, 2i+2). */
  private readonly plru: number[][];
  private clock = 0;
  /** The random policy's generator. */
  private readonly draws: SplitMix64;

  /** `state`: the random policy's generator state (see randomStart). */
  constructor(
    geometry: Geometry,
    private readonly policy: Policy,
    state = 0n,
  ) {
    const { entries, ways } = geometry;
    if (!Number.isInteger(entries) || !Number.isInteger(ways) || ways < 1 || entries < ways || entries % ways !== 0) {
      throw new Error(`bad TLB geometry ${entries}:${ways}: entries must be a positive multiple of ways`);
    }
    if (policy === 'plru' && (ways & (ways - 1)) !== 0) {
      throw new Error(`bad TLB geometry ${entries}:${ways}: plru needs a power-of-two number of ways`);
    }
    this.ways = ways;
    this.sets = entries / ways;
    this.draws = new SplitMix64(state);
    this.table = Array.from({ length: this.sets }, () => new Array<Entry | null>(ways).fill(null));
    this.plru = policy === 'plru' ? Array.from({ length: this.sets }, () => new Array<number>(ways - 1).fill(0)) : [];
  }

  private setIndex(vpn: bigint): number {
    return Number(vpn % BigInt(this.sets));
  }

  /** Looks a page (number vpn at size 2^shift) up, counting it; returns its frame on a hit, else null. */
  lookup(space: TagSpace, vpn: bigint, shift = 12n): number | null {
    this.counts.lookups++;
    const set = this.setIndex(vpn);
    const ways = this.table[set];
    const w = ways.findIndex((e) => e !== null && e.space === space && e.vpn === vpn && e.shift === shift);
    if (w < 0) {
      this.counts.misses++;
      return null;
    }
    this.counts.hits++;
    const entry = ways[w]!;
    if (this.policy === 'lru') entry.stamp = ++this.clock;
    if (this.policy === 'plru') this.touch(set, w);
    return entry.pfn;
  }

  /** Inserts a page that has just missed (so it is not already present); `mapping`: where its frame comes from. */
  fill(space: TagSpace, vpn: bigint, pfn: number, mapping: Mapping = UNOWNED, shift = 12n): void {
    const set = this.setIndex(vpn);
    const ways = this.table[set];
    const free = ways.indexOf(null); // the lowest-numbered invalid way
    const w = free >= 0 ? free : this.victim(set);
    ways[w] = { space, vpn, shift, pfn, mapping, stamp: ++this.clock };
    if (this.policy === 'plru') this.touch(set, w);
  }

  /** The way to replace in a full set. */
  private victim(set: number): number {
    switch (this.policy) {
      case 'lru':
      case 'fifo': {
        const ways = this.table[set];
        let victim = 0;
        for (let w = 1; w < ways.length; w++) {
          if (ways[w]!.stamp < ways[victim]!.stamp) victim = w;
        }
        return victim;
      }
      case 'random':
        return Number(this.draws.next() % BigInt(this.ways));
      case 'plru': {
        // Follow the bits from the root: 0 left, 1 right.
        const bits = this.plru[set];
        let node = 0;
        let lo = 0;
        let hi = this.ways; // the node's leaves: ways lo .. hi-1
        while (hi - lo > 1) {
          const mid = (lo + hi) / 2;
          if (bits[node] === 0) {
            node = 2 * node + 1;
            hi = mid;
          } else {
            node = 2 * node + 2;
            lo = mid;
          }
        }
        return lo;
      }
    }
  }

  /** plru: point every bit on way w's path away from w (1: w is on the left). */
  private touch(set: number, w: number): void {
    const bits = this.plru[set];
    let node = 0;
    let lo = 0;
    let hi = this.ways;
    while (hi - lo > 1) {
      const mid = (lo + hi) / 2;
      if (w < mid) {
        bits[node] = 1;
        node = 2 * node + 1;
        hi = mid;
      } else {
        bits[node] = 0;
        node = 2 * node + 2;
        lo = mid;
      }
    }
  }

  /** Drops the entry of (space, vpn) if there is one, and says whether there was; leaves the plru bits and the random state alone. */
  invalidate(space: TagSpace, vpn: bigint, shift = 12n): boolean {
    const ways = this.table[this.setIndex(vpn)];
    const w = ways.findIndex((e) => e !== null && e.space === space && e.vpn === vpn && e.shift === shift);
    if (w >= 0) ways[w] = null;
    return w >= 0;
  }

  /**
   * Drops every entry whose frame page `vpn` of page table `tree` gave, under
   * whatever tag (an evicted page's shootdown); says whether there was one.
   */
  invalidateMapping(tree: number, vpn: bigint, shift = 12n): boolean {
    const ways = this.table[this.setIndex(vpn)];
    let held = false;
    ways.forEach((e, w) => {
      if (e !== null && e.mapping.tree === tree && e.vpn === vpn && e.shift === shift) {
        ways[w] = null;
        held = true;
      }
    });
    return held;
  }

  /** Leaves the plru bits and the random state alone. */
  flush(): void {
    for (const ways of this.table) ways.fill(null);
  }

  /** Every entry but the global ones (a context switch without PCID); leaves the plru bits and the random state alone. */
  flushNonGlobal(): void {
    for (const ways of this.table) ways.forEach((e, w) => e !== null && !e.mapping.global && (ways[w] = null));
  }
}
