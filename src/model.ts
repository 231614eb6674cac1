// The vocabulary shared by both engines (WASM core and TypeScript reference),
// the CLI and the tests. Every field's meaning is defined in docs/metrics.md.

/** Text formats (decoded by both engines), then the binary replay format. */
export const TEXT_FORMATS = ['mem', 'lackey', 'execlog', 'memcsv', 'din', 'pin'] as const;
export const FORMATS = [...TEXT_FORMATS, 'tlbt'] as const;
export type Format = (typeof FORMATS)[number];

export const POLICIES = ['lru', 'fifo', 'random', 'plru'] as const;
export type Policy = (typeof POLICIES)[number];

export type TlbLevel = 'l1d' | 'l1i' | 'l2';

export const PWC_LEVELS = ['pde', 'pdpte', 'pml4e', 'pml5e'] as const;
export type PwcLevel = (typeof PWC_LEVELS)[number];
/** ChampSim's PSCL2..PSCL5 sizes. */
export const DEFAULT_PWC: Record<PwcLevel, number> = { pde: 32, pdpte: 8, pml4e: 4, pml5e: 2 };

export const PAGING_MODES = ['x86-32', 'pae', 'x86-64', 'la57'] as const;
export type PagingMode = (typeof PAGING_MODES)[number];
export const PAGING_LEVELS: Record<PagingMode, number> = { 'x86-32': 2, pae: 3, 'x86-64': 4, la57: 5 };

/** Page sizes (`--huge`): every page of the run is mapped at this size. */
export const PAGE_SIZES = ['4K', '2M', '4M', '1G'] as const;
export type PageSize = (typeof PAGE_SIZES)[number];
/** log2 of each page size in bytes. */
export const PAGE_SHIFTS: Record<PageSize, number> = { '4K': 12, '2M': 21, '4M': 22, '1G': 30 };
/** The page sizes each paging mode can map (x86-32 has PSE 4 MiB pages; PAE 2 MiB; 64-bit modes 2 MiB and 1 GiB). */
export const MODE_PAGE_SIZES: Record<PagingMode, readonly PageSize[]> = {
  'x86-32': ['4K', '4M'],
  pae: ['4K', '2M'],
  'x86-64': ['4K', '2M', '1G'],
  la57: ['4K', '2M', '1G'],
};

/** Which resident data page a full frame pool gives up (docs/metrics.md, Physical memory). */
export const EVICTION_POLICIES = ['lru', 'fifo', 'clock', 'opt'] as const;
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

/** Whether address spaces have a kernel half, and where it maps (docs/metrics.md, Kernel layouts). */
export const LAYOUTS = ['flat', 'linux', 'pintos'] as const;
export type Layout = (typeof LAYOUTS)[number];

/** A region of a /proc/PID/maps file: [start, end) with its permissions. */
export interface Region {
  start: bigint;
  end: bigint;
  read: boolean;
  write: boolean;
  exec: boolean;
  /** A huge page size its pages are mapped at (smaps' KernelPageSize); absent: the run's size (--huge). */
  pageSize?: Exclude<PageSize, '4K'>;
}

/** The order in which free frames are handed out. */
export const ALLOCATORS = ['sequential', 'shuffled', 'trace'] as const;
export type Allocator = (typeof ALLOCATORS)[number];
/** Frames in the shuffled allocator's pool when no --frames limit sets it: 4 GiB. */
export const SHUFFLED_POOL_FRAMES = 1 << 20;

/** The policy a level uses. */
export function policyOf(machine: MachineConfig, level: TlbLevel): Policy {
  return machine.levelPolicies?.[level] ?? machine.policy;
}

export interface Geometry {
  entries: number;
  ways: number;
}

export interface MachineConfig {
  l1d: Geometry;
  l1i: Geometry;
  /** null: no L2; an L1 miss walks the page table. */
  l2: Geometry | null;
  /** Replacement policy of every TLB level... */
  policy: Policy;
  /** ...but these levels' (docs/metrics.md, Replacement). */
  levelPolicies?: Partial<Record<TlbLevel, Policy>>;
  /** Seeds the `random` policy's generator (default 1). */
  seed?: number;
  /**
   * Page-walk caches on, with these entries per upper level (a level left out
   * has 0 entries); absent: no page-walk caches (docs/metrics.md).
   */
  pwc?: Partial<Record<PwcLevel, number>>;
  /** Page-table format (default x86-64). */
  paging?: PagingMode;
  /** Keep TLB entries (tagged by address space) across context switches. */
  pcid: boolean;
  /** Size every page is mapped at (default 4K). */
  pageSize?: PageSize;
  /** Physical memory in 4 KiB frames (data and page tables); absent: unlimited. */
  frames?: number;
  /** Victim choice when the frame pool is full (default lru); only with `frames`. */
  evict?: EvictionPolicy;
  /** Frame allocation order (default sequential); `shuffled` draws from `seed`. */
  alloc?: Allocator;
  /** Kernel half and its linear maps (default flat: none). */
  layout?: Layout;
  /** Read-only kernel text [start, end); absent: the layout's default (docs/metrics.md). null: none. */
  kernelText?: { start: bigint; end: bigint } | null;
  /** User-half regions: `cr3` null for every address space without its own map. */
  maps?: Array<{ cr3: bigint | null; regions: Region[] }>;
  /** Page-table isolation (needs layout linux). */
  kpti?: boolean;
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

/** First PFN handed out by the sequential frame allocator (the core's ABI defines it). */
export { FIRST_PFN } from '../assembly/abi.js';

/** What the engines count beyond the counters; each costs time or memory only when asked for. */
export interface CollectOptions {
  /** Per-page counts (Stats.vpn). */
  pages?: boolean;
  /**
   * Per-frame counts by op (Stats.pfn; default true). false, for a replay
   * that writes no per-frame table: the core keeps each frame's
   * translations only, a third of the memory, and Stats.pfn throws.
   * Ignored with `pages`, whose per-page counts are by op too.
   */
  frames?: boolean;
  /** Snapshot the counters every N records (Stats.intervals); 0 or absent: never. */
  interval?: number;
}

/** Translations that resolved to one data frame, by the op that made them (docs/metrics.md). */
export interface FrameCounts {
  pfn: number;
  /** reads + writes + fetches. */
  translations: number;
  reads: number;
  writes: number;
  fetches: number;
}

/** Translations of one virtual page of one address space that resolved to one frame. */
export interface PageCounts {
  /** The address space, numbered from 0 in the order of first access (see Stats.vpn.spaces). */
  space: number;
  /** va >> 12 (52 bits at most, so exact as a number). */
  vpn: number;
  pfn: number;
  translations: number;
  reads: number;
  writes: number;
  fetches: number;
}

export interface SpaceName {
  space: number;
  /** The CR3 value that named it, as 0x-prefixed lowercase hex; null for the trace's implicit first space. */
  cr3: string | null;
}

/** The cumulative counters after `records` records (docs/metrics.md, Intervals). */
export interface IntervalSnapshot {
  records: number;
  reads: number;
  writes: number;
  fetches: number;
  l1dLookups: number;
  l1dMisses: number;
  l1iLookups: number;
  l1iMisses: number;
  /** 0 with --l2 none. */
  l2Lookups: number;
  l2Misses: number;
  walks: number;
  walkRefs: number;
  minorFaults: number;
  majorFaults: number;
  nonCanonical: number;
}

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
  walks: {
    count: number;
    refs: number;
    /** Present when machine.pwc is: probes and hits of every cache the paging mode has. */
    pwc?: Partial<Record<PwcLevel, { lookups: number; hits: number }>>;
  };
  faults: {
    minor: number;
    /** Touches of evicted pages (0 without a frame limit). */
    major: number;
    nonCanonical: number;
    /** Translations outside every region of the space's map. */
    invalid: number;
    /** Translations the permissions forbid, by kind. */
    protection: { read: number; write: number; exec: number; user: number };
    observed: number;
    /** [PAGE_FAULT] lines by reason text, in order of first appearance. */
    observedByReason: Record<string, number>;
  };
  frames: { used: number; pageTable: number };
  /** Present with a frame limit (machine.frames). */
  memory?: { frames: number; evictions: number; writebacks: number; shootdowns: number };
  contexts: number;
  contextSwitches: number;
  /** CPUs with TLBs of their own (1 unless the trace names CPUs). */
  cpus: number;
  /** With 2 or more CPUs: each CPU's TLB counts. */
  perCpu?: Array<{ cpu: number; l1d: LevelStats; l1i: LevelStats; l2?: LevelStats }>;
  /** CR3 switches between a process's user and kernel tables under KPTI. */
  kptiSwitches: number;
  invlpg: number;
  flushes: number;
  badLines: number;
  /** Lines of a known form that carry nothing to simulate (Dinero labels other than 0-2). */
  ignoredLines: number;
  /** Translations per data frame, ascending PFN, frames with no translation left out (unless CollectOptions.frames is false). */
  pfn: FrameCounts[];
  /** With CollectOptions.pages: translations per page, by (space, vpn, pfn) ascending. */
  vpn?: { spaces: SpaceName[]; pages: PageCounts[] };
  /** With CollectOptions.interval: a snapshot after every `every` records and at the end. */
  intervals?: { every: number; snapshots: IntervalSnapshot[] };
  /** Accesses per trace frame (physical address >> 12) for accesses whose physical address the trace gives. */
  physicalPfn: Array<[pfn: number, accesses: number]>;
}
