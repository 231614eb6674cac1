// Glue between the driver and the WASM core: instantiates the module, pumps a
// ByteSource through the core's input window, and reads the counters back.
// No per-record call crosses the boundary: one feed() per window of bytes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as abi from '../../assembly/abi.js';
import { packageRoot } from '../paths.js';
import type { ByteSource } from '../input/source.js';
import type { DecodeOptions, MachineConfig, Stats, LevelStats } from '../model.js';

interface CoreExports {
  memory: WebAssembly.Memory;
  init(
    format: number, sizeShift: number, strict: number, window: number,
    l1dEntries: number, l1dWays: number, l1iEntries: number, l1iWays: number,
    l2Entries: number, l2Ways: number, policy: number, pcid: number,
  ): void;
  inputWindow(): number;
  inputWindowSize(): number;
  feed(len: number, eof: number): number;
  badLineLog(): number;
  badLineCount(): number;
  pfnTranslations(): number;
  counters(): number;
}

export interface BadLine {
  line: number;
  reason: string;
  text: string;
}

export interface CoreOptions {
  decode: DecodeOptions;
  machine: MachineConfig;
  /** Stop at the first bad line. */
  strict?: boolean;
  /** Bytes of the input window (default 4 MiB): one feed() per window. */
  windowBytes?: number;
  /** Read at most this many bytes per feed (tests use tiny values). */
  chunkBytes?: number;
  /** Bytes already read from the source (sniffing), fed first. */
  head?: Uint8Array;
  /** Called once per bad line the core kept (the first BAD_LOG_CAPACITY). */
  onBadLine?: (bad: BadLine) => void;
  /** Called after every window with the bytes fed so far. */
  onProgress?: (bytesFed: number) => void;
}

export interface CoreResult {
  stats: Stats;
  /** True when --strict stopped the replay at a bad line. */
  stopped: boolean;
}

export const DEFAULT_WINDOW_BYTES = 4 << 20;

const BAD_REASONS: Record<number, string> = {
  [abi.BAD_UNKNOWN]: 'not a line of this format',
  [abi.BAD_HEX]: 'bad hex number',
  [abi.BAD_NUMBER]: 'bad decimal number',
  [abi.BAD_SIZE]: 'access size above 4096 bytes',
  [abi.BAD_TYPE]: 'unknown access type',
  [abi.BAD_FIELD]: 'missing or malformed field',
  [abi.BAD_TRAILING]: 'unexpected text after the last field',
  [abi.BAD_TOO_LONG]: 'line too long',
};

const FORMAT_IDS = { mem: abi.FORMAT_MEM, lackey: abi.FORMAT_LACKEY, execlog: abi.FORMAT_EXECLOG };
const POLICY_IDS = { lru: abi.POLICY_LRU, fifo: abi.POLICY_FIFO };

let compiled: WebAssembly.Module | null = null;

function coreModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(join(packageRoot(), 'build', 'tlbscope.wasm')));
  return compiled;
}

function instantiate(): CoreExports {
  const instance = new WebAssembly.Instance(coreModule(), {
    env: {
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`tlbscope core aborted at ${line}:${column}`);
      },
    },
  });
  return instance.exports as unknown as CoreExports;
}

/** Replays a whole source through a fresh core instance. */
export async function replayCore(source: ByteSource, opts: CoreOptions): Promise<CoreResult> {
  const core = instantiate();
  const { machine, decode } = opts;
  const windowBytes = opts.windowBytes ?? DEFAULT_WINDOW_BYTES;
  core.init(
    FORMAT_IDS[decode.format], +decode.sizeShift, +(opts.strict ?? false), windowBytes,
    machine.l1d.entries, machine.l1d.ways, machine.l1i.entries, machine.l1i.ways,
    machine.l2?.entries ?? 0, machine.l2?.ways ?? 0, POLICY_IDS[machine.policy], +machine.pcid,
  );
  const windowPtr = core.inputWindow() >>> 0;
  // memory.grow detaches the buffer, so the view is taken anew for every read.
  const windowView = () => new Uint8Array(core.memory.buffer, windowPtr, windowBytes);
  const chunkLimit = Math.min(opts.chunkBytes ?? windowBytes, windowBytes);

  let head = opts.head ?? new Uint8Array(0);
  let carry = 0;
  let fed = 0;
  let badSeen = 0;
  let stopped = false;
  for (;;) {
    const room = windowView().subarray(carry, Math.min(windowBytes, carry + chunkLimit));
    let n: number;
    if (head.length > 0) {
      n = Math.min(head.length, room.length);
      room.set(head.subarray(0, n));
      head = head.subarray(n);
    } else {
      n = await source.read(room);
    }
    const eof = n === 0;
    fed += n;
    carry = core.feed(carry + n, +eof);
    badSeen = reportBadLines(core, badSeen, opts.onBadLine);
    opts.onProgress?.(fed);
    if (carry === abi.FEED_STOPPED) {
      stopped = true;
      break;
    }
    if (eof) break;
  }
  return { stats: readStats(core, machine), stopped };
}

function reportBadLines(core: CoreExports, seen: number, onBadLine?: (bad: BadLine) => void): number {
  const kept = Math.min(core.badLineCount(), abi.BAD_LOG_CAPACITY);
  if (!onBadLine || kept <= seen) return kept;
  const log = core.badLineLog() >>> 0;
  const entryBytes = 16 + abi.BAD_TEXT_BYTES;
  const view = new DataView(core.memory.buffer);
  for (let i = seen; i < kept; i++) {
    const entry = log + i * entryBytes;
    const length = view.getUint32(entry + 12, true);
    const text = Buffer.from(core.memory.buffer, entry + 16, length).toString('latin1');
    onBadLine({
      line: view.getFloat64(entry, true),
      reason: BAD_REASONS[view.getUint32(entry + 8, true)] ?? 'bad line',
      text,
    });
  }
  return kept;
}

function readStats(core: CoreExports, machine: MachineConfig): Stats {
  const block = core.counters() >>> 0; // may grow memory: take the buffer after it
  const c = new Float64Array(core.memory.buffer, block, abi.COUNTER_COUNT);
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
      observed: c[abi.C_FAULTS_OBSERVED],
    },
    frames: { used: c[abi.C_FRAMES_USED], pageTable: c[abi.C_FRAMES_PAGETABLE] },
    contexts: c[abi.C_CONTEXTS],
    contextSwitches: c[abi.C_CONTEXT_SWITCHES],
    invlpg: c[abi.C_INVLPG],
    flushes: c[abi.C_FLUSHES],
    badLines: c[abi.C_BAD_LINES],
    pfn: [],
  };
  if (machine.l2) stats.tlb.l2 = level(c[abi.C_L2_LOOKUPS], c[abi.C_L2_MISSES]);
  const limit = c[abi.C_PFN_LIMIT];
  if (limit > 0) {
    // u64 counts read as two u32 halves: BigInt per frame is slow for millions of frames.
    const halves = new Uint32Array(core.memory.buffer, core.pfnTranslations() >>> 0, 2 * limit);
    for (let pfn = 0; pfn < limit; pfn++) {
      const low = halves[2 * pfn];
      const high = halves[2 * pfn + 1];
      if ((low | high) !== 0) stats.pfn.push([pfn, high * 2 ** 32 + low]);
    }
  }
  return stats;
}
