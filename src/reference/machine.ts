// The MMU model: TLB hierarchy, page tables per address space, physical
// memory (frame allocator, limit, eviction) and every counter of
// docs/metrics.md.

import { MODE_PAGE_SIZES, policyOf, type Geometry, type MachineConfig, type Stats, type TlbLevel } from '../model.js';
import { frameAllocator, type FrameAllocator } from './alloc.js';
import type { AccessEvent, ControlEvent, TraceEvent } from './decode.js';
import { IMPLICIT_SPACE, pageKey, type Future } from './future.js';
import { PhysicalMemory, type ResidentPage } from './memory.js';
import { leafLevel, PageTable, pagingLayout, type PagingLayout } from './pagetable.js';
import { pagesTouched, pageShiftOf } from './pages.js';
import { PageWalkCaches } from './pwc.js';
import { randomStart, Tlb } from './tlb.js';

const BASE_PAGE_SHIFT = 12n;
/** Distinct [PAGE_FAULT] reasons counted by name; further ones count under OTHER_REASON. */
const MAX_REASONS = 32;
const OTHER_REASON = 'other';

interface AddressSpace {
  id: number;
  /** The [CR3] value that names it (hex), or IMPLICIT_SPACE: how the OPT pre-pass names it. */
  name: string;
  table: PageTable;
  accessed: boolean;
}

export class Machine {
  private readonly l1d: Tlb;
  private readonly l1i: Tlb;
  private readonly l2: Tlb | null;
  /** null: no page-walk caches (no `pwc` in the config). */
  private readonly pwc: PageWalkCaches | null;
  /** The paging mode's tree shape and translatable pages. */
  private readonly paging: PagingLayout;
  /** log2 of the page size: pages, TLB tags and sets are `va >> pageShift`. */
  private readonly pageShift: bigint;

  private readonly allocator: FrameAllocator;
  private readonly memory: PhysicalMemory;
  /** Index of the next translation (the OPT pre-pass numbers them the same way). */
  private translations = 0;

  private readonly spaces = new Map<bigint, AddressSpace>();
  /** By id, for evictions, which may hit any space's pages. */
  private readonly spacesById: AddressSpace[] = [];
  private readonly implicitSpace: AddressSpace;
  private current: AddressSpace;
  private nextSpaceId = 0;
  /** [CR3] lines before the first access name the start space instead of switching. */
  private started = false;

  private readonly translationsPerPfn = new Map<number, number>();
  /** Accesses per frame of the physical addresses the trace gives. */
  private readonly accessesPerPhysicalPfn = new Map<number, number>();
  /** [PAGE_FAULT] lines per reason, in order of first appearance. */
  private readonly faultsByReason = new Map<string, number>();

  private readonly counts = {
    read: 0,
    write: 0,
    fetch: 0,
    physical: 0,
    mmio: 0,
    crossings: 0,
    walks: 0,
    walkRefs: 0,
    minorFaults: 0,
    majorFaults: 0,
    nonCanonical: 0,
    observedFaults: 0,
    contextSwitches: 0,
    invlpg: 0,
    flushes: 0,
  };

  /** `future`: every translation's next use, which the `opt` eviction policy needs (see futureOf). */
  constructor(
    private readonly config: MachineConfig,
    private readonly future?: Future,
  ) {
    this.paging = pagingLayout(config.paging);
    this.pageShift = pageShiftOf(config);
    const mode = config.paging ?? 'x86-64';
    const pageSize = config.pageSize ?? '4K';
    if (!MODE_PAGE_SIZES[mode].includes(pageSize)) {
      throw new Error(`bad page size ${pageSize} for paging mode ${mode}: it maps ${MODE_PAGE_SIZES[mode].join(', ')}`);
    }
    // Both need runs of free frames for huge pages, which the model does not track.
    if (pageSize !== '4K' && (config.frames !== undefined || (config.alloc ?? 'sequential') !== 'sequential')) {
      throw new Error(`huge pages (${pageSize}) combine with neither a frame limit nor the shuffled allocator`);
    }
    const evict = config.evict ?? 'lru';
    if (config.frames !== undefined && evict === 'opt' && !future) throw new Error('the opt eviction policy needs the future of the trace');
    this.allocator = frameAllocator(config.alloc, config.frames, config.seed);
    this.memory = new PhysicalMemory(this.allocator, config.frames, evict, 2 ** Number(this.pageShift - BASE_PAGE_SHIFT), (victim) =>
      this.evict(victim),
    );
    const tlb = (level: TlbLevel, geometry: Geometry) =>
      new Tlb(geometry, policyOf(config, level), randomStart(config.seed, level));
    this.l1d = tlb('l1d', config.l1d);
    this.l1i = tlb('l1i', config.l1i);
    this.l2 = config.l2 ? tlb('l2', config.l2) : null;
    this.pwc = config.pwc !== undefined ? new PageWalkCaches(config.pwc, this.paging, leafLevel(this.pageShift)) : null;
    this.implicitSpace = this.newSpace(IMPLICIT_SPACE);
    this.current = this.implicitSpace;
  }

  private newSpace(name: string): AddressSpace {
    const space = { id: this.nextSpaceId++, name, table: new PageTable(this.paging, this.pageShift), accessed: false };
    this.spacesById.push(space);
    return space;
  }

  private tlbs(): Tlb[] {
    return this.l2 ? [this.l1d, this.l1i, this.l2] : [this.l1d, this.l1i];
  }

  /** Every TLB and page-walk cache, all address spaces ([TLB_FLUSH], a switch without PCID). */
  private flushAll(): void {
    for (const tlb of this.tlbs()) tlb.flush();
    this.pwc?.clear();
  }

  handle(event: TraceEvent): void {
    if (event.kind === 'access') this.access(event);
    else this.control(event);
  }

  private control(event: ControlEvent): void {
    switch (event.kind) {
      case 'cr3':
        this.cr3(event.value);
        break;
      case 'invlpg': {
        this.counts.invlpg++;
        const page = event.va >> this.pageShift;
        for (const tlb of this.tlbs()) tlb.invalidate(this.current.id, page);
        // As on Intel: the page-walk caches are emptied entirely.
        this.pwc?.clear();
        break;
      }
      case 'flush':
        this.counts.flushes++;
        this.flushAll();
        break;
      case 'pageFault':
        this.counts.observedFaults++;
        this.countReason(event.reason);
        break;
    }
  }

  /** The first 32 distinct reasons are counted by name, every later one as `other`. */
  private countReason(reason: string): void {
    const counts = this.faultsByReason;
    // Until the 32nd distinct reason, no `other` key exists, so the map's
    // size is the number of distinct reasons.
    const key = counts.has(reason) || counts.size < MAX_REASONS ? reason : OTHER_REASON;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }

  private cr3(value: bigint): void {
    let space = this.spaces.get(value);
    if (!space) {
      space = this.newSpace(value.toString(16));
      this.spaces.set(value, space);
    }
    if (!this.started) {
      this.current = space;
      return;
    }
    if (space === this.current) return;
    this.counts.contextSwitches++;
    this.current = space;
    if (!this.config.pcid) this.flushAll();
  }

  private access(event: AccessEvent): void {
    this.started = true;
    this.current.accessed = true;
    if (event.op === 'R') this.counts.read++;
    else if (event.op === 'W') this.counts.write++;
    else this.counts.fetch++;
    // The trace's own physical address: a PA= / memcsv hwaddr, or the address
    // itself of a physical access to RAM (not of a device).
    const physicalAddress = event.physical ? (event.mmio ? undefined : event.va) : event.pa;
    if (physicalAddress !== undefined) {
      const pfn = Number(physicalAddress >> BASE_PAGE_SHIFT);
      this.accessesPerPhysicalPfn.set(pfn, (this.accessesPerPhysicalPfn.get(pfn) ?? 0) + 1);
    }
    if (event.physical) {
      this.counts.physical++;
      if (event.mmio) this.counts.mmio++;
      return;
    }
    const pages = pagesTouched(event.va, event.size, this.pageShift);
    if (pages.length > 1) this.counts.crossings++;
    for (const page of pages) {
      // A page is translatable when its first 4 KiB page is.
      if (this.paging.translatable(page << (this.pageShift - BASE_PAGE_SHIFT))) this.translate(event.op, page);
      else this.counts.nonCanonical++;
    }
  }

  private translate(op: AccessEvent['op'], page: bigint): void {
    const space = this.current;
    const t = this.translations++;
    if (this.future && this.future.keys[t] !== pageKey(space.name, page)) {
      throw new Error(`the OPT pre-pass saw translation ${t} as ${this.future.keys[t]}, the machine as ${pageKey(space.name, page)}`);
    }
    // The root (PD, PAE's PDPT, PML4 or PML5) on the space's first
    // translation, which is also its first walk: a space's TLB entries come
    // only from its own walks.
    if (space.table.root === null) space.table.root = this.memory.takeTable();
    const l1 = op === 'X' ? this.l1i : this.l1d;
    let pfn = l1.lookup(space.id, page);
    if (pfn === null) {
      pfn = this.l2 ? this.l2.lookup(space.id, page) : null;
      if (pfn === null) {
        pfn = this.walk(space, page);
        this.l2?.fill(space.id, page, pfn);
      }
      l1.fill(space.id, page, pfn);
    }
    this.translationsPerPfn.set(pfn, (this.translationsPerPfn.get(pfn) ?? 0) + 1);
    this.memory.translated(pfn, op === 'W', this.future?.next[t] ?? Infinity);
  }

  private walk(space: AddressSpace, page: bigint): number {
    this.counts.walks++;
    // The page-walk caches tag by the 4 KiB VPN's upper bits.
    const vpn = page << (this.pageShift - BASE_PAGE_SHIFT);
    // A hit in page-walk cache k leaves k - leaf entries to read; no hit (or
    // no caches), one per level from the root down to the leaf.
    const reads = this.pwc ? this.pwc.probe(space.id, vpn) : this.paging.levels - leafLevel(this.pageShift);
    this.counts.walkRefs += reads;
    const pte = space.table.entry(page);
    let pfn: number;
    if (pte === undefined) {
      this.counts.minorFaults++;
      pfn = space.table.map(
        page,
        () => this.memory.takeTable(),
        () => this.memory.load(space.id, page),
      ).pfn;
    } else if (!pte.present) {
      // Evicted: its tables are all there (they are never evicted); only the data page comes back.
      this.counts.majorFaults++;
      pte.pfn = this.memory.load(space.id, page);
      pte.present = true;
      pfn = pte.pfn;
    } else {
      pfn = pte.pfn;
    }
    // Once the page is mapped (a fault's walk too): the upper-level entries
    // the walk read go into their caches.
    this.pwc?.fill(space.id, vpn, reads);
    return pfn;
  }

  /**
   * A data page loses its frame: its PTE is no longer present, and every TLB
   * entry mapping it goes. Entries are tagged by (owner space, page), and a
   * frame is mapped by one page at a time, so these are exactly the entries
   * holding its frame, whatever space is current. Says whether there was one
   * (a shootdown). The page-walk caches stay: the tables above do not change.
   */
  private evict(victim: ResidentPage): boolean {
    const pte = this.spacesById[victim.space].table.entry(victim.page);
    if (!pte || !pte.present || pte.pfn !== victim.pfn) throw new Error(`evicting frame ${victim.pfn}, which its page does not map`);
    pte.present = false;
    let shotDown = false;
    for (const tlb of this.tlbs()) if (tlb.invalidate(victim.space, victim.page)) shotDown = true;
    return shotDown;
  }

  stats(records: number, badLines: number, ignoredLines: number): Stats {
    const c = this.counts;
    const level = (tlb: Tlb) => ({ ...tlb.counts });
    const allSpaces = [this.implicitSpace, ...this.spaces.values()];
    const stats: Stats = {
      records,
      accesses: { read: c.read, write: c.write, fetch: c.fetch, physical: c.physical, mmio: c.mmio },
      crossings: c.crossings,
      tlb: { l1d: level(this.l1d), l1i: level(this.l1i) },
      walks: { count: c.walks, refs: c.walkRefs },
      faults: {
        minor: c.minorFaults,
        major: c.majorFaults,
        nonCanonical: c.nonCanonical,
        invalid: 0,
        protection: { read: 0, write: 0, exec: 0, user: 0 },
        observed: c.observedFaults,
        // Reasons are counted by their bytes (the trace text is read as
        // latin1, one char per byte) and named by those bytes read as UTF-8.
        // fromEntries defines own properties, so even a reason named
        // `__proto__` is an ordinary key.
        observedByReason: Object.fromEntries(
          [...this.faultsByReason].map(([reason, n]) => [Buffer.from(reason, 'latin1').toString('utf8'), n]),
        ),
      },
      frames: { used: this.allocator.handedOut, pageTable: this.memory.pageTables },
      contexts: allSpaces.filter((s) => s.accessed).length,
      contextSwitches: c.contextSwitches,
      kptiSwitches: 0,
      invlpg: c.invlpg,
      flushes: c.flushes,
      badLines,
      ignoredLines,
      pfn: histogram(this.translationsPerPfn),
      physicalPfn: histogram(this.accessesPerPhysicalPfn),
    };
    if (this.l2) stats.tlb.l2 = level(this.l2);
    if (this.pwc) stats.walks.pwc = this.pwc.stats();
    if (this.config.frames !== undefined) stats.memory = { frames: this.config.frames, ...this.memory.counts };
    return stats;
  }
}

/** Ascending by PFN, zero counts left out. */
function histogram(counts: Map<number, number>): Array<[number, number]> {
  return [...counts.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
}
