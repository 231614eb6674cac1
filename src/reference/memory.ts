// Physical memory (docs/metrics.md, Physical memory and eviction): frames
// come from the allocator until the limit; after that each request evicts a
// resident data page, chosen by the eviction policy, and takes its frame.
// Page-table frames are never evicted. Written for reading, not speed: every
// victim is found by a scan of the pool.

import { UserError } from '../errors.js';
import { EVICTION_POLICIES, FIRST_PFN, type EvictionPolicy } from '../model.js';
import type { FrameAllocator } from './alloc.js';

/** A data page in a frame. */
export interface ResidentPage {
  /** The owner: its page table's id (an address space's, or the kernel's) and page number (at the run's page size). */
  readonly space: number;
  readonly page: bigint;
  readonly pfn: number;
  /** A write was translated to it since it was loaded (a writeback on eviction). */
  written: boolean;
  /** fifo: when it was loaded; lru: when it was last translated (loading counts). */
  loadedAt: number;
  lastTranslated: number;
  /** clock: the referenced bit. */
  referenced: boolean;
  /** opt: the index of its next translation (Infinity: never). */
  nextUse: number;
}

export class PhysicalMemory {
  readonly counts = { evictions: 0, writebacks: 0, shootdowns: 0 };
  /** Page-table frames handed out (never freed). */
  pageTables = 0;
  /** With a limit: what each frame of the pool holds (every frame is one or the other once handed out). */
  private readonly holds = new Map<number, 'table' | ResidentPage>();
  /** Orders loads and translations for fifo and lru. */
  private time = 0;
  /** clock: the next frame to look at. */
  private hand = FIRST_PFN;

  /**
   * `limit`: frames in the pool (undefined: no limit, nothing is tracked).
   * `evict` undoes a victim's mapping and TLB entries, and says whether any
   * TLB held it.
   */
  constructor(
    private readonly allocator: FrameAllocator,
    private readonly limit: number | undefined,
    private readonly policy: EvictionPolicy,
    private readonly evict: (victim: ResidentPage) => boolean,
  ) {
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) {
      throw new Error(`bad frame limit ${limit}: must be a positive integer`);
    }
    if (!(EVICTION_POLICIES as readonly string[]).includes(policy)) {
      throw new Error(`bad eviction policy ${String(policy)}: must be one of ${EVICTION_POLICIES.join(', ')}`);
    }
  }

  get limited(): boolean {
    return this.limit !== undefined;
  }

  /** A frame for a page table. */
  takeTable(): number {
    const pfn = this.take(1);
    this.pageTables++;
    if (this.limited) this.holds.set(pfn, 'table');
    return pfn;
  }

  /** Data pages mapped to a frame the trace named (--alloc trace). */
  traceMapped = 0;

  /**
   * `frames` consecutive frames for a data page being loaded (minor or
   * major fault); returns the first. `traceFrame`: the frame the faulting
   * access's physical address names (--alloc trace), taken as it is.
   */
  load(space: number, page: bigint, frames: number, traceFrame?: number): number {
    if (traceFrame !== undefined) {
      this.traceMapped++;
      return traceFrame;
    }
    if (this.limited && frames !== 1) throw new Error('a frame limit needs 4 KiB pages');
    const pfn = this.take(frames);
    if (this.limited) {
      const now = this.time++;
      this.holds.set(pfn, { space, page, pfn, written: false, loadedAt: now, lastTranslated: now, referenced: true, nextUse: Infinity });
    }
    return pfn;
  }

  /** A translation (TLB hit or walk) resolved to `pfn`; `nextUse`: the index of the page's next translation. */
  translated(pfn: number, write: boolean, nextUse: number): void {
    if (!this.limited) return;
    const resident = this.holds.get(pfn);
    if (resident === undefined || resident === 'table') throw new Error(`translation to frame ${pfn}, which holds no data page`);
    resident.lastTranslated = this.time++;
    resident.referenced = true;
    resident.nextUse = nextUse;
    if (write) resident.written = true;
  }

  /** `count` free frames (a page table: 1) while the limit allows, else a victim's frame (with a limit, pages are 4 KiB). */
  private take(count: number): number {
    if (this.limit === undefined || this.allocator.handedOut < this.limit) return this.allocator.take(count);
    const victim = this.victim();
    if (victim === undefined) {
      throw new UserError(`the page tables alone need more than ${this.limit} frames: every frame holds a page table (give more --frames)`);
    }
    this.holds.delete(victim.pfn);
    this.counts.evictions++;
    if (victim.written) this.counts.writebacks++;
    if (this.evict(victim)) this.counts.shootdowns++;
    return victim.pfn;
  }

  /** The resident data pages, ascending PFN. */
  private residents(): ResidentPage[] {
    const pages: ResidentPage[] = [];
    for (const held of this.holds.values()) if (held !== 'table') pages.push(held);
    return pages.sort((a, b) => a.pfn - b.pfn);
  }

  /** The policy's victim; undefined when no frame holds a data page. */
  private victim(): ResidentPage | undefined {
    const pages = this.residents();
    if (pages.length === 0) return undefined;
    /** The first page (lowest PFN) with the smallest key. */
    const least = (key: (p: ResidentPage) => number) => pages.reduce((best, p) => (key(p) < key(best) ? p : best));
    switch (this.policy) {
      case 'lru':
        return least((p) => p.lastTranslated);
      case 'fifo':
        return least((p) => p.loadedAt);
      case 'opt':
        // Farthest next translation; never again (Infinity) is farthest, and
        // ties (only those can tie) go to the lowest PFN.
        return least((p) => -p.nextUse);
      case 'clock':
        return this.clockVictim();
    }
  }

  /**
   * Second chance from the hand, over the pool's frames in PFN order (the
   * pool is 256 .. 256 + limit - 1 for either allocator, and every frame of
   * it is handed out by now); only called when a data page exists.
   */
  private clockVictim(): ResidentPage {
    const end = FIRST_PFN + this.limit!;
    for (;;) {
      const pfn = this.hand;
      const held = this.holds.get(pfn);
      this.hand = pfn + 1 === end ? FIRST_PFN : pfn + 1;
      if (held === undefined) throw new Error(`frame ${pfn} of the pool was never handed out`);
      if (held === 'table') continue;
      if (held.referenced) held.referenced = false;
      else return held;
    }
  }
}
