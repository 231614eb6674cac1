// The MMU model: per-CPU TLB hierarchies, page tables per address space (and
// the kernel's), physical memory (frame allocator, limit, eviction), kernel
// layouts, region maps, KPTI and every counter of docs/metrics.md.

import { UserError } from '../errors.js';
import {
  MODE_PAGE_SIZES, PAGE_SHIFTS, type CollectOptions, type FrameCounts, type IntervalSnapshot, type LevelStats, type MachineConfig, type PageCounts,
  type PwcLevel, type Region, type Stats,
} from '../model.js';
import { frameAllocator, type FrameAllocator } from './alloc.js';
import { Cpu, type Mode } from './cpu.js';
import type { AccessEvent, ControlEvent, Op, TraceEvent } from './decode.js';
import { pageKey, type Future } from './future.js';
import { kernelLayout, mapOf, regionAt, type KernelLayout } from './layout.js';
import { PhysicalMemory, type ResidentPage } from './memory.js';
import { leafLevel, PageTable, pagingLayout, type PagingLayout } from './pagetable.js';
import { pagesTouched, pageShiftOf, type Page } from './pages.js';
import type { Mapping, TagSpace } from './tlb.js';

const BASE_PAGE_SHIFT = 12n;
/** Distinct [PAGE_FAULT] reasons counted by name; further ones count under OTHER_REASON. */
const MAX_REASONS = 32;
const OTHER_REASON = 'other';
/** CPU numbers 0-63 (docs/metrics.md, CPUs). */
const MAX_CPUS = 64;
/** The id of the kernel's page table, shared by every address space (a kernel layout's). */
const KERNEL_TREE = -1;
/** The tag space of global entries (kernel-half pages without KPTI): one for every address space. */
const GLOBAL: TagSpace = 'global';

interface AddressSpace {
  id: number;
  table: PageTable;
  accessed: boolean;
  /** The user half's regions (--maps) its translations are checked against; null: not checked. */
  regions: readonly Region[] | null;
  /** Its number in the order of first access (the reports' space), once it made one. */
  order?: number;
  /** The CR3 value that names it; none for the implicit first space. */
  cr3?: bigint;
}

interface OpCounts {
  reads: number;
  writes: number;
  fetches: number;
}

const OP_COLUMN: Record<Op, keyof OpCounts> = { R: 'reads', W: 'writes', X: 'fetches' };

export class Machine {
  /** The paging mode's tree shape and translatable pages. */
  private readonly paging: PagingLayout;
  /**
   * log2 of the run's page size: pages, TLB tags and sets are `va >>
   * pageShift`, except in a maps file's huge regions, whose pages have their
   * region's size (shiftAt).
   */
  private readonly pageShift: bigint;
  /** null: the flat layout, no kernel half. */
  private readonly layout: KernelLayout | null;
  private readonly kpti: boolean;
  /** The kernel half's one page table (Linux's init_mm, PintOS's base_pml4). */
  private readonly kernelTable: PageTable;

  private readonly allocator: FrameAllocator;
  private readonly memory: PhysicalMemory;
  /** Index of the next translation (the OPT pre-pass numbers them the same way). */
  private translations = 0;

  private readonly spaces = new Map<bigint, AddressSpace>();
  /** By id, for evictions, which may hit any space's pages. */
  private readonly spacesById: AddressSpace[] = [];
  /** The space every CPU starts in: implicit, or named by the last [CR3] before the first access. */
  private startSpace: AddressSpace;
  /** [CR3] lines before the first access name the start space instead of switching. */
  private started = false;
  private readonly cpus = new Map<number, Cpu>();

  private readonly translationsPerPfn = new Map<number, OpCounts>();
  /** By `${space order} ${vpn} ${pfn}`, with CollectOptions.pages; space -1: the kernel's global entries. */
  private readonly translationsPerPage = new Map<string, { space: number; vpn: bigint; pfn: number; counts: OpCounts }>();
  private accessedSpaces = 0;
  private recordsSeen = 0;
  private readonly snapshots: IntervalSnapshot[] = [];
  /** --alloc trace: the frame the current page's fault may take (the access's own, for its first page). */
  private faultFrame: number | undefined;
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
    invalid: 0,
    protection: { read: 0, write: 0, exec: 0, user: 0 },
    observedFaults: 0,
    contextSwitches: 0,
    kptiSwitches: 0,
    invlpg: 0,
    flushes: 0,
  };

  /**
   * `future`: every translation's next use, which the `opt` eviction policy
   * needs; `onTranslation`: told each translation's page (pageKey), in
   * order, which is how replay.ts lists that future.
   */
  constructor(
    private readonly config: MachineConfig,
    private readonly collect: CollectOptions = {},
    private readonly future?: Future,
    private readonly onTranslation?: (key: string) => void,
    /** --alloc trace: one past the trace's highest frame (see traceBaseOf). */
    traceBase = 0,
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
    if ((config.maps ?? []).filter((m) => m.cr3 === null).length > 1) throw new Error('two maps for every address space');
    for (const region of (config.maps ?? []).flatMap((m) => m.regions)) {
      if (region.pageSize === undefined) continue;
      const bytes = 1n << BigInt(PAGE_SHIFTS[region.pageSize]);
      if (pageSize !== '4K' || !MODE_PAGE_SIZES[mode].includes(region.pageSize) || region.start % bytes !== 0n || region.end % bytes !== 0n) {
        throw new Error(`a region of ${region.pageSize} pages needs 4K pages elsewhere, a mode that maps ${region.pageSize} and alignment`);
      }
      if (config.frames !== undefined || (config.alloc ?? 'sequential') !== 'sequential') {
        throw new Error('huge regions combine with neither a frame limit nor another allocator');
      }
    }
    this.layout = kernelLayout(config);
    this.kpti = !!config.kpti;
    const evict = config.evict ?? 'lru';
    if (config.frames !== undefined && evict === 'opt' && !future) throw new Error('the opt eviction policy needs the future of the trace');
    this.allocator = frameAllocator(config.alloc, config.frames, config.seed, traceBase);
    this.memory = new PhysicalMemory(this.allocator, config.frames, evict, (victim) => this.evict(victim));
    this.kernelTable = new PageTable(this.paging);
    // The start space without a [CR3] goes by 0x0 in --maps.
    this.startSpace = this.newSpace(0n);
    this.cpuNumbered(0);
  }

  /** Called before the first event of every record: takes the interval snapshot due, if any. */
  startRecord(): void {
    const every = this.collect.interval ?? 0;
    if (every > 0 && this.recordsSeen > 0 && this.recordsSeen % every === 0) this.snapshots.push(this.snapshot());
    this.recordsSeen++;
  }

  /** TLB counts summed over the CPUs. */
  private tlbTotals(level: 'l1d' | 'l1i' | 'l2'): LevelStats {
    const total = { lookups: 0, hits: 0, misses: 0 };
    for (const cpu of this.cpus.values()) {
      const l = cpu.counts()[level];
      if (!l) continue;
      total.lookups += l.lookups;
      total.hits += l.hits;
      total.misses += l.misses;
    }
    return total;
  }

  private snapshot(): IntervalSnapshot {
    const c = this.counts;
    const [l1d, l1i, l2] = [this.tlbTotals('l1d'), this.tlbTotals('l1i'), this.tlbTotals('l2')];
    return {
      records: this.recordsSeen,
      reads: c.read,
      writes: c.write,
      fetches: c.fetch,
      l1dLookups: l1d.lookups,
      l1dMisses: l1d.misses,
      l1iLookups: l1i.lookups,
      l1iMisses: l1i.misses,
      l2Lookups: l2.lookups,
      l2Misses: l2.misses,
      walks: c.walks,
      walkRefs: c.walkRefs,
      minorFaults: c.minorFaults,
      majorFaults: c.majorFaults,
      nonCanonical: c.nonCanonical,
    };
  }

  private newSpace(cr3: bigint): AddressSpace {
    const space = {
      id: this.spacesById.length,
      table: new PageTable(this.paging),
      accessed: false,
      regions: mapOf(this.config, cr3),
    };
    this.spacesById.push(space);
    return space;
  }

  /** CPU `n`, made (in the start space) when first named. */
  private cpuNumbered(n: number): Cpu {
    let cpu = this.cpus.get(n);
    if (!cpu) {
      if (n >= MAX_CPUS) throw new UserError(`CPU ${n}: at most ${MAX_CPUS} CPUs (numbers 0-${MAX_CPUS - 1})`);
      cpu = new Cpu(n, this.config, this.paging, this.startSpace.id);
      this.cpus.set(n, cpu);
    }
    return cpu;
  }

  handle(event: TraceEvent): void {
    if (event.kind === 'access') this.access(event);
    else this.control(event);
  }

  private control(event: ControlEvent): void {
    switch (event.kind) {
      case 'cr3':
        this.cr3(this.cpuNumbered(event.cpu ?? 0), event.value);
        break;
      case 'invlpg':
        this.counts.invlpg++;
        this.invlpg(this.cpuNumbered(event.cpu ?? 0), event.va);
        break;
      case 'flush':
        this.counts.flushes++;
        this.cpuNumbered(event.cpu ?? 0).flushAll();
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

  private cr3(cpu: Cpu, value: bigint): void {
    let space = this.spaces.get(value);
    if (!space) {
      space = this.newSpace(value);
      space.cr3 = value;
      this.spaces.set(value, space);
    }
    if (!this.started) {
      // Whichever CPU it names, it names every CPU's start space.
      this.startSpace = space;
      for (const c of this.cpus.values()) c.space = space.id;
      return;
    }
    if (space.id === cpu.space) return;
    this.counts.contextSwitches++;
    cpu.space = space.id;
    if (!this.config.pcid) cpu.flushForSwitch();
  }

  /**
   * Invalidates, in this CPU's TLBs, the entry a translation of the page
   * would use now: its global entry for a kernel-half page (without KPTI),
   * else the current space's, under KPTI with the PCID of the CPU's mode.
   */
  private invlpg(cpu: Cpu, va: bigint): void {
    // As on Intel: the page-walk caches are emptied entirely.
    cpu.pwc?.clear();
    const shift = this.shiftAt(this.spacesById[cpu.space], va);
    const page = va >> shift;
    // Question (docs/metrics.md does not say): under KPTI with PCID a user
    // page may have two entries, (process, user) and (process, kernel). Read
    // here as INVLPG does on hardware: the PCID current on that CPU, i.e. of
    // its last access's mode (user before its first access).
    const tag = this.tagSpace(cpu, this.isKernelAddress(va), cpu.mode ?? 'user');
    for (const tlb of cpu.tlbs()) tlb.invalidate(tag, page, shift);
  }

  private isKernelAddress(address: bigint): boolean {
    return this.layout !== null && this.layout.kernel(address);
  }

  /**
   * log2 of the size of the page holding `address` in `space`: its region's
   * when a maps file gives the region a huge size, else the run's. The
   * kernel half is the kernel's, at the run's size.
   */
  private shiftAt(space: AddressSpace, address: bigint): bigint {
    if (space.regions === null || this.isKernelAddress(address)) return this.pageShift;
    const size = regionAt(space.regions, address)?.pageSize;
    return size === undefined ? this.pageShift : BigInt(PAGE_SHIFTS[size]);
  }

  /** Whose entries a translation makes: a process's, the global ones, or under KPTI a (process, mode) PCID's. */
  private tagSpace(cpu: Cpu, kernelPage: boolean, mode: Mode): TagSpace {
    if (this.kpti) return `${cpu.space}/${mode}`;
    return kernelPage ? GLOBAL : cpu.space;
  }

  private access(event: AccessEvent): void {
    const cpu = this.cpuNumbered(event.cpu ?? 0);
    this.started = true;
    const space = this.spacesById[cpu.space];
    if (!space.accessed) space.order = this.accessedSpaces++;
    space.accessed = true;
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
    const mode = this.modeOf(cpu, event);
    const pages = pagesTouched(event.va, event.size, (address) => this.shiftAt(space, address));
    if (pages.length > 1) this.counts.crossings++;
    // --alloc trace: the access's own frame, for a fault of its first page only.
    const ownFrame = this.config.alloc === 'trace' && !event.physical && event.pa !== undefined ? Number(event.pa >> BASE_PAGE_SHIFT) : undefined;
    pages.forEach((page, i) => {
      this.faultFrame = i === 0 ? ownFrame : undefined;
      // A page is translatable when its first 4 KiB page is.
      if (!this.paging.translatable(page.number << (page.shift - BASE_PAGE_SHIFT))) {
        this.counts.nonCanonical++;
        return;
      }
      // The first byte the access touches in the page.
      const address = i === 0 ? event.va : page.number << page.shift;
      if (this.allowed(space, mode, event.op, address)) this.translate(cpu, space, mode, event.op, page);
    });
  }

  /**
   * The access's mode: kernel when the CPU's last fetch (the access itself,
   * for a fetch) was in the kernel half; before the CPU's first fetch, the
   * half of the access's own address. Under KPTI a change from the CPU's
   * previous access switches CR3 (and without PCID flushes its TLBs and
   * page-walk caches). Flat layouts have no kernel half: always user.
   */
  private modeOf(cpu: Cpu, event: AccessEvent): Mode {
    // Question: "before the trace's first fetch" with several CPUs. Read per
    // CPU, as each CPU has its own mode: a CPU that has not fetched yet goes
    // by the access's own address.
    const half: Mode = this.layout?.kernel(event.va) ? 'kernel' : 'user';
    const mode = event.op === 'X' || cpu.lastFetch === null ? half : cpu.lastFetch;
    if (event.op === 'X') cpu.lastFetch = half;
    if (this.kpti && cpu.mode !== null && mode !== cpu.mode) {
      this.counts.kptiSwitches++;
      if (!this.config.pcid) cpu.flushAll();
    }
    cpu.mode = mode;
    return mode;
  }

  /**
   * The kernel half's rules and the space's regions: a translation they
   * forbid is counted (user, write, invalid, read, exec) and goes no
   * further. `address`: the first byte the access touches in the page.
   */
  private allowed(space: AddressSpace, mode: Mode, op: AccessEvent['op'], address: bigint): boolean {
    const faults = this.counts.protection;
    if (this.isKernelAddress(address)) {
      if (mode === 'user') {
        faults.user++;
        return false;
      }
      // Question: an access may start before the text and end inside it.
      // Read as the maps are: the first byte the access touches in the page.
      if (op === 'W' && this.layout!.inText(address)) {
        faults.write++;
        return false;
      }
      return true;
    }
    // Kernel-mode accesses to the user half are checked too (no SMAP: they
    // are allowed as such, but the regions still hold).
    if (space.regions === null) return true;
    const region = regionAt(space.regions, address);
    if (!region) {
      this.counts.invalid++;
      return false;
    }
    const denied = op === 'R' ? !region.read : op === 'W' ? !region.write : !region.exec;
    if (denied) faults[op === 'R' ? 'read' : op === 'W' ? 'write' : 'exec']++;
    return !denied;
  }

  private translate(cpu: Cpu, space: AddressSpace, mode: Mode, op: AccessEvent['op'], { number: page, shift }: Page): void {
    const t = this.translations++;
    const kernelPage = this.isKernelAddress(page << shift);
    const tree = kernelPage ? KERNEL_TREE : space.id;
    const key = pageKey(tree, page);
    this.onTranslation?.(key);
    if (this.future && this.future.keys[t] !== key) {
      throw new Error(`the OPT pre-pass saw translation ${t} as ${this.future.keys[t]}, the machine as ${key}`);
    }
    // The root (PD, PAE's PDPT, PML4 or PML5) on the space's first
    // translation, which is also its first walk: a space's TLB entries come
    // only from its own walks. Under KPTI, then the user table's root (it
    // shares the user half's tables).
    if (space.table.root === null) {
      space.table.root = this.memory.takeTable();
      if (this.kpti) this.memory.takeTable();
    }
    const linear = kernelPage ? this.layout!.linearFrame(page << shift) : null;
    const tag = this.tagSpace(cpu, kernelPage, mode);
    const mapping: Mapping = { tree, global: kernelPage && !this.kpti };
    const l1 = op === 'X' ? cpu.l1i : cpu.l1d;
    let pfn = l1.lookup(tag, page, shift);
    if (pfn === null) {
      pfn = cpu.l2 ? cpu.l2.lookup(tag, page, shift) : null;
      if (pfn === null) {
        pfn = this.walk(cpu, tag, kernelPage ? this.kernelTable : space.table, tree, { number: page, shift }, linear);
        cpu.l2?.fill(tag, page, pfn, mapping, shift);
      }
      l1.fill(tag, page, pfn, mapping, shift);
    }
    const column = OP_COLUMN[op];
    let frame = this.translationsPerPfn.get(pfn);
    if (!frame) this.translationsPerPfn.set(pfn, (frame = { reads: 0, writes: 0, fetches: 0 }));
    frame[column]++;
    if (this.collect.pages) {
      // A huge page's row names its first 4 KiB page; the kernel's global entries belong to no one space.
      const vpn = page << (shift - BASE_PAGE_SHIFT);
      const owner = tag === GLOBAL ? -1 : space.order!;
      const key = `${owner} ${vpn} ${pfn}`;
      let row = this.translationsPerPage.get(key);
      if (!row) {
        row = { space: owner, vpn, pfn, counts: { reads: 0, writes: 0, fetches: 0 } };
        this.translationsPerPage.set(key, row);
      }
      row.counts[column]++;
    }
    // A linear frame is guest RAM outside the pool: never evicted, nothing to track.
    if (linear === null) this.memory.translated(pfn, op === 'W', this.future?.next[t] ?? Infinity);
  }

  /** `linear`: the page's frame when it lies in a linear region (mapped from boot), else null. */
  private walk(cpu: Cpu, tag: TagSpace, table: PageTable, tree: number, { number: page, shift }: Page, linear: number | null): number {
    this.counts.walks++;
    // The page-walk caches tag by the 4 KiB VPN's upper bits.
    const vpn = page << (shift - BASE_PAGE_SHIFT);
    const leaf = leafLevel(shift);
    // A hit in page-walk cache k leaves k - leaf entries to read; no hit (or
    // no caches), one per level from the root down to the leaf.
    const reads = cpu.pwc ? cpu.pwc.probe(tag, vpn, leaf) : this.paging.levels - leaf;
    this.counts.walkRefs += reads;
    let pfn: number;
    if (linear !== null) {
      // Mapped from boot: the walk reads the usual entries, never faults,
      // and the boot-time tables take no frames.
      pfn = linear;
    } else {
      const pte = table.entry(page, shift);
      if (pte === undefined) {
        this.counts.minorFaults++;
        // Question: docs/metrics.md says the kernel table's root is
        // allocated on the first kernel-half translation, and also that the
        // boot-time tables of the linear regions take no frames (PintOS's
        // kernel half is all linear, so its root would be one). Read as the
        // latter: the kernel root is taken with its first non-linear page,
        // when the kernel table first needs tables of its own.
        if (table.root === null) table.root = this.memory.takeTable();
        pfn = table.map(
          page,
          shift,
          () => this.memory.takeTable(),
          () => this.memory.load(tree, page, 2 ** Number(shift - BASE_PAGE_SHIFT), this.faultFrame),
        ).pfn;
      } else if (!pte.present) {
        // Evicted: its tables are all there (they are never evicted); only the data page comes back.
        this.counts.majorFaults++;
        pte.pfn = this.memory.load(tree, page, 1, this.faultFrame);
        pte.present = true;
        pfn = pte.pfn;
      } else {
        pfn = pte.pfn;
      }
    }
    // Once the page is mapped (a fault's walk too): the upper-level entries
    // the walk read go into their caches.
    cpu.pwc?.fill(tag, vpn, reads, leaf);
    return pfn;
  }

  /**
   * A data page loses its frame: its PTE is no longer present, and every TLB
   * entry mapping it goes, in every CPU's TLBs and under every tag (its
   * process's, global, or either KPTI PCID). Says whether there was one (a
   * shootdown). The page-walk caches stay: the tables above do not change.
   */
  private evict(victim: ResidentPage): boolean {
    const table = victim.space === KERNEL_TREE ? this.kernelTable : this.spacesById[victim.space].table;
    // Eviction needs 4 KiB pages (docs/metrics.md, Huge pages).
    const pte = table.entry(victim.page, BASE_PAGE_SHIFT);
    if (!pte || !pte.present || pte.pfn !== victim.pfn) throw new Error(`evicting frame ${victim.pfn}, which its page does not map`);
    pte.present = false;
    let shotDown = false;
    for (const cpu of this.cpus.values()) {
      for (const tlb of cpu.tlbs()) if (tlb.invalidateMapping(victim.space, victim.page, BASE_PAGE_SHIFT)) shotDown = true;
    }
    return shotDown;
  }

  stats(records: number, badLines: number, ignoredLines: number): Stats {
    const c = this.counts;
    const cpus = [...this.cpus.values()].sort((a, b) => a.number - b.number);
    const perCpu = cpus.map((cpu) => ({ cpu: cpu.number, ...cpu.counts() }));
    // tlb.* and walks.pwc.* are sums over the CPUs.
    const sum = (level: 'l1d' | 'l1i' | 'l2'): LevelStats => {
      const total = { lookups: 0, hits: 0, misses: 0 };
      for (const counts of perCpu) {
        const l = counts[level]!;
        total.lookups += l.lookups;
        total.hits += l.hits;
        total.misses += l.misses;
      }
      return total;
    };
    const stats: Stats = {
      records,
      accesses: { read: c.read, write: c.write, fetch: c.fetch, physical: c.physical, mmio: c.mmio },
      crossings: c.crossings,
      tlb: { l1d: sum('l1d'), l1i: sum('l1i') },
      walks: { count: c.walks, refs: c.walkRefs },
      faults: {
        minor: c.minorFaults,
        major: c.majorFaults,
        nonCanonical: c.nonCanonical,
        invalid: c.invalid,
        protection: { ...c.protection },
        observed: c.observedFaults,
        // Reasons are counted by their bytes (the trace text is read as
        // latin1, one char per byte) and named by those bytes read as UTF-8.
        // fromEntries defines own properties, so even a reason named
        // `__proto__` is an ordinary key.
        observedByReason: Object.fromEntries(
          [...this.faultsByReason].map(([reason, n]) => [Buffer.from(reason, 'latin1').toString('utf8'), n]),
        ),
      },
      frames: { used: this.allocator.handedOut + this.memory.traceMapped, pageTable: this.memory.pageTables },
      contexts: this.spacesById.filter((s) => s.accessed).length,
      contextSwitches: c.contextSwitches,
      kptiSwitches: c.kptiSwitches,
      cpus: cpus.length,
      invlpg: c.invlpg,
      flushes: c.flushes,
      badLines,
      ignoredLines,
      pfn: [...this.translationsPerPfn]
        .map(([pfn, n]): FrameCounts => ({ pfn, translations: n.reads + n.writes + n.fetches, ...n }))
        .sort((a, b) => a.pfn - b.pfn),
      physicalPfn: histogram(this.accessesPerPhysicalPfn),
    };
    if (this.config.l2) stats.tlb.l2 = sum('l2');
    if (this.config.pwc !== undefined) {
      const pwc: Partial<Record<PwcLevel, { lookups: number; hits: number }>> = {};
      for (const cpu of cpus) {
        for (const [name, counts] of Object.entries(cpu.pwc!.stats()) as Array<[PwcLevel, { lookups: number; hits: number }]>) {
          const total = (pwc[name] ??= { lookups: 0, hits: 0 });
          total.lookups += counts.lookups;
          total.hits += counts.hits;
        }
      }
      stats.walks.pwc = pwc;
    }
    if (cpus.length >= 2) stats.perCpu = perCpu;
    if (this.config.frames !== undefined) stats.memory = { frames: this.config.frames, ...this.memory.counts };
    if (this.collect.pages) {
      const pages = [...this.translationsPerPage.values()]
        .map(({ space, vpn, pfn, counts: n }): PageCounts => ({
          space, vpn: Number(vpn), pfn, translations: n.reads + n.writes + n.fetches, ...n,
        }))
        .sort((a, b) => a.space - b.space || a.vpn - b.vpn || a.pfn - b.pfn);
      const spaces = this.spacesById
        .filter((s) => s.order !== undefined)
        .sort((a, b) => a.order! - b.order!)
        .map((s) => ({ space: s.order!, cr3: s.cr3 === undefined ? null : `0x${s.cr3.toString(16)}` }));
      stats.vpn = { spaces, pages };
    }
    const every = this.collect.interval ?? 0;
    if (every > 0) {
      const snapshots = [...this.snapshots];
      const last = snapshots.at(-1)?.records ?? 0;
      if (this.recordsSeen !== last) snapshots.push(this.snapshot());
      stats.intervals = { every, snapshots };
    }
    return stats;
  }
}

/** Ascending by PFN, zero counts left out. */
function histogram(counts: Map<number, number>): Array<[number, number]> {
  return [...counts.entries()].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
}
