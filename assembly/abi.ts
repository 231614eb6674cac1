// The contract between the WASM core and the TypeScript driver. This file is
// compiled by both asc and tsc, so it may hold only plain numeric constants.

// Input formats (DecodeOptions.format).
export const FORMAT_MEM = 0;
export const FORMAT_LACKEY = 1;
export const FORMAT_EXECLOG = 2;
export const FORMAT_MEMCSV = 3;
export const FORMAT_DIN = 4;
export const FORMAT_PIN = 5;
/** tlbscope's binary replay format: 24-byte events (docs/formats.md). */
export const FORMAT_TLBT = 6;

// What feed() does with decoded events.
/** Simulate them. */
export const MODE_REPLAY = 0;
/** Collect them for the driver to write out (`tlbscope convert`). */
export const MODE_CONVERT = 1;
/** Feed them to the configured sweep (`tlbscope sweep`, assembly/sweep/). */
export const MODE_SWEEP = 2;

// The TLB level a sweep stream models (docs/sweep.md).
export const SWEEP_L1D = 0;
export const SWEEP_L1I = 1;
export const SWEEP_L2 = 2;
export const SWEEP_UNIFIED = 3;

// Paging modes (docs/metrics.md, Page walks).
export const PAGING_X86_32 = 0;
export const PAGING_PAE = 1;
export const PAGING_X86_64 = 2;
export const PAGING_LA57 = 3;

// Replacement policies.
export const POLICY_LRU = 0;
export const POLICY_FIFO = 1;
export const POLICY_RANDOM = 2;
export const POLICY_PLRU = 3;

// Victim choice when the frame pool is full (docs/metrics.md, Physical memory).
export const EVICT_LRU = 0;
export const EVICT_FIFO = 1;
export const EVICT_CLOCK = 2;
export const EVICT_OPT = 3;

// Kernel layouts (docs/metrics.md, Kernel layouts).
export const LAYOUT_FLAT = 0;
export const LAYOUT_LINUX = 1;
export const LAYOUT_PINTOS = 2;

// Region permissions (a /proc/PID/maps line's rwx).
export const PERM_READ = 1;
export const PERM_WRITE = 2;
export const PERM_EXEC = 4;

// Frame allocation order.
export const ALLOC_SEQUENTIAL = 0;
export const ALLOC_SHUFFLED = 1;
/** A faulting access's own physical address chooses the data frame (docs/metrics.md, Frame allocation). */
export const ALLOC_TRACE = 2;

/** First PFN handed out by the sequential frame allocator. */
export const FIRST_PFN = 256;

/** Bytes of one event (records.ts has the layout). */
export const EVENT_BYTES = 24;

// Event ops in a record batch.
export const OP_READ = 0;
export const OP_WRITE = 1;
export const OP_FETCH = 2;
export const OP_CR3 = 3;
export const OP_INVLPG = 4;
export const OP_FLUSH = 5;
export const OP_PAGE_FAULT = 6;

// Event flags.
export const FLAG_HAS_PA = 1;
/** The address is guest-physical: not translated. */
export const FLAG_PHYSICAL = 2;
/** A physical access to a device region rather than RAM. */
export const FLAG_MMIO = 4;
/** The first event of a record (an access line). */
export const FLAG_RECORD_START = 8;
export const FLAGS_KNOWN = 15;

// Why a line is bad (index into the driver's message table).
export const BAD_UNKNOWN = 1;
export const BAD_HEX = 2;
export const BAD_NUMBER = 3;
export const BAD_SIZE = 4;
export const BAD_TYPE = 5;
export const BAD_FIELD = 6;
export const BAD_TRAILING = 7;
export const BAD_TOO_LONG = 8;
export const BAD_EVENT = 9;
export const BAD_TRUNCATED = 10;

/** Bad lines whose number, reason and text the core keeps for the driver. */
export const BAD_LOG_CAPACITY = 16;
/** Bytes of a bad line's text kept for the message. */
export const BAD_TEXT_BYTES = 120;

// Counter block: the core writes these as f64 (exact below 2^53) at counters().
export const C_RECORDS = 0;
export const C_READS = 1;
export const C_WRITES = 2;
export const C_FETCHES = 3;
export const C_PHYSICAL = 4;
export const C_MMIO = 5;
export const C_CROSSINGS = 6;
export const C_L1D_LOOKUPS = 7;
export const C_L1D_MISSES = 8;
export const C_L1I_LOOKUPS = 9;
export const C_L1I_MISSES = 10;
export const C_L2_LOOKUPS = 11;
export const C_L2_MISSES = 12;
export const C_WALKS = 13;
export const C_WALK_REFS = 14;
export const C_FAULTS_MINOR = 15;
export const C_FAULTS_MAJOR = 16;
export const C_FAULTS_NONCANONICAL = 17;
export const C_FAULTS_OBSERVED = 18;
export const C_FRAMES_USED = 19;
export const C_FRAMES_PAGETABLE = 20;
export const C_CONTEXTS = 21;
export const C_CONTEXT_SWITCHES = 22;
export const C_INVLPG = 23;
export const C_FLUSHES = 24;
export const C_BAD_LINES = 25;
export const C_LINES = 26;
/** One past the highest PFN handed out (0 if none): the per-PFN array's length. */
export const C_PFN_LIMIT = 27;
export const C_IGNORED_LINES = 28;
export const C_EVENTS = 29;
/** Page-walk cache probes, levels pde, pdpte, pml4e, pml5e (4 counters). */
export const C_PWC_LOOKUPS = 30;
/** Page-walk cache hits, same order (4 counters). */
export const C_PWC_HITS = 34;
export const C_EVICTIONS = 38;
export const C_WRITEBACKS = 39;
export const C_SHOOTDOWNS = 40;
/** Translations made (pages looked up): the length of OPT's pre-pass record. */
export const C_TRANSLATIONS = 41;
export const C_FAULTS_INVALID = 42;
export const C_PROT_READ = 43;
export const C_PROT_WRITE = 44;
export const C_PROT_EXEC = 45;
export const C_PROT_USER = 46;
export const C_KPTI_SWITCHES = 47;
export const COUNTER_COUNT = 48;

// Per-frame and per-page counts: u64 columns in this order (reads, writes,
// fetches; translations are their sum).
export const PFN_READS = 0;
export const PFN_WRITES = 1;
export const PFN_FETCHES = 2;
export const PFN_COLUMNS = 3;
/** A row of pageRows(): space (order of first access), vpn, pfn, reads, writes, fetches. */
export const PAGE_ROW_FIELDS = 6;
/** A row of spaceRows(): space (order of first access), named (0/1), CR3 value. */
export const SPACE_ROW_FIELDS = 3;

// Interval snapshots (--interval N): cumulative u64 counters after every N
// records and at the end, in this order.
export const I_RECORDS = 0;
export const I_READS = 1;
export const I_WRITES = 2;
export const I_FETCHES = 3;
export const I_L1D_LOOKUPS = 4;
export const I_L1D_MISSES = 5;
export const I_L1I_LOOKUPS = 6;
export const I_L1I_MISSES = 7;
export const I_L2_LOOKUPS = 8;
export const I_L2_MISSES = 9;
export const I_WALKS = 10;
export const I_WALK_REFS = 11;
export const I_FAULTS_MINOR = 12;
export const I_FAULTS_MAJOR = 13;
export const I_FAULTS_NONCANONICAL = 14;
export const INTERVAL_FIELDS = 15;

/** Distinct [PAGE_FAULT] reasons kept; further ones count as "other". */
export const REASON_CAPACITY = 32;
/** Bytes of a reason's text kept. */
export const REASON_BYTES = 60;

// feed() returns the carried-over byte count (>= 0), or this when --strict
// met a bad line.
export const FEED_STOPPED = -1;
