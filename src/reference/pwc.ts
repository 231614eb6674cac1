// Page-walk caches (docs/metrics.md, Page walks and faults, and Huge pages):
// one fully associative LRU cache per upper level of the paging mode, probed
// deepest first by every walk; with huge pages only those above the leaf
// level. Written for reading, not speed.

import { PWC_LEVELS, type PwcLevel } from '../model.js';
import type { PagingLayout } from './pagetable.js';
import type { TagSpace } from './tlb.js';

/** One fully associative LRU cache of upper-level entries. */
class LruSet {
  /** Keys in LRU order: the first is the least recently used (a Set keeps insertion order). */
  private readonly keys = new Set<string>();
  readonly counts = { lookups: 0, hits: 0 };

  constructor(private readonly entries: number) {}

  /** Counts a probe; a hit makes the entry the most recently used. */
  probe(key: string): boolean {
    this.counts.lookups++;
    if (!this.keys.has(key)) return false;
    this.counts.hits++;
    this.keys.delete(key);
    this.keys.add(key);
    return true;
  }

  /** Inserts an entry (that has just missed) as the most recently used, evicting the least recently used when full. */
  fill(key: string): void {
    if (this.entries === 0) return;
    this.keys.delete(key);
    if (this.keys.size >= this.entries) {
      const lru = this.keys.values().next().value as string;
      this.keys.delete(lru);
    }
    this.keys.add(key);
  }

  clear(): void {
    this.keys.clear();
  }
}

/** The page-walk caches of one machine: those its paging mode has, deepest (`pde`) first. */
export class PageWalkCaches {
  /** Cache k (k = 1 .. levels-1) at index k-1. */
  private readonly caches: LruSet[];

  constructor(
    sizes: Partial<Record<PwcLevel, number>>,
    private readonly layout: PagingLayout,
  ) {
    for (const [name, n] of Object.entries(sizes)) {
      if (!(PWC_LEVELS as readonly string[]).includes(name)) {
        throw new Error(`bad page-walk cache ${name}: must be one of ${PWC_LEVELS.join(', ')}`);
      }
      if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) {
        throw new Error(`bad page-walk cache size ${name}=${String(n)}: must be a non-negative integer`);
      }
    }
    // A level left out has 0 entries; levels the mode lacks are ignored.
    this.caches = layout.pwcShifts.map((_, i) => new LruSet(sizes[PWC_LEVELS[i]] ?? 0));
  }

  /** Cache k's tag of a page: (address space, the bits of its 4 KiB VPN above level k's index). */
  private key(k: number, space: TagSpace, vpn: bigint): string {
    return `${space}:${(vpn >> this.layout.pwcShifts[k - 1]).toString(16)}`;
  }

  /**
   * Probes caches leaf+1, leaf+2, ... in turn (those holding pointers to
   * tables, not the leaf's entries), stopping at the first hit. Returns the
   * number of page-table entries the walk reads: k - leaf for a hit in cache
   * k, the mode's levels - leaf with no hit. `vpn`: the page's first 4 KiB
   * VPN; `leaf`: the level of the entry that maps it (see leafLevel).
   */
  probe(space: TagSpace, vpn: bigint, leaf: number): number {
    for (let k = leaf + 1; k <= this.caches.length; k++) {
      if (this.caches[k - 1].probe(this.key(k, space, vpn))) return k - leaf;
    }
    return this.layout.levels - leaf;
  }

  /**
   * After a walk that read `reads` entries (levels leaf+reads-1 .. leaf):
   * fills the caches of the upper-level entries it read, leaf+1 .. leaf+reads-1.
   */
  fill(space: TagSpace, vpn: bigint, reads: number, leaf: number): void {
    for (let k = leaf + 1; k < leaf + reads; k++) this.caches[k - 1].fill(this.key(k, space, vpn));
  }

  /** Empties every cache (all levels, all address spaces). */
  clear(): void {
    for (const cache of this.caches) cache.clear();
  }

  /** Lookups and hits of every cache the mode has. */
  stats(): Partial<Record<PwcLevel, { lookups: number; hits: number }>> {
    return Object.fromEntries(this.caches.map((cache, i) => [PWC_LEVELS[i], { ...cache.counts }]));
  }
}
