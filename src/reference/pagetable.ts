// One address space's x86-64 four-level page table, kept as the set of tables
// that exist at each level. Tables are named by the address bits above the
// index they hold, which for canonical addresses is one-to-one with the
// real radix tree.

/** Bits of the virtual address that name a table at each level below the root. */
const PDPT_SHIFT = 39n; // a PDPT covers 512 GiB: named by va >> 39
const PD_SHIFT = 30n; // a PD covers 1 GiB
const PT_SHIFT = 21n; // a PT covers 2 MiB
const PAGE_SHIFT = 12n;

export class PageTable {
  /** PFN of the PML4, allocated on the address space's first translation. */
  root: number | null = null;
  private readonly pdpts = new Set<bigint>();
  private readonly pds = new Set<bigint>();
  private readonly pts = new Set<bigint>();
  private readonly pages = new Map<bigint, number>();

  /** The data frame mapped at `vpn`, if any. */
  frameOf(vpn: bigint): number | undefined {
    return this.pages.get(vpn);
  }

  /**
   * Maps an unmapped page: the missing tables top-down, then the data page, in
   * the order the frame allocator must hand frames out. Returns how many
   * page-table frames it took and the data frame.
   */
  map(vpn: bigint, allocate: () => number): { tables: number; pfn: number } {
    const va = vpn << PAGE_SHIFT;
    let tables = 0;
    for (const [level, shift] of [
      [this.pdpts, PDPT_SHIFT],
      [this.pds, PD_SHIFT],
      [this.pts, PT_SHIFT],
    ] as const) {
      const name = va >> shift;
      if (!level.has(name)) {
        level.add(name);
        allocate();
        tables++;
      }
    }
    const pfn = allocate();
    this.pages.set(vpn, pfn);
    return { tables, pfn };
  }
}
