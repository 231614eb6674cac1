// Glue between the driver and the WASM core: instantiates the module, pumps
// inputs through the core's input window, and reads the counters back. No
// per-record call crosses the boundary: one feed() per window of bytes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as abi from '../../assembly/abi.js';
import { packageRoot } from '../paths.js';
import { UserError } from '../errors.js';
import type { ByteSource } from '../input/source.js';
import {
  PAGE_SHIFTS, PAGING_LEVELS, PWC_LEVELS, SHUFFLED_POOL_FRAMES, policyOf, type Allocator, type CollectOptions, type DecodeOptions, type EvictionPolicy,
  type FrameCounts, type Format, type IntervalSnapshot, type MachineConfig, type PageCounts, type PagingMode, type Policy, type SpaceName,
  type Stats, type LevelStats,
} from '../model.js';
import { DEFAULT_MAX_MEMORY_BYTES, formatMemorySize, MemoryLimitError, WASM_PAGE_BYTES } from './memory.js';

interface CoreExports {
  init(
    mode: number, sizeShift: number, strict: number, window: number,
    l1dEntries: number, l1dWays: number, l1dPolicy: number, l1iEntries: number, l1iWays: number, l1iPolicy: number,
    l2Entries: number, l2Ways: number, l2Policy: number, seed: bigint, paging: number, pcid: number, pageShift: number,
  ): void;
  stampLimit(limit: number): void;
  physicalMemory(frames: bigint, evict: number, alloc: number, seed: bigint, shuffledPool: bigint, traceBase: bigint): void;
  kernelLayout(kind: number, ownText: number, textStart: bigint, textEnd: bigint): void;
  regionMap(cr3: bigint, named: number): void;
  region(start: bigint, end: bigint, perms: number, shift: number): void;
  checksReady(kpti: number): void;
  cpuCount(): number;
  cpuMade(c: number): number;
  perCpu(): number;
  recordPages(): void;
  nextUses(): number;
  futureBuffer(count: bigint): number;
  setFormat(format: number): void;
  pageWalkCaches(pde: number, pdpte: number, pml4e: number, pml5e: number): void;
  inputWindow(): number;
  feed(len: number, eof: number): number;
  position(binary: number): number;
  badLineCount(): number;
  ignoredLineCount(): number;
  recordCount(): number;
  badLineLog(): number;
  frameCounts(): number;
  frameCountColumns(): number;
  totalsPerFrame(): void;
  trackPages(on: number): void;
  interval(records: number): void;
  pageRows(): number;
  pageTable(): number;
  spaceRows(): number;
  spaceTable(): number;
  intervalRows(): number;
  intervalTable(): number;
  physicalSlots(): number;
  physicalPfns(): number;
  physicalCounts(): number;
  addReason(p: number, n: number): number;
  reasons(): number;
  reasonText(): number;
  reasonCounts(): number;
  outputPtr(): number;
  outputCount(): number;
  takeOutput(): void;
  counters(): number;
}

export interface BadLine {
  /** Line number within its input (event number for the binary format). */
  line: number;
  reason: string;
  text: string;
}

export interface CoreOptions extends CollectOptions {
  machine: MachineConfig;
  sizeShift: boolean;
  /** Stop at the first bad line. */
  strict?: boolean;
  /** Collect decoded events for a .tlbt file instead of simulating them. */
  convert?: boolean;
  /** Feed decoded events to a sweep (src/sweep/) instead of the machine. */
  sweep?: boolean;
  /** Bytes of the input window (default 4 MiB): one feed() per window. */
  windowBytes?: number;
  /** Most bytes of WebAssembly memory the core may use (default 4 GiB, all it can address). */
  maxMemoryBytes?: number;
  /** OPT's pre-pass: record every translation's page (nextUses() then gives the future). */
  recordPages?: boolean;
  /** OPT's second pass: each translation's next use, from the pre-pass. */
  future?: Uint32Array;
  /** --alloc trace: the first frame of the sequential allocator, from the pre-pass. */
  traceBase?: number;
  /** Tests: TLB clock ticks before the stamps are renumbered (default 2^28 - 2), so that renumbering is exercised. */
  stampLimit?: number;
}

export interface CoreInput {
  source: ByteSource;
  format: Format;
  /** Read at most this many bytes per feed (tests use tiny values). */
  chunkBytes?: number;
  /** Called once per bad line the core kept (the first BAD_LOG_CAPACITY of the replay). */
  onBadLine?: (bad: BadLine) => void;
  /** Called after every window with the bytes fed so far and the records so far (all inputs). */
  onProgress?: (bytesFed: number, records: number) => void;
  /** Convert mode: called with the events decoded from every window. */
  onEvents?: (events: Uint8Array) => void;
}

export const DEFAULT_WINDOW_BYTES = 4 << 20;

const BAD_REASONS: Record<number, string> = {
  [abi.BAD_UNKNOWN]: 'not a line of this format',
  [abi.BAD_HEX]: 'bad hex number',
  [abi.BAD_NUMBER]: 'bad decimal number',
  [abi.BAD_SIZE]: 'bad access size',
  [abi.BAD_TYPE]: 'unknown access type',
  [abi.BAD_FIELD]: 'missing or malformed field',
  [abi.BAD_TRAILING]: 'unexpected text after the last field',
  [abi.BAD_TOO_LONG]: 'line too long',
  [abi.BAD_EVENT]: 'bad event (unknown op or flags)',
  [abi.BAD_TRUNCATED]: 'truncated event at the end of the input',
};

const FORMAT_IDS: Record<Format, number> = {
  mem: abi.FORMAT_MEM,
  lackey: abi.FORMAT_LACKEY,
  execlog: abi.FORMAT_EXECLOG,
  memcsv: abi.FORMAT_MEMCSV,
  din: abi.FORMAT_DIN,
  pin: abi.FORMAT_PIN,
  tlbt: abi.FORMAT_TLBT,
};
const PAGING_IDS: Record<PagingMode, number> = {
  'x86-32': abi.PAGING_X86_32,
  pae: abi.PAGING_PAE,
  'x86-64': abi.PAGING_X86_64,
  la57: abi.PAGING_LA57,
};
const ALLOC_IDS: Record<Allocator, number> = {
  sequential: abi.ALLOC_SEQUENTIAL,
  shuffled: abi.ALLOC_SHUFFLED,
  trace: abi.ALLOC_TRACE,
};
const EVICT_IDS: Record<EvictionPolicy, number> = {
  lru: abi.EVICT_LRU,
  fifo: abi.EVICT_FIFO,
  clock: abi.EVICT_CLOCK,
  opt: abi.EVICT_OPT,
};
/** The core's number for each replacement policy (assembly/abi.ts). */
export const POLICY_IDS: Record<Policy, number> = {
  lru: abi.POLICY_LRU,
  fifo: abi.POLICY_FIFO,
  random: abi.POLICY_RANDOM,
  plru: abi.POLICY_PLRU,
};

let compiled: WebAssembly.Module | null = null;

function coreModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(join(packageRoot(), 'build', 'tlbscope.wasm')));
  return compiled;
}

/** The core's initial memory (asconfig.json's initialMemory): the imported memory starts at least this large. */
const CORE_INITIAL_PAGES = 2;

/** One core instance: one replay (or conversion) of one or more inputs. */
export class CoreSession {
  private readonly core: CoreExports;
  private readonly memory: WebAssembly.Memory;
  private readonly maxMemoryBytes: number;
  private readonly windowPtr: number;
  private readonly windowBytes: number;
  private badSeen = 0;
  private extraBad = 0;
  private extraIgnored = 0;

  constructor(private readonly opts: CoreOptions) {
    // The memory is the driver's, so its maximum is the user's limit: the
    // core's allocator cannot grow it past that.
    this.maxMemoryBytes = opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    this.memory = new WebAssembly.Memory({
      initial: CORE_INITIAL_PAGES,
      maximum: Math.max(CORE_INITIAL_PAGES, Math.floor(this.maxMemoryBytes / WASM_PAGE_BYTES)),
    });
    const instance = new WebAssembly.Instance(coreModule(), {
      env: {
        memory: this.memory,
        // The core aborts only on a limit it states (e.g. too many address
        // spaces for a TLB tag): the user's to know, not a crash.
        abort: (message: number) => {
          const why = this.coreString(message);
          throw why === 'Allocation too large'
            ? new MemoryLimitError(this.maxMemoryBytes)
            : new UserError(`the simulated machine hit a limit: ${why}`);
        },
      },
    });
    this.core = instance.exports as unknown as CoreExports;
    const { machine } = opts;
    this.windowBytes = opts.windowBytes ?? DEFAULT_WINDOW_BYTES;
    const policy = (level: 'l1d' | 'l1i' | 'l2') => POLICY_IDS[policyOf(machine, level)];
    try {
      this.guard(() => {
        if (opts.stampLimit !== undefined) this.core.stampLimit(opts.stampLimit);
        this.core.init(
          opts.sweep ? abi.MODE_SWEEP : opts.convert ? abi.MODE_CONVERT : abi.MODE_REPLAY, +opts.sizeShift, +(opts.strict ?? false), this.windowBytes,
          machine.l1d.entries, machine.l1d.ways, policy('l1d'), machine.l1i.entries, machine.l1i.ways, policy('l1i'),
          machine.l2?.entries ?? 0, machine.l2?.ways ?? 0, policy('l2'), BigInt(machine.seed ?? 1),
          PAGING_IDS[machine.paging ?? 'x86-64'], +machine.pcid, PAGE_SHIFTS[machine.pageSize ?? '4K'],
        );
        const pwc = machine.pwc;
        if (pwc) this.core.pageWalkCaches(pwc.pde ?? 0, pwc.pdpte ?? 0, pwc.pml4e ?? 0, pwc.pml5e ?? 0);
        this.core.physicalMemory(
          BigInt(machine.frames ?? 0), EVICT_IDS[machine.evict ?? 'lru'], ALLOC_IDS[machine.alloc ?? 'sequential'],
          BigInt(machine.seed ?? 1), BigInt(SHUFFLED_POOL_FRAMES), BigInt(opts.traceBase ?? 0),
        );
        const layout = machine.layout ?? 'flat';
        const text = machine.kernelText;
        this.core.kernelLayout(
          layout === 'linux' ? abi.LAYOUT_LINUX : layout === 'pintos' ? abi.LAYOUT_PINTOS : abi.LAYOUT_FLAT,
          +(text !== undefined), text?.start ?? 0n, text?.end ?? 0n,
        );
        for (const map of machine.maps ?? []) {
          this.core.regionMap(map.cr3 ?? 0n, +(map.cr3 !== null));
          for (const r of map.regions) {
            const perms = (r.read ? abi.PERM_READ : 0) | (r.write ? abi.PERM_WRITE : 0) | (r.exec ? abi.PERM_EXEC : 0);
            this.core.region(r.start, r.end, perms, r.pageSize === undefined ? 0 : PAGE_SHIFTS[r.pageSize]);
          }
        }
        this.core.checksReady(+!!machine.kpti);
        if (opts.recordPages) this.core.recordPages();
        if (opts.frames === false && !opts.pages) this.core.totalsPerFrame();
        if (opts.pages) this.core.trackPages(1);
        if (opts.interval) this.core.interval(opts.interval);
      });
    } catch (err) {
      if (!(err instanceof MemoryLimitError)) throw err;
      throw new UserError(
        `--max-memory ${formatMemorySize(this.maxMemoryBytes)} is less than the core needs before reading a trace (its ${formatMemorySize(this.windowBytes)} input window and the TLBs)`,
      );
    }
    if (opts.future) {
      const future = opts.future;
      const at = this.guard(() => this.core.futureBuffer(BigInt(future.length))) >>> 0;
      new Uint32Array(this.memory.buffer, at, future.length).set(future);
    }
    this.windowPtr = this.core.inputWindow() >>> 0;
  }

  /** The instance's exports, for the drivers of other modes (src/sweep/run.ts). */
  get exports(): WebAssembly.Exports {
    return this.core as unknown as WebAssembly.Exports;
  }

  /**
   * Runs a core call that may allocate. In the core every `unreachable`
   * either follows an abort() (which throws first) or a memory.grow that
   * failed, so a trap there means the memory reached its limit
   * (test/memory.test.ts checks that against the compiled module).
   */
  private guard<T>(call: () => T): T {
    try {
      return call();
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError && err.message === 'unreachable') throw new MemoryLimitError(this.maxMemoryBytes);
      throw err;
    }
  }

  /** WebAssembly memory in use (bytes): it only grows. */
  memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** An AssemblyScript string: UTF-16 code units, their byte length just before them. */
  private coreString(ptr: number): string {
    if (ptr === 0) return 'unknown';
    const buffer = this.memory.buffer;
    const bytes = new Uint32Array(buffer, (ptr >>> 0) - 4, 1)[0];
    return Buffer.from(buffer, ptr >>> 0, bytes).toString('utf16le');
  }

  // memory.grow detaches the buffer, so views are taken anew after every call.
  private window(): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.windowPtr, this.windowBytes);
  }

  /** Feeds a whole input; returns false when --strict stopped at a bad line. */
  async feed(input: CoreInput): Promise<boolean> {
    const { core } = this;
    const binary = input.format === 'tlbt';
    core.setFormat(FORMAT_IDS[input.format]);
    const lineBase = core.position(+binary);
    const chunkLimit = Math.min(input.chunkBytes ?? this.windowBytes, this.windowBytes);
    let carry = 0;
    let fed = 0;
    for (;;) {
      const room = this.window().subarray(carry, Math.min(this.windowBytes, carry + chunkLimit));
      const n = await input.source.read(room);
      const eof = n === 0;
      fed += n;
      try {
        carry = this.guard(() => core.feed(carry + n, +eof));
      } catch (err) {
        // Name the input: with several traces the user must know which one.
        if (err instanceof UserError) throw new UserError(`${input.source.name}: ${err.message}`);
        throw err;
      }
      this.reportBadLines(lineBase, input.onBadLine);
      if (input.onEvents && this.core.outputCount() > 0) this.handOutEvents(input.onEvents);
      if (input.onProgress) input.onProgress(fed, core.recordCount());
      if (carry === abi.FEED_STOPPED) return false;
      if (eof) return true;
    }
  }

  /** After a pre-pass (recordPages): every translation's next use, 0xffffffff for never. */
  nextUses(): Uint32Array {
    const block = this.core.counters() >>> 0;
    const count = new Float64Array(this.memory.buffer, block, abi.COUNTER_COUNT)[abi.C_TRANSLATIONS];
    const at = this.core.nextUses() >>> 0;
    return new Uint32Array(this.memory.buffer.slice(at, at + 4 * count));
  }

  /** Convert mode: the events decoded since they were last handed out (fed without onEvents, they wait), then forgets them. */
  handOutEvents(onEvents: (events: Uint8Array) => void): void {
    const count = this.core.outputCount();
    onEvents(new Uint8Array(this.memory.buffer, this.core.outputPtr() >>> 0, count * abi.EVENT_BYTES));
    this.core.takeOutput();
  }

  /** Registers a binary trace's reason table, in its order (ids 1, 2, ...). */
  addReasons(reasons: Uint8Array[]): void {
    for (const reason of reasons) {
      const bytes = reason.subarray(0, abi.REASON_BYTES);
      this.window().set(bytes);
      this.core.addReason(this.windowPtr, bytes.length);
    }
  }

  /** Lines, bad lines and ignored lines the core has read so far (all text inputs). */
  lineCounts(): { lines: number; bad: number; ignored: number } {
    return { lines: this.core.position(0), bad: this.core.badLineCount(), ignored: this.core.ignoredLineCount() };
  }

  /** How many reasons are interned (ids 1 to this). */
  reasonCount(): number {
    return this.core.reasons();
  }

  /**
   * Interns one reason and returns its id here. `scratch` is a view of this
   * core's memory that holds nothing yet (the room a read is about to fill).
   */
  internReason(reason: Uint8Array, scratch: Uint8Array): number {
    const bytes = reason.subarray(0, Math.min(abi.REASON_BYTES, scratch.length));
    scratch.set(bytes);
    return this.core.addReason(scratch.byteOffset, bytes.length);
  }

  /** Bad and ignored lines of the text a binary trace was converted from. */
  inherit(badLines: number, ignoredLines: number): void {
    this.extraBad += badLines;
    this.extraIgnored += ignoredLines;
  }

  /** The reasons interned so far, by id - 1, as the bytes the trace gave (from id first + 1 on). */
  reasons(first = 0): Uint8Array[] {
    const out: Uint8Array[] = [];
    const entryBytes = 4 + abi.REASON_BYTES;
    const table = this.core.reasonText() >>> 0;
    const count = this.core.reasons();
    const view = new DataView(this.memory.buffer);
    for (let i = first; i < count; i++) {
      const entry = table + i * entryBytes;
      const length = view.getUint32(entry, true);
      out.push(new Uint8Array(this.memory.buffer.slice(entry + 4, entry + 4 + length)));
    }
    return out;
  }

  private reportBadLines(lineBase: number, onBadLine?: (bad: BadLine) => void): void {
    const kept = Math.min(this.core.badLineCount(), abi.BAD_LOG_CAPACITY);
    if (kept <= this.badSeen) return;
    const log = this.core.badLineLog() >>> 0;
    const entryBytes = 16 + abi.BAD_TEXT_BYTES;
    const view = new DataView(this.memory.buffer);
    for (let i = this.badSeen; i < kept; i++) {
      const entry = log + i * entryBytes;
      const length = view.getUint32(entry + 12, true);
      const bytes = new Uint8Array(this.memory.buffer, entry + 16, length);
      const binaryEvent = view.getUint32(entry + 8, true) >= abi.BAD_EVENT;
      onBadLine?.({
        line: view.getFloat64(entry, true) - lineBase,
        reason: BAD_REASONS[view.getUint32(entry + 8, true)] ?? 'bad line',
        text: binaryEvent ? Buffer.from(bytes).toString('hex') : Buffer.from(bytes).toString('latin1'),
      });
    }
    this.badSeen = kept;
  }

  stats(): Stats {
    const core = this.core;
    const block = this.guard(() => core.counters()) >>> 0; // may grow memory: take the buffer after it
    const c = new Float64Array(this.memory.buffer, block, abi.COUNTER_COUNT);
    const level = (lookups: number, misses: number): LevelStats => ({ lookups, hits: lookups - misses, misses });
    const stats: Stats = {
      records: c[abi.C_RECORDS],
      accesses: {
        read: c[abi.C_READS],
        write: c[abi.C_WRITES],
        fetch: c[abi.C_FETCHES],
        physical: c[abi.C_PHYSICAL],
        mmio: c[abi.C_MMIO],
      },
      crossings: c[abi.C_CROSSINGS],
      tlb: {
        l1d: level(c[abi.C_L1D_LOOKUPS], c[abi.C_L1D_MISSES]),
        l1i: level(c[abi.C_L1I_LOOKUPS], c[abi.C_L1I_MISSES]),
      },
      walks: { count: c[abi.C_WALKS], refs: c[abi.C_WALK_REFS] },
      faults: {
        minor: c[abi.C_FAULTS_MINOR],
        major: c[abi.C_FAULTS_MAJOR],
        nonCanonical: c[abi.C_FAULTS_NONCANONICAL],
        invalid: c[abi.C_FAULTS_INVALID],
        protection: { read: c[abi.C_PROT_READ], write: c[abi.C_PROT_WRITE], exec: c[abi.C_PROT_EXEC], user: c[abi.C_PROT_USER] },
        observed: c[abi.C_FAULTS_OBSERVED],
        observedByReason: this.observedByReason(),
      },
      frames: { used: c[abi.C_FRAMES_USED], pageTable: c[abi.C_FRAMES_PAGETABLE] },
      contexts: c[abi.C_CONTEXTS],
      contextSwitches: c[abi.C_CONTEXT_SWITCHES],
      kptiSwitches: c[abi.C_KPTI_SWITCHES],
      cpus: core.cpuCount(),
      invlpg: c[abi.C_INVLPG],
      flushes: c[abi.C_FLUSHES],
      badLines: c[abi.C_BAD_LINES] + this.extraBad,
      ignoredLines: c[abi.C_IGNORED_LINES] + this.extraIgnored,
      pfn: [],
      physicalPfn: this.physicalCounts(),
    };
    if (core.frameCountColumns() === abi.PFN_COLUMNS) {
      lazily(stats, 'pfn', this.frameCounts(c[abi.C_PFN_LIMIT]));
    } else {
      // Not enumerable: copies of the stats (a job's, sent to the main thread) leave it out.
      Object.defineProperty(stats, 'pfn', {
        enumerable: false,
        get: () => {
          throw new Error('per-frame counts by op were not collected (CollectOptions.frames is false)');
        },
      });
    }
    if (this.opts.machine.l2) stats.tlb.l2 = level(c[abi.C_L2_LOOKUPS], c[abi.C_L2_MISSES]);
    if (stats.cpus > 1) {
      const per = u64s(this.memory.buffer, core.perCpu() >>> 0, 64 * 6);
      stats.perCpu = [];
      for (let cpu = 0; cpu < 64; cpu++) {
        if (!core.cpuMade(cpu)) continue;
        const at = (k: number) => level(per(cpu * 6 + 2 * k), per(cpu * 6 + 2 * k + 1));
        stats.perCpu.push({ cpu, l1d: at(0), l1i: at(1), ...(this.opts.machine.l2 ? { l2: at(2) } : {}) });
      }
    }
    if (this.opts.machine.frames !== undefined) {
      stats.memory = {
        frames: this.opts.machine.frames,
        evictions: c[abi.C_EVICTIONS],
        writebacks: c[abi.C_WRITEBACKS],
        shootdowns: c[abi.C_SHOOTDOWNS],
      };
    }
    if (this.opts.machine.pwc) {
      const upper = PAGING_LEVELS[this.opts.machine.paging ?? 'x86-64'] - 1;
      stats.walks.pwc = Object.fromEntries(
        PWC_LEVELS.slice(0, upper).map((name, k) => [name, { lookups: c[abi.C_PWC_LOOKUPS + k], hits: c[abi.C_PWC_HITS + k] }]),
      );
    }
    // Last: these may grow memory, which detaches the counter view `c`.
    if (this.opts.pages) stats.vpn = this.pageCounts();
    if (this.opts.interval) stats.intervals = { every: this.opts.interval, snapshots: this.intervals() };
    return stats;
  }

  private observedByReason(): Record<string, number> {
    const names = this.reasons().map((bytes) => Buffer.from(bytes).toString('utf8'));
    const counts = u64s(this.memory.buffer, this.core.reasonCounts() >>> 0, abi.REASON_CAPACITY + 2);
    // A Map, not an object, while counting: a reason may be "__proto__".
    const out = new Map<string, number>();
    for (let id = 1; id <= abi.REASON_CAPACITY; id++) {
      // A binary trace without its reason table still counts by id.
      const name = names[id - 1] ?? `reason ${id}`;
      if (counts(id) > 0) out.set(name, counts(id));
    }
    const other = counts(abi.REASON_CAPACITY + 1);
    if (other > 0) out.set('other', (out.get('other') ?? 0) + other);
    return Object.fromEntries(out);
  }

  /** Translations per frame, [pfn, n] by ascending PFN, whether the core splits them by op or not (tests compare the two). */
  frameTranslations(): Array<[number, number]> {
    const block = this.guard(() => this.core.counters()) >>> 0; // hands the L1s' counts over
    const limit = new Float64Array(this.memory.buffer, block, abi.COUNTER_COUNT)[abi.C_PFN_LIMIT];
    const columns = this.core.frameCountColumns();
    const count = u64s(this.memory.buffer, this.core.frameCounts() >>> 0, limit * columns);
    const out: Array<[number, number]> = [];
    for (let pfn = 0; pfn < limit; pfn++) {
      let n = 0;
      for (let k = 0; k < columns; k++) n += count(pfn * columns + k);
      if (n !== 0) out.push([pfn, n]);
    }
    return out;
  }

  /**
   * The per-frame rows, built when first read: most runs print no per-frame
   * report, and building 200,000 rows costs more than 60 ms. The counts are
   * copied now, so later feeds cannot change them.
   */
  private frameCounts(limit: number): () => FrameCounts[] {
    const columns = abi.PFN_COLUMNS;
    const copy = new Uint32Array(this.memory.buffer, this.core.frameCounts() >>> 0, 2 * limit * columns).slice();
    return () => {
      const out: FrameCounts[] = [];
      const count = u64s(copy.buffer, 0, limit * columns);
      for (let pfn = 0; pfn < limit; pfn++) {
        const reads = count(pfn * columns + abi.PFN_READS);
        const writes = count(pfn * columns + abi.PFN_WRITES);
        const fetches = count(pfn * columns + abi.PFN_FETCHES);
        const translations = reads + writes + fetches;
        if (translations !== 0) out.push({ pfn, translations, reads, writes, fetches });
      }
      return out;
    };
  }

  /** Only after counters(), which hands the L1s' pending counts over. */
  private pageCounts(): { spaces: SpaceName[]; pages: PageCounts[] } {
    const core = this.core;
    const rows = core.pageRows(); // may grow memory: take the buffer after it
    const field = u64s(this.memory.buffer, core.pageTable() >>> 0, rows * abi.PAGE_ROW_FIELDS);
    const pages: PageCounts[] = [];
    for (let i = 0; i < rows; i++) {
      const at = (k: number) => field(i * abi.PAGE_ROW_FIELDS + k);
      const reads = at(3 + abi.PFN_READS);
      const writes = at(3 + abi.PFN_WRITES);
      const fetches = at(3 + abi.PFN_FETCHES);
      // The kernel's global entries belong to no one space: -1 (u64 all ones).
      const space = at(0) >= 2 ** 63 ? -1 : at(0);
      pages.push({ space, vpn: at(1), pfn: at(2), translations: reads + writes + fetches, reads, writes, fetches });
    }
    pages.sort((a, b) => a.space - b.space || a.vpn - b.vpn || a.pfn - b.pfn);
    const count = core.spaceRows();
    const table = core.spaceTable() >>> 0;
    const words = new BigUint64Array(this.memory.buffer, table, count * abi.SPACE_ROW_FIELDS);
    const spaces: SpaceName[] = [];
    for (let k = 0; k < count; k++) {
      const row = k * abi.SPACE_ROW_FIELDS;
      spaces.push({ space: Number(words[row]), cr3: words[row + 1] === 1n ? `0x${words[row + 2].toString(16)}` : null });
    }
    return { spaces, pages };
  }

  private intervals(): IntervalSnapshot[] {
    const core = this.core;
    const rows = core.intervalRows(); // may grow memory
    const field = u64s(this.memory.buffer, core.intervalTable() >>> 0, rows * abi.INTERVAL_FIELDS);
    const out: IntervalSnapshot[] = [];
    for (let i = 0; i < rows; i++) {
      const at = (k: number) => field(i * abi.INTERVAL_FIELDS + k);
      out.push({
        records: at(abi.I_RECORDS),
        reads: at(abi.I_READS),
        writes: at(abi.I_WRITES),
        fetches: at(abi.I_FETCHES),
        l1dLookups: at(abi.I_L1D_LOOKUPS),
        l1dMisses: at(abi.I_L1D_MISSES),
        l1iLookups: at(abi.I_L1I_LOOKUPS),
        l1iMisses: at(abi.I_L1I_MISSES),
        l2Lookups: at(abi.I_L2_LOOKUPS),
        l2Misses: at(abi.I_L2_MISSES),
        walks: at(abi.I_WALKS),
        walkRefs: at(abi.I_WALK_REFS),
        minorFaults: at(abi.I_FAULTS_MINOR),
        majorFaults: at(abi.I_FAULTS_MAJOR),
        nonCanonical: at(abi.I_FAULTS_NONCANONICAL),
      });
    }
    return out;
  }

  private physicalCounts(): Array<[number, number]> {
    const slots = this.core.physicalSlots();
    const out: Array<[number, number]> = [];
    if (slots === 0) return out;
    const keys = u64s(this.memory.buffer, this.core.physicalPfns() >>> 0, slots);
    const values = u64s(this.memory.buffer, this.core.physicalCounts() >>> 0, slots);
    for (let i = 0; i < slots; i++) {
      const key = keys(i);
      if (key !== 0) out.push([key - 1, values(i)]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }
}

/** Makes obj[key] build() on first read, then keep the value; still an ordinary (enumerable) property to JSON, spreads and structured clones. */
function lazily<T extends object, K extends keyof T>(obj: T, key: K, build: () => T[K]): void {
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      const value = build();
      Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
  });
}

/** Reads u64s as two u32 halves: a BigInt per value is slow for millions of frames. */
function u64s(buffer: ArrayBufferLike, ptr: number, length: number): (i: number) => number {
  const halves = new Uint32Array(buffer, ptr, 2 * length);
  return (i) => halves[2 * i + 1] * 2 ** 32 + halves[2 * i];
}

export interface CoreResult {
  stats: Stats;
  /** True when --strict stopped the replay at a bad line. */
  stopped: boolean;
}

/** Whether the machine needs a pre-pass over the trace: OPT eviction, or --alloc trace. */
export function needsPrePass(machine: MachineConfig): boolean {
  return (machine.frames !== undefined && machine.evict === 'opt') || machine.alloc === 'trace';
}

/** What the real pass needs to know of the whole trace. */
export interface PrePassResult {
  /** OPT: every translation's next use. */
  future?: Uint32Array;
  /** --alloc trace: one past the trace's highest frame, where the sequential frames start. */
  traceBase?: number;
}

/**
 * The pre-pass: replays the trace (fed by `feedAll`) on the machine without
 * its frame limit or allocator, recording every translation's page for OPT,
 * and the trace's own frames for --alloc trace.
 */
export async function prePass(
  opts: Omit<CoreOptions, 'recordPages' | 'future' | 'traceBase'>,
  feedAll: (session: CoreSession) => Promise<boolean>,
): Promise<PrePassResult> {
  const { frames: _frames, evict: _evict, alloc: _alloc, ...unlimited } = opts.machine;
  const opt = opts.machine.frames !== undefined && opts.machine.evict === 'opt';
  const session = new CoreSession({ ...opts, machine: unlimited, recordPages: opt });
  await feedAll(session);
  const result: PrePassResult = {};
  if (opt) result.future = session.nextUses();
  if (opts.machine.alloc === 'trace') {
    const frames = session.stats().physicalPfn;
    result.traceBase = frames.length === 0 ? 0 : frames[frames.length - 1][0] + 1;
  }
  return result;
}

/** Replays one source through a fresh core: the common case, and the tests'. `open` may be called twice (OPT). */
export async function replayCore(
  open: ByteSource | (() => ByteSource),
  opts: { decode: DecodeOptions; machine: MachineConfig; strict?: boolean; windowBytes?: number; maxMemoryBytes?: number; stampLimit?: number } & CollectOptions & Omit<CoreInput, 'source' | 'format'>,
): Promise<CoreResult> {
  const source = () => {
    if (typeof open === 'function') return open();
    const s = open;
    open = () => {
      throw new Error(`${s.name}: OPT eviction reads the trace twice; give replayCore a function that opens it`);
    };
    return s;
  };
  const base = {
    machine: opts.machine, sizeShift: opts.decode.sizeShift, strict: opts.strict, windowBytes: opts.windowBytes, maxMemoryBytes: opts.maxMemoryBytes,
    stampLimit: opts.stampLimit,
  };
  const known = needsPrePass(opts.machine)
    ? await prePass(base, (session) => session.feed({ source: source(), format: opts.decode.format, chunkBytes: opts.chunkBytes }))
    : {};
  const session = new CoreSession({ ...base, ...known, pages: opts.pages, frames: opts.frames, interval: opts.interval });
  const finished = await session.feed({ ...opts, source: source(), format: opts.decode.format });
  return { stats: session.stats(), stopped: !finished };
}
