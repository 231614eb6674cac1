// Seeded random traces and machines for property tests (WASM core vs
// reference). Everything here is a pure function of the seed, so a failing
// seed can be replayed and shrunk by hand.
//
// Valid lines follow the grammar of docs/metrics.md literally; malformed lines
// are malformed beyond doubt (no line depends on an unspecified corner of the
// grammar), so both engines must classify every line the same way.

import type { Format, Geometry, MachineConfig, Policy } from '../src/model.js';

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
}

export interface GeneratedTrace {
  text: string;
  format: Format;
  sizeShift: boolean;
}

const U64 = (1n << 64n) - 1n;
const FORMATS: readonly Format[] = ['mem', 'lackey', 'execlog'];

/** 64 pages below the end of the canonical user half (0x0000_7fff_ffff_ffff). */
const TOP_OF_USER = (1n << 35n) - 64n;

/** Address-space layout of one generated trace: clusters of pages. */
class PagePool {
  readonly pages: bigint[] = [];
  private readonly recent: bigint[] = [];

  constructor(private readonly rng: Rng) {
    const size = rng.int(4, 300);
    const clusters = rng.int(1, 6);
    const bases = Array.from({ length: clusters }, () => this.clusterBase());
    for (let i = 0; i < size; i++) {
      const base = rng.pick(bases);
      // Mostly dense runs of pages (stacks, heaps, text), some scattered ones,
      // so that a page's neighbours share PTs and sets fill unevenly. Past the
      // top of the user half everything is non-canonical: stay dense there so
      // that non-canonical pages remain rare.
      const dense = base === TOP_OF_USER || rng.chance(0.8);
      const offset = dense ? BigInt(rng.int(0, 63)) : BigInt(rng.int(0, 1 << 20));
      this.pages.push((base + offset) & ((1n << 52n) - 1n));
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

  constructor(readonly rng: Rng, badRate: number) {
    this.pool = new PagePool(rng);
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
  ' | Reason: Page Not Present (Write)',
  ' | Reason: Page Not Present (Read)',
  ' | Reason: Protection Violation (Write)',
  '',
];

function memTrace(w: TraceWriter, lines: number, mix: OpMix, sizeShift: boolean): void {
  const rng = w.rng;
  const spaces = Array.from({ length: rng.int(1, 5) }, (_, i) => BigInt(0x1000 * (i + 1)) | (rng.bits(20) << 12n));
  const withPa = rng.chance(0.5);
  const withVcpu = rng.chance(0.3);
  const control = rng.chance(0.8); // a few traces without any control lines
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
    if (control && rng.chance(0.06)) {
      switch (rng.int(0, 5)) {
        case 0:
        case 1: // switches, and now and then the same CR3 again
          if (rng.chance(0.7)) current = rng.pick(spaces);
          w.line(`[CR3] 0x${hex(current, rng)}`);
          break;
        case 2:
          w.line(`[INVLPG] VA=0x${hex(w.address(), rng)}`);
          break;
        case 3:
          w.line('[TLB_FLUSH]');
          break;
        default:
          w.line(`[PAGE_FAULT] VA=0x${hex(w.address(), rng)}${rng.pick(PAGE_FAULT_REASONS)}`);
      }
      continue;
    }
    const type = pickOp(rng, mix, ['READ', 'WRITE', 'FETCH'] as const);
    let size: number;
    if (type === 'FETCH') size = rng.chance(0.05) ? 0 : rng.int(1, 15);
    else if (sizeShift) size = rng.int(0, 4);
    else size = rng.chance(0.05) ? 0 : rng.pick([1, 2, 4, 8, 16, 3, 10]);
    let line = `[MEM] VA=0x${hex(w.address(), rng)}, size=${size}, type=${type}`;
    if (withPa && rng.chance(0.95)) line += `, PA=0x${hex(rng.bits(rng.int(20, 40)), rng)}`;
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

export function randomTrace(seed: number, opts: TraceOptions = {}): GeneratedTrace {
  const rng = new Rng(seed);
  const format = opts.format ?? rng.pick(FORMATS);
  const sizeShift = format === 'mem' && (opts.sizeShift ?? rng.chance(0.4));
  const lines = opts.lines ?? rng.int(20, 2000);
  const mix = opts.opMix ?? rng.pick(['reads', 'writes', 'fetches', 'mixed', 'mixed', 'mixed'] as const);
  const w = new TraceWriter(rng, opts.badRate ?? (rng.chance(0.7) ? 0.02 : 0));
  if (format === 'mem') memTrace(w, lines, mix, sizeShift);
  else if (format === 'lackey') lackeyTrace(w, lines, mix);
  else execlogTrace(w, lines, mix);
  return { text: w.text(), format, sizeShift };
}

// Geometries chosen to hit the corners: direct mapped, fully associative,
// set counts that are not powers of two, and the realistic defaults.
const GEOMETRIES: readonly Geometry[] = [
  { entries: 1, ways: 1 },
  { entries: 4, ways: 1 },
  { entries: 8, ways: 1 },
  { entries: 4, ways: 4 },
  { entries: 16, ways: 16 },
  { entries: 32, ways: 32 },
  { entries: 6, ways: 2 },
  { entries: 12, ways: 4 },
  { entries: 24, ways: 3 },
  { entries: 20, ways: 5 },
  { entries: 16, ways: 4 },
  { entries: 64, ways: 4 },
  { entries: 128, ways: 8 },
  { entries: 48, ways: 12 },
  { entries: 96, ways: 6 },
  { entries: 1536, ways: 12 },
];

export function randomMachine(seed: number): MachineConfig {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const policy: Policy = rng.pick(['lru', 'fifo'] as const);
  return {
    l1d: rng.pick(GEOMETRIES),
    l1i: rng.pick(GEOMETRIES),
    l2: rng.chance(0.3) ? null : rng.pick(GEOMETRIES),
    policy,
    pcid: rng.chance(0.5),
  };
}
