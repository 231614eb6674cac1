// One address space's page table, in the shape of a paging mode (docs/metrics.md,
// Page walks and faults), kept as the set of tables that exist at each level
// below the root. A table is named by the address bits above the index it
// holds, which for the addresses the mode translates is one-to-one with the
// real radix tree.

import { PAGING_MODES, type PagingMode } from '../model.js';

const PAGE_SHIFT = 12n;

export interface PagingLayout {
  /** Levels of the tree, root included: the page-table entries each walk reads. */
  levels: number;
  /**
   * Per level below the root, top-down: the shift that names its tables
   * (the address bits above the level's index). A PT names itself by the
   * bits above 21 (x86-32: 22).
   */
  tableShifts: readonly bigint[];
  /**
   * Per page-walk cache the mode has, deepest first (`pde`, `pdpte`, `pml4e`,
   * `pml5e`: one per level above the PT): the bit of the VPN where that
   * level's index starts. Cache k tags an entry by `vpn >> pwcShifts[k-1]`,
   * which names the table the entry points to.
   */
  pwcShifts: readonly bigint[];
  /** Whether the mode can translate the page `vpn` (a 52-bit value). */
  translatable(vpn: bigint): boolean;
}

/** Pages below 4 GiB. */
const below4G = (vpn: bigint): boolean => vpn < 1n << 20n;

/** Canonical for `bits`-bit virtual addresses: address bits 63..bits-1 all equal. */
const canonical = (bits: bigint) => {
  const ones = (1n << (64n - (bits - 1n))) - 1n;
  return (vpn: bigint): boolean => {
    const top = (vpn << PAGE_SHIFT) >> (bits - 1n);
    return top === 0n || top === ones;
  };
};

export const PAGING_LAYOUTS: Readonly<Record<PagingMode, PagingLayout>> = {
  // PD (bits 31-22), PT (21-12).
  'x86-32': { levels: 2, tableShifts: [22n], pwcShifts: [10n], translatable: below4G },
  // PDPT (bits 31-30, 4 entries, one frame), PD (29-21), PT (20-12).
  pae: { levels: 3, tableShifts: [30n, 21n], pwcShifts: [9n, 18n], translatable: below4G },
  // PML4 (47-39), PDPT (38-30), PD (29-21), PT (20-12).
  'x86-64': { levels: 4, tableShifts: [39n, 30n, 21n], pwcShifts: [9n, 18n, 27n], translatable: canonical(48n) },
  // PML5 (56-48), PML4 (47-39), PDPT, PD, PT.
  la57: { levels: 5, tableShifts: [48n, 39n, 30n, 21n], pwcShifts: [9n, 18n, 27n, 36n], translatable: canonical(57n) },
};

/** The layout of a machine's paging mode (default x86-64); throws on an unknown one. */
export function pagingLayout(mode: PagingMode | undefined): PagingLayout {
  const m = mode ?? 'x86-64';
  if (!(PAGING_MODES as readonly string[]).includes(m)) {
    throw new Error(`bad paging mode ${String(m)}: must be one of ${PAGING_MODES.join(', ')}`);
  }
  return PAGING_LAYOUTS[m];
}

/** A data page's page-table entry: its frame, and whether it is present (false once evicted). */
export interface Pte {
  pfn: number;
  present: boolean;
}

/**
 * The level of the entry that maps a page of 2^pageShift bytes (docs/metrics.md,
 * Huge pages): 0 (PT) for 4 KiB, 1 (PD) for 2 and 4 MiB, 2 (PDPT) for 1 GiB.
 */
export function leafLevel(pageShift: bigint): number {
  switch (pageShift) {
    case 12n:
      return 0;
    case 21n:
    case 22n:
      return 1;
    case 30n:
      return 2;
    default:
      throw new Error(`bad page shift ${pageShift}`);
  }
}

export class PageTable {
  /** PFN of the root table, allocated on the address space's first translation. */
  root: number | null = null;
  /** Per level below the root down to the PT, top-down: the names of the tables that exist. */
  private readonly tables: Array<Set<bigint>>;
  /** Data pages by `${shift}:${page number at that size}`: mapped once, then present or evicted. */
  private readonly pages = new Map<string, Pte>();

  constructor(private readonly layout: PagingLayout = PAGING_LAYOUTS['x86-64']) {
    this.tables = layout.tableShifts.map(() => new Set<bigint>());
  }

  /** The entry of `page` (at size 2^shift); undefined while it has never been mapped. */
  entry(page: bigint, shift: bigint): Pte | undefined {
    return this.pages.get(`${shift}:${page}`);
  }

  /**
   * Maps a page never mapped before (translatable) at size 2^shift: the
   * missing tables below the root top-down, then the data page, in the order
   * their frames must be requested. Returns how many page-table frames it
   * took and the data frame.
   */
  map(page: bigint, shift: bigint, allocateTable: () => number, allocateData: () => number): { tables: number; pfn: number } {
    const key = `${shift}:${page}`;
    if (page < 0n || page >> (64n - shift) !== 0n || !this.layout.translatable(page << (shift - PAGE_SHIFT)) || this.pages.has(key)) {
      throw new Error(`page 0x${page.toString(16)} is not translatable or already mapped`);
    }
    const va = page << shift;
    // A huge page is mapped by an entry above the PT: the tables below it are not needed.
    const tableShifts = this.layout.tableShifts.slice(0, this.layout.tableShifts.length - leafLevel(shift));
    let tables = 0;
    tableShifts.forEach((tableShift, i) => {
      const name = va >> tableShift;
      const level = this.tables[i];
      if (!level.has(name)) {
        level.add(name);
        allocateTable();
        tables++;
      }
    });
    const pfn = allocateData();
    this.pages.set(key, { pfn, present: true });
    return { tables, pfn };
  }
}
