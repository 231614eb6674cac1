// The vocabulary shared by both engines (WASM core and TypeScript reference),
// the CLI and the tests. Every field's meaning is defined in docs/metrics.md.

export const FORMATS = ['mem', 'lackey', 'execlog'] as const;
export type Format = (typeof FORMATS)[number];

export const POLICIES = ['lru', 'fifo'] as const;
export type Policy = (typeof POLICIES)[number];

export interface Geometry {
  entries: number;
  ways: number;
}

export interface MachineConfig {
  l1d: Geometry;
  l1i: Geometry;
  /** null: no L2; an L1 miss walks the page table. */
  l2: Geometry | null;
  policy: Policy;
  /** Keep TLB entries (tagged by address space) across context switches. */
  pcid: boolean;
}

export interface DecodeOptions {
  format: Format;
  /** `size=` of READ/WRITE in the mem dialect is log2 of the byte count. */
  sizeShift: boolean;
}

export const DEFAULT_MACHINE: MachineConfig = {
  l1d: { entries: 64, ways: 4 },
  l1i: { entries: 128, ways: 8 },
  l2: { entries: 1536, ways: 12 },
  policy: 'lru',
  pcid: false,
};

/** First PFN handed out by the sequential frame allocator. */
export const FIRST_PFN = 256;

export interface LevelStats {
  lookups: number;
  hits: number;
  misses: number;
}

export interface Stats {
  records: number;
  accesses: { read: number; write: number; fetch: number; physical: number; mmio: number };
  crossings: number;
  tlb: { l1d: LevelStats; l1i: LevelStats; l2?: LevelStats };
  walks: { count: number; refs: number };
  faults: { minor: number; major: number; nonCanonical: number; observed: number };
  frames: { used: number; pageTable: number };
  contexts: number;
  contextSwitches: number;
  invlpg: number;
  flushes: number;
  badLines: number;
  /** Translations per data frame, ascending PFN, frames with a zero count left out. */
  pfn: Array<[pfn: number, translations: number]>;
}
