// Seeded random traces and machines for property tests (WASM core vs
// reference). Everything here is a pure function of the seed, so a failing
// seed can be replayed and shrunk by hand.
//
// Valid lines follow the grammar of docs/formats.md literally; malformed lines
// are malformed beyond doubt (no line depends on an unspecified corner of the
// grammar), so both engines must classify every line the same way.

import {
  DEFAULT_PWC,
  EVICTION_POLICIES,
  MODE_PAGE_SIZES,
  POLICIES,
  PWC_LEVELS,
  TEXT_FORMATS,
  type Format,
  type Geometry,
  type MachineConfig,
  type PagingMode,
  type Policy,
  type PwcLevel,
  type TlbLevel,
} from '../src/model.js';
import { referenceReplay } from '../src/reference/replay.js';

/** mulberry32: tiny, fast, and good enough to pick test cases. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** A uniform bigint of `bits` bits. */
  bits(bits: number): bigint {
    let v = 0n;
    for (let done = 0; done < bits; done += 16) v = (v << 16n) | BigInt(this.int(0, 0xffff));
    return v & ((1n << BigInt(bits)) - 1n);
  }
}

export type OpMix = 'reads' | 'writes' | 'fetches' | 'mixed';

export interface TraceOptions {
  format?: Format;
  /** Only for `mem`: print READ/WRITE sizes as log2. */
  sizeShift?: boolean;
  /** Non-blank lines to aim for. */
  lines?: number;
  opMix?: OpMix;
  /** Fraction of malformed lines (default about 2%; 0 for a clean trace). */
  badRate?: number;
  /**
   * Lay the pages out mostly below 4 GiB, where the 32-bit paging modes
   * translate (default: about 3 traces in 10).
   */
  lowAddresses?: boolean;
}

export interface GeneratedTrace {
  /** One character per byte (latin1), as the engines read it. */
  text: string;
  format: Format;
  sizeShift: boolean;
}

const U64 = (1n << 64n) - 1n;

/** 64 pages below the end of the canonical user half (0x0000_7fff_ffff_ffff). */
const TOP_OF_USER = (1n << 35n) - 64n;
/** Pages below 4 GiB: what the 32-bit paging modes (x86-32, pae) translate. */
const LOW_PAGES = 1n << 20n;
/** 64 pages below 4 GiB: a crossing may leave what the 32-bit modes translate. */
const TOP_OF_4G = LOW_PAGES - 64n;

/** Address-space layout of one generated trace: clusters of pages. */
class PagePool {
  readonly pages: bigint[] = [];
  private readonly recent: bigint[] = [];

  /** `low`: most clusters below 4 GiB (a few still anywhere). */
  constructor(private readonly rng: Rng, low: boolean) {
    const size = rng.int(4, 300);
    const clusters = rng.int(1, 6);
    const bases = Array.from({ length: clusters }, () => (low && rng.chance(0.85) ? this.lowClusterBase() : this.clusterBase()));
    for (let i = 0; i < size; i++) {
      const base = rng.pick(bases);
      // Mostly dense runs of pages (stacks, heaps, text), some scattered ones,
      // so that a page's neighbours share PTs and sets fill unevenly. Past the
      // top of the user half everything is non-canonical (and past 4 GiB
      // everything is untranslatable in the 32-bit modes): stay dense there
      // so that such pages remain rare.
      const dense = base === TOP_OF_USER || base === TOP_OF_4G || rng.chance(0.8);
      const offset = dense ? BigInt(rng.int(0, 63)) : BigInt(rng.int(0, 1 << 20));
      // A scattered page of a cluster below 4 GiB stays below 4 GiB.
      const vpn = base < LOW_PAGES ? (base + offset) % LOW_PAGES : base + offset;
      this.pages.push(vpn & ((1n << 52n) - 1n));
    }
  }

  /** A cluster base below 4 GiB, as a VPN: a 32-bit process's layout. */
  private lowClusterBase(): bigint {
    const rng = this.rng;
    switch (rng.int(0, 9)) {
      case 0: // the first MiB, page 0 included
        return BigInt(rng.int(0, 0xff));
      case 1:
      case 2: // i386 ELF text, 0x0804_8000
        return 0x08048n + rng.bits(8);
      case 3: // mmap area, 0x4000_0000
        return 0x40000n + rng.bits(12);
      case 4:
      case 5: // user stack below 0xc000_0000
        return 0xbf800n | rng.bits(11);
      case 6:
      case 7: // 3/1 split kernel, 0xc000_0000
        return 0xc0000n + rng.bits(16);
      case 8: // just below a PAE PDPT entry's 1 GiB: crossings change PDPT slot
        return (BigInt(rng.int(1, 3)) << 18n) - 32n;
      default: // top of 4 GiB: a crossing may leave the 32-bit modes' range
        return TOP_OF_4G;
    }
  }

  /** A cluster base, as a VPN (address >> 12). */
  private clusterBase(): bigint {
    const rng = this.rng;
    switch (rng.int(0, 9)) {
      case 0:
      case 1:
      case 2: // user stack, 0x0000_7fxx_xxxx_x000
        return (0x7fn << 28n) | rng.bits(28);
      case 3:
      case 4:
      case 5: // kernel half, 0xffff_8xxx_xxxx_x000
        return (0xffff8n << 32n) | (rng.bits(32) >> 4n);
      case 6:
      case 7: // low user text/heap, as in QEMU user mode (0x40_0000_0000)
        return 0x4000000n + rng.bits(16);
      case 8: // top of the kernel half: crossings may wrap the VPN around to 0
        return (1n << 52n) - 64n;
      default: // top of the user half: a crossing may leave the canonical range
        return TOP_OF_USER;
    }
  }

  /** A page with locality: recently used pages come back often. */
  page(): bigint {
    const rng = this.rng;
    let vpn: bigint;
    if (this.recent.length > 0 && rng.chance(0.6)) {
      vpn = rng.pick(this.recent);
    } else {
      // Skewed towards the start of the pool: a hot set plus a long tail.
      const r = rng.next();
      vpn = this.pages[Math.floor(r * r * this.pages.length)];
    }
    this.recent.push(vpn);
    if (this.recent.length > 8) this.recent.shift();
    return vpn;
  }
}

function hex(value: bigint, rng: Rng, minDigits = 1): string {
  const digits = value.toString(16).padStart(minDigits, '0');
  // Both cases are valid hex; mixing them exercises the decoders.
  return rng.chance(0.1) ? digits.toUpperCase() : digits;
}

class TraceWriter {
  readonly pool: PagePool;
  private readonly out: string[] = [];
  private readonly badRate: number;

  constructor(readonly rng: Rng, badRate: number, lowAddresses: boolean) {
    this.pool = new PagePool(rng, lowAddresses);
    this.badRate = badRate;
  }

  /** Any address in a pool page, often near its end so that accesses cross. */
  address(): bigint {
    const rng = this.rng;
    if (rng.chance(0.01)) {
      // Non-canonical: bits 63..47 not all equal.
      return ((BigInt(rng.int(1, 0x7ffe)) << 48n) | rng.bits(48)) & U64;
    }
    const offset = rng.chance(0.15) ? rng.int(0xff0, 0xfff) : rng.int(0, 0xfff);
    return (this.pool.page() << 12n) | BigInt(offset);
  }

  line(text: string): void {
    const rng = this.rng;
    // Trailing blanks go before the '\r' of a CRLF, where every reading of
    // "a trailing '\r' and trailing spaces/tabs are ignored" agrees.
    let end = rng.chance(0.05) ? '\r\n' : '\n';
    if (rng.chance(0.03)) end = rng.pick([' ', '\t', '  \t']) + end;
    this.out.push(text + end);
    if (rng.chance(0.02)) this.out.push(rng.pick(['', ' ', '\t', ' \t ', '\r']) + '\n');
  }

  wantBad(): boolean {
    return this.rng.chance(this.badRate);
  }

  text(): string {
    const text = this.out.join('');
    // Sometimes drop the final newline: the last line must still count.
    return this.rng.chance(0.2) ? text.replace(/\r?\n$/, '') : text;
  }
}

const PAGE_FAULT_REASONS = [
  'Page Not Present (Write)',
  'Page Not Present (Write)',
  'Page Not Present (Read)',
  'Page Not Present (Fetch)',
  'Write Access Violation',
  'Protection Violation (Write)',
  // Longer than 60 bytes: counted under its first 60.
  'Page Not Present (Write) in a kernel-mode access while handling a signal frame',
  'Page Not Present (Write) in a kernel-mode access while handling a copy-on-write',
  // Not ASCII: the reason is its bytes (latin1 text here).
  'D\xe9faut de page (\xe9criture)',
];

/**
 * What follows `[PAGE_FAULT] VA=0x…`. Reasons never start with a blank, are
 * never all digits (object key order) and are never `other` or `unknown`, so
 * only the rules of docs/formats.md decide how they are counted. With
 * `many`, more distinct reasons than are counted by name (the rest: `other`).
 */
function pageFaultTail(rng: Rng, many: boolean): string {
  if (rng.chance(0.1)) return ''; // no reason: `unknown`
  // An empty reason: the trailing blank is trimmed with the line, so either
  // reading of it gives `unknown`.
  if (rng.chance(0.05)) return ' | Reason: ';
  if (many && rng.chance(0.7)) return ` | Reason: Page Not Present (code ${rng.int(0, 60)})`;
  return ` | Reason: ${rng.pick(PAGE_FAULT_REASONS)}`;
}

function memTrace(w: TraceWriter, lines: number, mix: OpMix, sizeShift: boolean): void {
  const rng = w.rng;
  const spaces = Array.from({ length: rng.int(1, 5) }, (_, i) => BigInt(0x1000 * (i + 1)) | (rng.bits(20) << 12n));
  const withPa = rng.chance(0.5);
  const withVcpu = rng.chance(0.3);
  const control = rng.chance(0.8); // a few traces without any control lines
  const manyReasons = rng.chance(0.2); // more than 32 distinct [PAGE_FAULT] reasons
  const faultRate = manyReasons ? 0.08 : 0.01;
  if (rng.chance(0.5)) {
    w.line(`[CR3] 0x${hex(rng.pick(spaces), rng)}`);
    if (rng.chance(0.3)) w.line(`[CR3] 0x${hex(rng.pick(spaces), rng)}`);
  }
  let current = spaces[0];
  for (let n = 0; n < lines; n++) {
    if (w.wantBad()) {
      w.line(badMemLine(w, sizeShift));
      continue;
    }
    if (control && rng.chance(faultRate)) {
      w.line(`[PAGE_FAULT] VA=0x${hex(w.address(), rng)}${pageFaultTail(rng, manyReasons)}`);
      continue;
    }
    if (control && rng.chance(0.04)) {
      switch (rng.int(0, 3)) {
        case 0:
        case 1: // switches, and now and then the same CR3 again
          if (rng.chance(0.7)) current = rng.pick(spaces);
          w.line(`[CR3] 0x${hex(current, rng)}`);
          break;
        case 2:
          w.line(`[INVLPG] VA=0x${hex(w.address(), rng)}`);
          break;
        default:
          w.line('[TLB_FLUSH]');
      }
      continue;
    }
    const type = pickOp(rng, mix, ['READ', 'WRITE', 'FETCH'] as const);
    let size: number;
    if (type === 'FETCH') size = rng.chance(0.05) ? 0 : rng.int(1, 15);
    else if (sizeShift) size = rng.int(0, 4);
    else size = rng.chance(0.05) ? 0 : rng.pick([1, 2, 4, 8, 16, 3, 10]);
    let line = `[MEM] VA=0x${hex(w.address(), rng)}, size=${size}, type=${type}`;
    // Never PA=0x0: a physical address of 0 only means "none" in memcsv.
    if (withPa && rng.chance(0.95)) line += `, PA=0x${hex(physicalAddress(rng), rng)}`;
    if (withVcpu) line += `, vcpu=${rng.int(0, 3)}`;
    if (rng.chance(0.02)) line += `, insn=0x${hex(rng.bits(32), rng)}`;
    w.line(line);
  }
}

function badMemLine(w: TraceWriter, sizeShift: boolean): string {
  const rng = w.rng;
  const va = hex(w.address(), rng);
  switch (rng.int(0, 11)) {
    case 0:
      return `[MEM] VA=0x${va}g, size=4, type=READ`; // bad hex
    case 1:
      return `[MEM] VA=0x${va}, type=WRITE`; // missing field
    case 2:
      return sizeShift
        ? `[MEM] VA=0x${va}, size=${rng.int(13, 40)}, type=READ` // shift too large
        : `[MEM] VA=0x${va}, size=${rng.int(4097, 99999)}, type=WRITE`;
    case 3:
      return `[MEM] VA=0x${va}, size=4, type=MODIFY`; // unknown type
    case 4:
      return `[MEM] VA=0x1${'0'.repeat(16)}, size=4, type=READ`; // 17 hex digits
    case 5:
      return `[MEM] VA=0x${va}, size=4, type=READ, PA=0xzz`;
    case 6:
      return `[MEM] VA=0x${va}, size=4, type=READ, vcpu=one`;
    case 7:
      return '[CR3]';
    case 8:
      return `[FOO] VA=0x${va}`;
    case 9:
      return `[MEM] VA=0x${va}, size=${rng.int(4097, 99999)}, type=FETCH`;
    case 10:
      return `[INVLPG] VA=${va}`; // no 0x
    default:
      return `[MEM] VA=0x${va}, size=, type=READ`;
  }
}

/** A guest-physical address, never 0; frames repeat so the histogram has counts above 1. */
function physicalAddress(rng: Rng): bigint {
  const frame = rng.chance(0.7) ? BigInt(rng.int(1, 200)) : rng.bits(rng.int(8, 40)) | 1n;
  return (frame << 12n) | BigInt(rng.int(0, 0xfff));
}

function pickOp<T>(rng: Rng, mix: OpMix, [read, write, fetch]: readonly [T, T, T]): T {
  switch (mix) {
    case 'reads':
      return read;
    case 'writes':
      return write;
    case 'fetches':
      return fetch;
    case 'mixed':
      return rng.pick([read, write, fetch, fetch]);
  }
}

/** For formats without fetches: a `fetches` mix is a mixed one. */
function pickData<T>(rng: Rng, mix: OpMix, [read, write]: readonly [T, T]): T {
  return mix === 'reads' ? read : mix === 'writes' ? write : rng.pick([read, write]);
}

function lackeyTrace(w: TraceWriter, lines: number, mix: OpMix): void {
  const rng = w.rng;
  const pid = rng.int(2, 99999);
  const banner = () => w.line(`==${pid}== ${rng.pick(['Lackey, an example Valgrind tool', 'Command: /bin/true', '', 'Parent PID: 1'])}`);
  for (let i = rng.int(0, 5); i > 0; i--) banner();
  for (let n = 0; n < lines; n++) {
    if (w.wantBad()) {
      w.line(badLackeyLine(w));
      continue;
    }
    if (rng.chance(0.005)) {
      banner();
      continue;
    }
    let op = pickOp(rng, mix, ['L', 'S', 'I'] as const) as 'L' | 'S' | 'I' | 'M';
    if (mix === 'mixed' && rng.chance(0.1)) op = 'M';
    const size = op === 'I' ? rng.int(1, 15) : rng.chance(0.03) ? 0 : rng.pick([1, 2, 4, 8, 16]);
    const addr = hex(w.address(), rng, 8);
    // Lackey's own spacing: "I  addr,size" and " L addr,size".
    w.line(op === 'I' ? `I  ${addr},${size}` : ` ${op} ${addr},${size}`);
  }
  banner();
}

function badLackeyLine(w: TraceWriter): string {
  const rng = w.rng;
  const addr = hex(w.address(), rng, 8);
  switch (rng.int(0, 5)) {
    case 0:
      return ` X ${addr},4`; // unknown type
    case 1:
      return ` L ${addr}q,4`; // bad hex
    case 2:
      return ` S ${addr}`; // missing size
    case 3:
      return ` L ${addr},${rng.int(4097, 99999)}`; // size too large
    case 4:
      return ` M 0x${addr},4`; // lackey prints no 0x
    default:
      return `I  ,3`;
  }
}

const DISASM = [
  'movq %rsp, %rdi',
  'pushq %rbp',
  'callq 0x4002826770',
  'movl $0x22, (%rax)',
  'leaq -0x1b778(%rip), %rsi',
  'nop',
  'movb $0x22, %al /* "quoted", with commas */',
  'rep movsb (%rsi), (%rdi)',
];
const REGIONS = ['RAM', 'RAM', 'RAM', 'pc-bios', 'ioapic', 'pci-conf-data', 'hpet'];

function execlogTrace(w: TraceWriter, lines: number, mix: OpMix): void {
  const rng = w.rng;
  const system = rng.chance(0.3); // QEMU system mode: guest-physical loads/stores
  const cpus = rng.int(1, 2);
  for (let n = 0; n < lines; n++) {
    if (w.wantBad()) {
      w.line(badExeclogLine(w));
      continue;
    }
    let line = `${rng.int(0, cpus - 1)}, 0x${hex(w.address(), rng)}, 0x${hex(rng.bits(32), rng)}, "${rng.pick(DISASM)}"`;
    const count = mix === 'fetches' ? 0 : rng.pick([0, 0, 0, 1, 1, 2, 3, 4]);
    for (let i = 0; i < count; i++) {
      const kind = mix === 'reads' ? 'load' : mix === 'writes' ? 'store' : rng.pick(['load', 'store']);
      line += `, ${kind}, 0x${hex(w.address(), rng)}`;
      if (system && rng.chance(0.9)) line += `, ${rng.pick(REGIONS)}`;
    }
    w.line(line);
  }
}

function badExeclogLine(w: TraceWriter): string {
  const rng = w.rng;
  const pc = hex(w.address(), rng);
  switch (rng.int(0, 5)) {
    case 0:
      return `0, 0x${pc}, 0x90, "nop`; // no closing quote
    case 1:
      return `0, 0x${pc}x, 0x90, "nop"`; // bad hex
    case 2:
      return `0, 0x${pc}, 0x90, "nop", load, 0xqq`;
    case 3:
      return `0, 0x${pc}, 0x90, "nop", fetch, 0x${pc}`; // not load/store
    case 4:
      return `0, 0x${pc}, 0x90, "nop", store`; // missing address
    default:
      return `0x${pc}, 0x90, "nop"`; // missing cpu
  }
}

const MEMCSV_HEADER = 'insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value';
// Symbols are anything, commas included (even what looks like the last fields).
const SYMBOLS = ['', '', '', '', 'main', '_start', 'memcpy', 'std::map<int, int>::find', 'operator,', 'a,,b', '"quoted, symbol"', ' spaced ', 'f,0x1,0x2,8,load,v'];
const BITS = [8, 16, 32, 32, 32, 64, 64, 128, 256, 512];

function memcsvTrace(w: TraceWriter, lines: number, mix: OpMix): void {
  const rng = w.rng;
  const system = rng.chance(0.6); // mem_hwaddr given (else 0, as in user mode)
  if (rng.chance(0.9)) w.line(MEMCSV_HEADER);
  for (let n = 0; n < lines; n++) {
    if (w.wantBad()) {
      w.line(badMemcsvLine(w));
      continue;
    }
    if (rng.chance(0.005)) {
      w.line(MEMCSV_HEADER); // skipped wherever it appears
      continue;
    }
    const type = pickData(rng, mix, ['load', 'store'] as const);
    const bits = rng.chance(0.01) ? 32768 : rng.chance(0.02) ? 8 * rng.int(1, 4096) : rng.pick(BITS);
    const va = w.address();
    let hw = 0n;
    if (system && rng.chance(0.95)) hw = rng.chance(0.5) ? va : physicalAddress(rng);
    const hwText = hw === 0n && rng.chance(0.3) ? '0'.repeat(16) : hex(hw, rng);
    const valueDigits = Math.min(bits, 64) / 4;
    const value = rng.chance(0.1) ? '' : `0x${hex(rng.bits(valueDigits * 4), rng, valueDigits)}`;
    const insn = hex(rng.bits(rng.int(20, 48)), rng);
    w.line(`0x${insn},${rng.pick(SYMBOLS)},0x${hex(va, rng)},0x${hwText},${bits},${type},${value}`);
  }
}

function badMemcsvLine(w: TraceWriter): string {
  const rng = w.rng;
  const va = hex(w.address(), rng);
  switch (rng.int(0, 10)) {
    case 0:
      return `0xfe05b,,0x${va},0x${va},${rng.pick([1, 4, 12, 20, 33, 65, 4095])},load,0x0`; // not whole bytes
    case 1:
      return `0xfe05b,main,0x${va},0x0,0,store,0x0`; // zero bits
    case 2:
      return `0xfe05b,,0x${va},0x0,${8 * rng.int(4097, 10000)},load,0x0`; // above 4096 bytes
    case 3:
      return `0xfe05b,,0x${va},0x0,32,${rng.pick(['fetch', 'LOAD', 'read', ''])},0x0`;
    case 4:
      return `0xfe05b,,${va},0x0,32,load,0x0`; // no 0x
    case 5:
      return `0x${va},32,load,0x0`; // too few fields
    case 6:
      return `0xfe05b,,0x${va},0x12g4,32,store,0x0`; // bad hex
    case 7:
      return `0xfe05b,,0x1${'0'.repeat(16)},0x0,32,load,0x0`; // 17 hex digits
    case 8:
      return `fe05b,,0x${va},0x0,32,load,0x0`; // insn_vaddr without 0x
    case 9:
      return 'insn_vaddr,insn_symbol,mem_vaddr'; // a truncated header
    default:
      return `0xfe05b;;0x${va};0x0;32;load;0x0`;
  }
}

function dinTrace(w: TraceWriter, lines: number, mix: OpMix): void {
  const rng = w.rng;
  for (let n = 0; n < lines; n++) {
    if (w.wantBad()) {
      w.line(badDinLine(w));
      continue;
    }
    const address = () => (rng.chance(0.3) ? '0x' : '') + hex(w.address(), rng);
    const blanks = () => rng.pick([' ', ' ', ' ', '\t', '  ', ' \t']);
    if (rng.chance(0.03)) {
      // Dinero's unknown access (3) and cache flush (4): ignored lines.
      const label = rng.pick([3, 4]);
      w.line(`${label}${blanks()}${label === 4 && rng.chance(0.5) ? '0' : address()}`);
      continue;
    }
    const label = pickOp(rng, mix, [0, 1, 2] as const);
    const more = rng.chance(0.05) ? blanks() + rng.pick(['4', '8 extra', '0 0', 'x']) : '';
    w.line(`${label}${blanks()}${address()}${more}`);
  }
}

function badDinLine(w: TraceWriter): string {
  const rng = w.rng;
  const addr = hex(w.address(), rng);
  switch (rng.int(0, 9)) {
    case 0:
      return `r ${addr}`; // not a number
    case 1:
      return `0 ${addr}g`; // bad hex
    case 2:
      return rng.pick(['0', '1', '2']); // no address
    case 3:
      return `1,${addr}`;
    case 4:
      return '0 0x';
    case 5:
      return `2 1${'0'.repeat(16)}`; // 17 hex digits
    case 6:
      return `12345678901 ${addr}`; // 11-digit label
    case 7:
      return `-1 ${addr}`;
    case 8:
      return `0x0 ${addr}`; // a hex label
    default:
      return `0 zz`;
  }
}

function pinTrace(w: TraceWriter, lines: number, mix: OpMix): void {
  const rng = w.rng;
  if (rng.chance(0.3)) w.line('# pinatrace of a test run');
  for (let n = 0; n < lines; n++) {
    if (w.wantBad()) {
      w.line(badPinLine(w));
      continue;
    }
    if (rng.chance(0.005)) {
      w.line(rng.pick(['#', '# comment, with: R 0x1000', '#eof']));
      continue;
    }
    const type = pickData(rng, mix, ['R', 'W'] as const);
    const size = rng.chance(0.4) ? '' : ` ${rng.chance(0.02) ? rng.pick([0, 4096, 4095]) : rng.pick([1, 2, 4, 8, 16, 32, 64])}`;
    w.line(`0x${hex(rng.bits(rng.int(20, 48)), rng)}: ${type} 0x${hex(w.address(), rng)}${size}`);
  }
  if (rng.chance(0.8)) w.line('#eof');
}

function badPinLine(w: TraceWriter): string {
  const rng = w.rng;
  const ip = hex(rng.bits(40), rng);
  const addr = hex(w.address(), rng);
  switch (rng.int(0, 8)) {
    case 0:
      return `0x${ip}: X 0x${addr}`; // unknown type
    case 1:
      return `0x${ip} R 0x${addr}`; // no colon
    case 2:
      return `${ip}: R 0x${addr}`; // ip without 0x
    case 3:
      return `0x${ip}: W ${addr}`; // address without 0x
    case 4:
      return `0x${ip}: R 0x${addr} ${rng.int(4097, 99999)}`; // size above 4096
    case 5:
      return `0x${ip}: W 0x${addr} 12345678901`; // 11-digit size
    case 6:
      return `0x${ip}: R 0x`;
    case 7:
      return `0x${ip}: r 0x${addr}`; // lower-case type
    default:
      return `0x${ip}: R 0x${addr} 0x8`; // hex size
  }
}

export function randomTrace(seed: number, opts: TraceOptions = {}): GeneratedTrace {
  const rng = new Rng(seed);
  const format = opts.format ?? rng.pick(TEXT_FORMATS);
  const sizeShift = format === 'mem' && (opts.sizeShift ?? rng.chance(0.4));
  const lines = opts.lines ?? rng.int(20, 2000);
  const mix = opts.opMix ?? rng.pick(['reads', 'writes', 'fetches', 'mixed', 'mixed', 'mixed'] as const);
  // Drawn apart from the trace's generator, so that the traces that are not
  // low stay what they were before the 32-bit paging modes.
  const low = opts.lowAddresses ?? new Rng(seed ^ 0x2545f491).chance(0.3);
  const w = new TraceWriter(rng, opts.badRate ?? (rng.chance(0.7) ? 0.02 : 0), low);
  switch (format) {
    case 'mem':
      memTrace(w, lines, mix, sizeShift);
      break;
    case 'lackey':
      lackeyTrace(w, lines, mix);
      break;
    case 'execlog':
      execlogTrace(w, lines, mix);
      break;
    case 'memcsv':
      memcsvTrace(w, lines, mix);
      break;
    case 'din':
      dinTrace(w, lines, mix);
      break;
    case 'pin':
      pinTrace(w, lines, mix);
      break;
    case 'tlbt':
      throw new Error('randomTrace writes text formats only');
  }
  return { text: w.text(), format, sizeShift };
}

// Geometries chosen to hit the corners: direct mapped, fully associative,
// set counts that are not powers of two, and the realistic defaults.
const GEOMETRIES: readonly Geometry[] = [
  { entries: 1, ways: 1 },
  { entries: 4, ways: 1 },
  { entries: 8, ways: 1 },
  { entries: 4, ways: 4 },
  { entries: 8, ways: 8 },
  { entries: 16, ways: 16 },
  { entries: 32, ways: 32 },
  { entries: 6, ways: 2 },
  { entries: 32, ways: 2 },
  { entries: 12, ways: 4 },
  { entries: 24, ways: 3 },
  { entries: 20, ways: 5 },
  { entries: 16, ways: 4 },
  { entries: 64, ways: 4 },
  { entries: 64, ways: 8 },
  { entries: 128, ways: 8 },
  { entries: 48, ways: 12 },
  { entries: 96, ways: 6 },
  { entries: 1536, ways: 12 },
];

/** plru needs a power-of-two number of ways. */
const PLRU_GEOMETRIES = GEOMETRIES.filter((g) => (g.ways & (g.ways - 1)) === 0);

/** Mostly x86-64 (often left to the default), 15% each of the other modes; undefined: the default. */
function pagingMode(rng: Rng): PagingMode | undefined {
  const r = rng.next();
  if (r < 0.15) return 'x86-32';
  if (r < 0.3) return 'pae';
  if (r < 0.45) return 'la57';
  if (r < 0.6) return 'x86-64';
  return undefined;
}

export interface MachineOptions {
  /**
   * Also draw the page size, frame limit, eviction policy and allocator
   * (docs/metrics.md: Huge pages, Physical memory and eviction, Frame
   * allocation). Off by default while the WASM core does not model them, so
   * that every engine can replay the default machines; the other fields do
   * not depend on it.
   */
  mmu?: boolean;
  /** With `mmu`: size a frame limit from what this trace needs (see drawMemory); without, limits are drawn blind and evict on fewer traces. */
  trace?: GeneratedTrace;
}

/** A machine drawn from the seed (and, with `mmu`, from the trace it will replay). */
export function randomMachine(seed: number, { mmu = false, trace }: MachineOptions = {}): MachineConfig {
  const rng = new Rng(seed ^ 0x5bd1e995);
  // Some machines keep to the policies QEMU's cache plugin has.
  const policies: readonly Policy[] = rng.chance(0.3) ? ['lru', 'fifo'] : POLICIES;
  const policy = rng.pick(policies);
  const levelPolicies: Partial<Record<TlbLevel, Policy>> = {};
  for (const level of ['l1d', 'l1i', 'l2'] as const) {
    if (rng.chance(0.3)) levelPolicies[level] = rng.pick(policies);
  }
  const geometry = (level: TlbLevel) => rng.pick((levelPolicies[level] ?? policy) === 'plru' ? PLRU_GEOMETRIES : GEOMETRIES);
  const machine: MachineConfig = {
    l1d: geometry('l1d'),
    l1i: geometry('l1i'),
    // With no L2, an l2 override (if any) is left in: it must change nothing.
    l2: rng.chance(0.3) ? null : geometry('l2'),
    policy,
    pcid: rng.chance(0.5),
  };
  if (Object.keys(levelPolicies).length > 0) machine.levelPolicies = levelPolicies;
  // An unsigned 32-bit seed, or none (the default, 1).
  if (rng.chance(0.7)) machine.seed = rng.chance(0.1) ? rng.pick([0, 0xffffffff]) : rng.int(0, 0xffffffff);
  // Drawn last, so the fields above are what they were before paging modes.
  const paging = pagingMode(rng);
  if (paging) machine.paging = paging;
  // Drawn after the paging mode, for the same reason.
  const pwc = pwcSizes(rng);
  if (pwc) machine.pwc = pwc;
  // Drawn after the page-walk caches, for the same reason.
  if (mmu) drawMemory(rng, machine, trace && (() => frameNeeds(trace, machine)));
  return machine;
}

/**
 * Page size, frame limit, eviction policy and allocator. Huge pages about 1
 * machine in 6 (then neither a limit nor shuffling: a usage error). A frame
 * limit about 4 in 10 of the others; the shuffled allocator about 1 in 4,
 * with or without a limit. Sized from the trace's needs when known (page
 * tables T and data pages D without a limit): about 1 limit in 8 at most T
 * frames, so that the replay stops because the page tables alone need more
 * (both engines must); most at T plus a fraction of D, so that pages are
 * evicted and come back; the rest at T + D or more, so that nothing or
 * little is evicted. Blind, from a few frames to a few hundred. Every draw
 * is made whatever the trace, so the machine's other fields do not depend on it.
 */
function drawMemory(rng: Rng, machine: MachineConfig, needs?: () => { tables: number; data: number }): void {
  const sizes = MODE_PAGE_SIZES[machine.paging ?? 'x86-64'];
  if (rng.chance(0.16)) {
    machine.pageSize = rng.pick(sizes.filter((size) => size !== '4K'));
    return;
  }
  if (rng.chance(0.1)) machine.pageSize = '4K';
  if (rng.chance(0.4)) {
    const r = rng.next();
    const fraction = 0.05 + 0.85 * rng.next();
    const spare = rng.int(0, 20);
    const blind = rng.chance(0.5) ? rng.int(1, 40) : rng.int(40, 400);
    // Undefined: the default, lru.
    const evict = rng.pick([undefined, ...EVICTION_POLICIES]);
    const need = needs?.();
    if (!need || need.tables === 0) machine.frames = blind;
    else if (r < 0.12) machine.frames = Math.max(1, need.tables - spare);
    else if (r < 0.85) machine.frames = need.tables + Math.max(1, Math.floor(need.data * fraction));
    else machine.frames = need.tables + need.data + spare;
    if (evict) machine.evict = evict;
  }
  if (rng.chance(0.25)) machine.alloc = 'shuffled';
  else if (rng.chance(0.1)) machine.alloc = 'sequential';
}

/** Page-table and data frames `trace` takes on `machine` without a frame limit. */
function frameNeeds(trace: GeneratedTrace, machine: MachineConfig): { tables: number; data: number } {
  const { frames } = referenceReplay(trace.text, trace, { ...machine, frames: undefined });
  return { tables: frames.pageTable, data: frames.used - frames.pageTable };
}

/** A replay's result, or the error that stopped it (e.g. a frame limit the page tables alone exceed). */
export type Outcome<T> = { ok: T } | { error: string };

/**
 * Runs one engine and keeps its result or its error's message, so that two
 * engines can be compared when both stop: a trace whose page tables need
 * more frames than the limit stops both (docs/metrics.md, Physical memory).
 */
export async function outcome<T>(run: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await run() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Page-walk caches about 4 machines in 10: ChampSim's sizes a quarter of
 * those times, otherwise small sizes (0..6, often 1 or 2 so that entries get
 * evicted) with some levels left out (0 entries). Levels the paging mode
 * lacks may be set too: they must change nothing. undefined: no caches.
 */
function pwcSizes(rng: Rng): Partial<Record<PwcLevel, number>> | undefined {
  if (!rng.chance(0.4)) return undefined;
  if (rng.chance(0.25)) return { ...DEFAULT_PWC };
  const sizes: Partial<Record<PwcLevel, number>> = {};
  for (const level of PWC_LEVELS) {
    if (rng.chance(0.2)) continue;
    sizes[level] = rng.chance(0.4) ? rng.int(1, 2) : rng.int(0, 6);
  }
  return sizes;
}
