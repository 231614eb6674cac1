// The MMU model: TLB hierarchy, page tables per address space, the frame
// allocator and every counter of docs/metrics.md.

import { FIRST_PFN, policyOf, type Geometry, type MachineConfig, type Stats, type TlbLevel } from '../model.js';
import type { AccessEvent, ControlEvent, TraceEvent } from './decode.js';
import { PageTable, pagingLayout, type PagingLayout } from './pagetable.js';
import { PageWalkCaches } from './pwc.js';
import { randomStart, Tlb } from './tlb.js';

const PAGE_SHIFT = 12n;
const VPN_MASK = (1n << 52n) - 1n;
const U64_MASK = (1n << 64n) - 1n;
/** Distinct [PAGE_FAULT] reasons counted by name; further ones count under OTHER_REASON. */
const MAX_REASONS = 32;
const OTHER_REASON = 'other';

interface AddressSpace {
  id: number;
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

  private readonly spaces = new Map<bigint, AddressSpace>();
  private readonly implicitSpace: AddressSpace;
  private current: AddressSpace;
  private nextSpaceId = 0;
  /** [CR3] lines before the first access name the start space instead of switching. */
  private started = false;

  private nextPfn = FIRST_PFN;
  private pageTableFrames = 0;
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
    nonCanonical: 0,
    observedFaults: 0,
    contextSwitches: 0,
    invlpg: 0,
    flushes: 0,
  };

  constructor(private readonly config: MachineConfig) {
    this.paging = pagingLayout(config.paging);
    const tlb = (level: TlbLevel, geometry: Geometry) =>
      new Tlb(geometry, policyOf(config, level), randomStart(config.seed, level));
    this.l1d = tlb('l1d', config.l1d);
    this.l1i = tlb('l1i', config.l1i);
    this.l2 = config.l2 ? tlb('l2', config.l2) : null;
    this.pwc = config.pwc !== undefined ? new PageWalkCaches(config.pwc, this.paging) : null;
    this.implicitSpace = this.newSpace();
    this.current = this.implicitSpace;
  }

  private newSpace(): AddressSpace {
    return { id: this.nextSpaceId++, table: new PageTable(this.paging), accessed: false };
  }

  private tlbs(): Tlb[] {
    return this.l2 ? [this.l1d, this.l1i, this.l2] : [this.l1d, this.l1i];
  }

  /** Every TLB and page-walk cache, all address spaces ([TLB_FLUSH], a switch without PCID). */
  private flushAll(): void {
    for (const tlb of this.tlbs()) tlb.flush();
    this.pwc?.clear();
  }

  private allocateFrame = (): number => this.nextPfn++;

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
        const vpn = event.va >> PAGE_SHIFT;
        for (const tlb of this.tlbs()) tlb.invalidate(this.current.id, vpn);
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
      space = this.newSpace();
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
      const pfn = Number(physicalAddress >> PAGE_SHIFT);
      this.accessesPerPhysicalPfn.set(pfn, (this.accessesPerPhysicalPfn.get(pfn) ?? 0) + 1);
    }
    if (event.physical) {
      this.counts.physical++;
      if (event.mmio) this.counts.mmio++;
      return;
    }
    const first = event.va >> PAGE_SHIFT;
    const last = ((event.va + BigInt(Math.max(event.size, 1)) - 1n) & U64_MASK) >> PAGE_SHIFT;
    const pages = [first];
    if (last !== first) {
      this.counts.crossings++;
      pages.push((first + 1n) & VPN_MASK);
    }
    for (const vpn of pages) {
      if (this.paging.translatable(vpn)) this.translate(event.op === 'X' ? this.l1i : this.l1d, vpn);
      else this.counts.nonCanonical++;
    }
  }

  private translate(l1: Tlb, vpn: bigint): void {
    const space = this.current;
    // The root (PD, PAE's PDPT, PML4 or PML5) on the space's first
    // translation, which is also its first walk: a space's TLB entries come
    // only from its own walks.
    if (space.table.root === null) {
      space.table.root = this.allocateFrame();
      this.pageTableFrames++;
    }
    let pfn = l1.lookup(space.id, vpn);
    if (pfn === null) {
      pfn = this.l2 ? this.l2.lookup(space.id, vpn) : null;
      if (pfn === null) {
        pfn = this.walk(space, vpn);
        this.l2?.fill(space.id, vpn, pfn);
      }
      l1.fill(space.id, vpn, pfn);
    }
    this.translationsPerPfn.set(pfn, (this.translationsPerPfn.get(pfn) ?? 0) + 1);
  }

  private walk(space: AddressSpace, vpn: bigint): number {
    this.counts.walks++;
    // A hit in page-walk cache k leaves k entries to read; no hit (or no
    // caches), one per level from the root.
    const reads = this.pwc ? this.pwc.probe(space.id, vpn) : this.paging.levels;
    this.counts.walkRefs += reads;
    let pfn = space.table.frameOf(vpn);
    if (pfn === undefined) {
      this.counts.minorFaults++;
      const mapped = space.table.map(vpn, this.allocateFrame);
      this.pageTableFrames += mapped.tables;
      pfn = mapped.pfn;
    }
    // Once the page is mapped (a fault's walk too): the upper-level entries
    // the walk read go into their caches.
    this.pwc?.fill(space.id, vpn, reads);
    return pfn;
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
        major: 0,
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
      frames: { used: this.nextPfn - FIRST_PFN, pageTable: this.pageTableFrames },
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
    return stats;
  }
}

/** Ascending by PFN, zero counts left out. */
function histogram(counts: Map<number, number>): Array<[number, number]> {
  return [...counts.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
}
