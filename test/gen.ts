// Seeded random traces and machines for property tests (WASM core vs
// reference). Everything here is a pure function of the seed, so a failing
// seed can be replayed and shrunk by hand.
//
// Valid lines follow the grammar of docs/formats.md literally; malformed lines
// are malformed beyond doubt (no line depends on an unspecified corner of the
// grammar), so both engines must classify every line the same way.

import {
  DEFAULT_MACHINE,
  DEFAULT_PWC,
  EVICTION_POLICIES,
  MODE_PAGE_SIZES,
  PAGE_SHIFTS,
  POLICIES,
  PWC_LEVELS,
  TEXT_FORMATS,
  type Format,
  type Geometry,
  type MachineConfig,
  type PageSize,
  type PagingMode,
  type Policy,
  type PwcLevel,
  type Region,
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
  /**
   * Lay addresses out for a kernel half (docs/metrics.md, Kernel layouts):
   * user and kernel pages, user- and kernel-mode stretches of fetches, and
   * in the mem dialect CPUs on control lines too. null: none. Default:
   * about 1 trace in 4 (none of those laid out low, none when
   * `lowAddresses` is given), linux or pintos.
   */
  kernel?: KernelHint | null;
}

export type KernelHint = 'linux' | 'pintos';

export interface GeneratedTrace {
  /** One character per byte (latin1), as the engines read it. */
  text: string;
  format: Format;
  sizeShift: boolean;
  /** The kernel half its addresses were laid out for, if any (a pintos trace keeps every address low enough for PintOS's linear map). */
  kernel?: KernelHint;
  /** The user-half pages (VPNs) it draws from: what random region maps cover. */
  userPages: bigint[];
  /** The CR3 values it names (mem dialect). */
  spaces: bigint[];
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

  /**
   * `low`: most clusters below 4 GiB (a few still anywhere). `bases`: the
   * clusters to use instead of drawing them (a kernel trace's user or kernel
   * pages).
   */
  constructor(private readonly rng: Rng, low: boolean, bases?: bigint[]) {
    const size = rng.int(4, 300);
    const clusters = rng.int(1, 6);
    bases ??= Array.from({ length: clusters }, () => (low && rng.chance(0.85) ? this.lowClusterBase() : this.clusterBase()));
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

/**
 * Cluster bases (VPNs) of a kernel trace's kernel half. Linux: the direct
 * map (low physical addresses), the kernel image around its default text
 * 0xffffffff81000000-0xffffffff82000000 (both edges), vmalloc space (not
 * linear: the kernel table faults), the LA57 direct map (non-canonical in
 * x86-64) and the very top. PintOS: KERN_BASE 0x8004000000 up (all linear),
 * its text at 0x8004200000, and just below KERN_BASE (user pages a crossing
 * leaves for the kernel half). Physical offsets stay below 1 GiB: the core
 * counts per PFN in a dense array.
 */
function kernelBases(rng: Rng, hint: KernelHint): bigint[] {
  const linux = () => {
    switch (rng.int(0, 7)) {
      case 0:
      case 1: // direct map
        return 0xffff888000000n + rng.bits(18);
      case 2: // kernel text, its start and end
        return rng.pick([0xffffffff81000000n >> 12n, (0xffffffff82000000n >> 12n) - 32n]) + BigInt(rng.int(0, 31));
      case 3: // the image around the text
        return 0xffffffff80000000n >> 12n | rng.bits(18);
      case 4:
      case 5: // vmalloc space
        return 0xffffc90000000n + rng.bits(16);
      case 6: // la57's direct map
        return 0xff11000000000n + rng.bits(16);
      default: // top of the address space
        return (1n << 52n) - 64n;
    }
  };
  const pintos = () => {
    switch (rng.int(0, 3)) {
      case 0:
      case 1: // KERN_BASE up
        return 0x8004000n + rng.bits(18);
      case 2: // kernel text
        return 0x8004200n + rng.bits(8);
      default: // just below KERN_BASE: crossings enter the kernel half
        return 0x8004000n - 32n;
    }
  };
  return Array.from({ length: rng.int(1, 4) }, hint === 'linux' ? linux : pintos);
}

/** Cluster bases of a kernel trace's user half: PintOS's user pages stay below KERN_BASE. */
function userBases(rng: Rng, hint: KernelHint): bigint[] {
  const pintos = () => rng.pick([0x400n, 0x47480n - 64n, 0x10000n, 0x7fff000n]) + rng.bits(6);
  const linux = () => rng.pick([0x400n, 0x7ffd0000n, 0x7f0000000n, 0x555555554n, TOP_OF_USER]) + rng.bits(8);
  return Array.from({ length: rng.int(1, 4) }, hint === 'linux' ? linux : pintos);
}

function hex(value: bigint, rng: Rng, minDigits = 1): string {
  const digits = value.toString(16).padStart(minDigits, '0');
  // Both cases are valid hex; mixing them exercises the decoders.
  return rng.chance(0.1) ? digits.toUpperCase() : digits;
}

class TraceWriter {
  readonly pool: PagePool;
  /** A kernel trace's kernel pages (its `pool` then holds the user pages). */
  private readonly kernelPool: PagePool | null = null;
  /** A kernel trace: whether the running code is the kernel's (its fetches are kernel-half addresses). */
  private kernelMode = false;
  private readonly out: string[] = [];
  private readonly badRate: number;

  constructor(readonly rng: Rng, badRate: number, lowAddresses: boolean, readonly kernel?: KernelHint) {
    if (kernel) {
      this.pool = new PagePool(rng, false, userBases(rng, kernel));
      this.kernelPool = new PagePool(rng, false, kernelBases(rng, kernel));
      this.kernelMode = rng.chance(0.5);
    } else {
      this.pool = new PagePool(rng, lowAddresses);
    }
    this.badRate = badRate;
  }

  /**
   * Any address in a pool page, often near its end so that accesses cross.
   * In a kernel trace, `op` (the access's kind: fetch, read, write) chooses
   * the half: fetches follow the running mode, which changes now and then;
   * data mostly too, but kernel code touches user pages and now and then
   * user code touches kernel pages.
   */
  address(op?: 'X' | 'R' | 'W'): bigint {
    const rng = this.rng;
    if (rng.chance(0.01)) {
      // Non-canonical: bits 63..47 not all equal.
      return ((BigInt(rng.int(1, 0x7ffe)) << 48n) | rng.bits(48)) & U64;
    }
    const offset = rng.chance(0.15) ? rng.int(0xff0, 0xfff) : rng.int(0, 0xfff);
    let pool = this.pool;
    if (this.kernelPool) {
      if (rng.chance(0.04)) this.kernelMode = !this.kernelMode;
      const kernelPage = op === 'X' ? this.kernelMode : this.kernelMode ? rng.chance(0.7) : rng.chance(0.05);
      if (kernelPage) pool = this.kernelPool;
    }
    return (pool.page() << 12n) | BigInt(offset);
  }

  /** A CPU number for a `vcpu=` or an execlog line: the trace's CPUs (numbers below 64), often CPU 0. */
  cpu(cpus: readonly number[]): number {
    return this.rng.chance(0.3) ? cpus[0] : this.rng.pick(cpus);
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

/** The CPUs of a trace (numbers below 64, CPU 0 first): sometimes CPU 0 alone, sometimes sparse. */
function cpuList(rng: Rng): number[] {
  switch (rng.int(0, 4)) {
    case 0:
      return [0];
    case 1:
      return [0, 1];
    case 2:
      return [0, 1, 2, 3];
    case 3:
      return [0, rng.int(2, 62), 63];
    default:
      return Array.from({ length: 8 }, (_, i) => i);
  }
}

function memTrace(w: TraceWriter, lines: number, mix: OpMix, sizeShift: boolean): bigint[] {
  const rng = w.rng;
  const spaces = Array.from({ length: rng.int(1, 5) }, (_, i) => BigInt(0x1000 * (i + 1)) | (rng.bits(20) << 12n));
  const withPa = rng.chance(0.5);
  const withVcpu = rng.chance(0.3);
  const cpus = withVcpu ? cpuList(rng) : [0];
  // The CPU a control line names, when it names one: `, vcpu=N` (`[TLB_FLUSH] vcpu=N`).
  const onCpu = (lead: string) => (withVcpu && rng.chance(0.6) ? `${lead}vcpu=${w.cpu(cpus)}` : '');
  const control = rng.chance(0.8); // a few traces without any control lines
  const manyReasons = rng.chance(0.2); // more than 32 distinct [PAGE_FAULT] reasons
  const faultRate = manyReasons ? 0.08 : 0.01;
  if (rng.chance(0.5)) {
    w.line(`[CR3] 0x${hex(rng.pick(spaces), rng)}${onCpu(', ')}`);
    if (rng.chance(0.3)) w.line(`[CR3] 0x${hex(rng.pick(spaces), rng)}${onCpu(', ')}`);
  }
  let current = spaces[0];
  let lastAccess: string | null = null;
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
          w.line(`[CR3] 0x${hex(current, rng)}${onCpu(', ')}`);
          // The same page again in the new space: under PCID the L1's last entry is the old space's.
          if (lastAccess !== null && rng.chance(0.3)) w.line(lastAccess);
          break;
        case 2:
          w.line(`[INVLPG] VA=0x${hex(w.address(), rng)}${onCpu(', ')}`);
          break;
        default:
          w.line(`[TLB_FLUSH]${onCpu(' ')}`);
      }
      continue;
    }
    const type = pickOp(rng, mix, ['READ', 'WRITE', 'FETCH'] as const);
    let size: number;
    if (type === 'FETCH') size = rng.chance(0.05) ? 0 : rng.int(1, 15);
    else if (sizeShift) size = rng.int(0, 4);
    else size = rng.chance(0.05) ? 0 : rng.pick([1, 2, 4, 8, 16, 3, 10]);
    let line = `[MEM] VA=0x${hex(w.address(type === 'READ' ? 'R' : type === 'WRITE' ? 'W' : 'X'), rng)}, size=${size}, type=${type}`;
    // Never PA=0x0: a physical address of 0 only means "none" in memcsv.
    if (withPa && rng.chance(0.95)) line += `, PA=0x${hex(physicalAddress(rng), rng)}`;
    if (withVcpu) line += `, vcpu=${w.cpu(cpus)}`;
    if (rng.chance(0.02)) line += `, insn=0x${hex(rng.bits(32), rng)}`;
    w.line(line);
    lastAccess = line;
  }
  return spaces;
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
    const addr = hex(w.address(op === 'I' ? 'X' : op === 'S' ? 'W' : 'R'), rng, 8);
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
  const cpus = cpuList(rng);
  for (let n = 0; n < lines; n++) {
    if (w.wantBad()) {
      w.line(badExeclogLine(w));
      continue;
    }
    let line = `${w.cpu(cpus)}, 0x${hex(w.address('X'), rng)}, 0x${hex(rng.bits(32), rng)}, "${rng.pick(DISASM)}"`;
    const count = mix === 'fetches' ? 0 : rng.pick([0, 0, 0, 1, 1, 2, 3, 4]);
    for (let i = 0; i < count; i++) {
      const kind = mix === 'reads' ? 'load' : mix === 'writes' ? 'store' : rng.pick(['load', 'store']);
      line += `, ${kind}, 0x${hex(w.address(kind === 'load' ? 'R' : 'W'), rng)}`;
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
    const va = w.address(type === 'load' ? 'R' : 'W');
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
    const address = (op?: 'X' | 'R' | 'W') => (rng.chance(0.3) ? '0x' : '') + hex(w.address(op), rng);
    const blanks = () => rng.pick([' ', ' ', ' ', '\t', '  ', ' \t']);
    if (rng.chance(0.03)) {
      // Dinero's unknown access (3) and cache flush (4): ignored lines.
      const label = rng.pick([3, 4]);
      w.line(`${label}${blanks()}${label === 4 && rng.chance(0.5) ? '0' : address()}`);
      continue;
    }
    const label = pickOp(rng, mix, [0, 1, 2] as const);
    const more = rng.chance(0.05) ? blanks() + rng.pick(['4', '8 extra', '0 0', 'x']) : '';
    w.line(`${label}${blanks()}${address((['R', 'W', 'X'] as const)[label])}${more}`);
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
    w.line(`0x${hex(rng.bits(rng.int(20, 48)), rng)}: ${type} 0x${hex(w.address(type), rng)}${size}`);
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
  // Drawn apart too, for the same reason.
  const kernelRng = new Rng(seed ^ 0x1b873593);
  // A kernel trace has a 64-bit layout of its own: never when the addresses
  // are asked to be (or drawn) low or not.
  const drawKernel = opts.lowAddresses === undefined && !low && kernelRng.chance(0.35);
  const kernel = opts.kernel === undefined ? (drawKernel ? kernelRng.pick(['linux', 'pintos'] as const) : undefined) : (opts.kernel ?? undefined);
  const w = new TraceWriter(rng, opts.badRate ?? (rng.chance(0.7) ? 0.02 : 0), low, kernel);
  let spaces: bigint[] = [];
  switch (format) {
    case 'mem':
      spaces = memTrace(w, lines, mix, sizeShift);
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
  return { text: w.text(), format, sizeShift, ...(kernel ? { kernel } : {}), userPages: w.pool.pages, spaces };
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
  /**
   * Also draw a kernel layout, kernel text, region maps and KPTI
   * (docs/metrics.md, Kernel layouts, permissions and KPTI), from `trace`'s
   * layout and pages when given: pintos only for a trace laid out for it.
   */
  kernel?: boolean;
}

/** A machine drawn from the seed (and, with `mmu`, from the trace it will replay). */
export function randomMachine(seed: number, { mmu = false, trace, kernel = false }: MachineOptions = {}): MachineConfig {
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
  const sizeFrames = mmu ? drawMemory(rng, machine) : undefined;
  // Drawn after the memory, for the same reason; a frame limit is then sized
  // from what the trace needs on the whole machine.
  if (kernel) drawKernel(rng, machine, trace);
  sizeFrames?.(trace && (() => frameNeeds(trace, machine)));
  // The trace's own frames are counted per PFN in a dense array: keep them
  // to traces whose physical addresses lie below 4 GiB, as a guest's do.
  if (machine.alloc === 'trace' && (!trace || highestTraceFrame(trace) >= 1 << 20)) machine.alloc = 'sequential';
  return machine;
}

/** The highest frame among a trace's own physical addresses (-1 without any). */
function highestTraceFrame(trace: GeneratedTrace): number {
  const { physicalPfn } = referenceReplay(trace.text, trace, { ...DEFAULT_MACHINE, l2: null });
  return physicalPfn.length === 0 ? -1 : physicalPfn[physicalPfn.length - 1][0];
}

const PERMISSIONS = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) => ({ read: !!(bits & 4), write: !!(bits & 2), exec: !!(bits & 1) }));

/**
 * Layout (linux when the paging mode has it and the trace is not laid out
 * for PintOS; pintos for PintOS traces on x86-64 without 1G pages), kernel
 * text (the default, none, or a range of its own), KPTI (linux only), and
 * region maps over the trace's user pages: runs of pages with gaps between
 * them, edges now and then inside a page, every permission mix; a map for
 * some named spaces, for the unnamed start space (0x0) and for every other.
 */
function drawKernel(rng: Rng, machine: MachineConfig, trace?: GeneratedTrace): void {
  const paging = machine.paging ?? 'x86-64';
  if (rng.chance(0.8)) {
    if (trace?.kernel === 'pintos') {
      if (paging === 'x86-64' && machine.pageSize !== '1G') machine.layout = 'pintos';
    } else if (paging === 'x86-64' || paging === 'la57') {
      machine.layout = 'linux';
    }
  }
  const r = rng.next();
  const textStart = BigInt(rng.int(0, 0x3ff)) << 12n;
  const textLength = BigInt(rng.int(1, 0x200)) << BigInt(rng.pick([0, 12]));
  if (machine.layout === 'linux') {
    if (r < 0.15) machine.kernelText = null;
    else if (r < 0.3) machine.kernelText = { start: 0xffffffff81000000n + textStart, end: 0xffffffff81000000n + textStart + textLength };
  } else if (machine.layout === 'pintos' && r < 0.6) {
    machine.kernelText = { start: 0x8004200000n + textStart, end: 0x8004200000n + textStart + textLength };
  }
  // Not with opt: the core's OPT tells a user page's kernel-mode translations
  // from its user-mode ones (see core.test.ts, known disagreements).
  if (rng.chance(0.45) && machine.layout === 'linux') machine.kpti = true;
  if (!rng.chance(0.4)) return;
  const regions = () => randomRegions(rng, trace?.userPages ?? []);
  const maps: NonNullable<MachineConfig['maps']> = [];
  for (const cr3 of trace?.spaces ?? []) if (rng.chance(0.5)) maps.push({ cr3, regions: regions() });
  if (rng.chance(0.3)) maps.push({ cr3: 0n, regions: regions() });
  if (maps.length === 0 || rng.chance(0.5)) maps.push({ cr3: null, regions: regions() });
  machine.maps = maps;
  // Huge regions only where docs/metrics.md allows them: 4 KiB pages elsewhere,
  // no frame limit, the sequential allocator.
  const plain = machine.pageSize === undefined && machine.frames === undefined && (machine.alloc ?? 'sequential') === 'sequential';
  const hugeSizes = plain ? MODE_PAGE_SIZES[paging].filter((size) => size !== '4K') : [];
  if (hugeSizes.length > 0 && rng.chance(0.8)) {
    for (const map of maps) map.regions = withHugeRegions(rng, map.regions, hugeSizes);
  }
}

/**
 * Some regions widened to a huge page size's alignment and mapped at it
 * (smaps' KernelPageSize), swallowing the regions they then overlap.
 */
function withHugeRegions(rng: Rng, regions: Region[], sizes: readonly PageSize[]): Region[] {
  let out = [...regions];
  for (const region of regions) {
    if (!out.includes(region) || !rng.chance(0.5)) continue;
    const size = rng.pick(sizes) as Exclude<PageSize, '4K'>;
    const bytes = 1n << BigInt(PAGE_SHIFTS[size]);
    const start = (region.start / bytes) * bytes;
    const end = ((region.end + bytes - 1n) / bytes) * bytes;
    if (end > 1n << 64n) continue;
    const huge: Region = { ...region, start, end, pageSize: size };
    out = [...out.filter((r) => r.end <= start || r.start >= end), huge].sort((a, b) => (a.start < b.start ? -1 : 1));
  }
  return out;
}

/** Sorted, disjoint regions over runs of `pages` (VPNs), with gaps; some edges inside a page. */
function randomRegions(rng: Rng, pages: readonly bigint[]): Region[] {
  const sorted = [...new Set(pages)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) sorted.push(0x400n);
  const regions: Region[] = [];
  let i = 0;
  while (i < sorted.length) {
    if (rng.chance(0.25)) {
      i += rng.int(1, 4); // a gap: these pages lie in no region
      continue;
    }
    const first = sorted[i];
    i += rng.int(1, 6);
    const last = sorted[Math.min(i, sorted.length) - 1];
    const inside = () => (rng.chance(0.15) ? BigInt(rng.int(1, 0xfff)) : 0n);
    const start = (first << 12n) + inside();
    // Up to 2^64: a region may end at the top of the address space.
    const end = ((last + 1n) << 12n) - inside();
    const previous = regions[regions.length - 1];
    if (end <= start || (previous && start < previous.end)) continue;
    regions.push({ start, end, ...rng.pick(PERMISSIONS) });
  }
  if (regions.length === 0) regions.push({ start: sorted[0] << 12n, end: (sorted[0] + 1n) << 12n, ...rng.pick(PERMISSIONS) });
  return regions;
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
type Needs = () => { tables: number; data: number };

/** Returns how to size the frame limit, once the rest of the machine is drawn (needs: the trace's, if known). */
function drawMemory(rng: Rng, machine: MachineConfig): (needs?: Needs) => void {
  const sizes = MODE_PAGE_SIZES[machine.paging ?? 'x86-64'];
  let sizeFrames = (_needs?: Needs): void => {};
  if (rng.chance(0.16)) {
    machine.pageSize = rng.pick(sizes.filter((size) => size !== '4K'));
    return sizeFrames;
  }
  if (rng.chance(0.1)) machine.pageSize = '4K';
  if (rng.chance(0.4)) {
    const r = rng.next();
    const fraction = 0.05 + 0.85 * rng.next();
    const spare = rng.int(0, 20);
    const blind = rng.chance(0.5) ? rng.int(1, 40) : rng.int(40, 400);
    // Undefined: the default, lru.
    const evict = rng.pick([undefined, ...EVICTION_POLICIES]);
    if (evict) machine.evict = evict;
    // A placeholder until sized: the needs are measured without a limit.
    machine.frames = blind;
    sizeFrames = (needs) => {
      const need = needs?.();
      if (!need || need.tables === 0) machine.frames = blind;
      else if (r < 0.12) machine.frames = Math.max(1, need.tables - spare);
      else if (r < 0.85) machine.frames = need.tables + Math.max(1, Math.floor(need.data * fraction));
      else machine.frames = need.tables + need.data + spare;
    };
  }
  if (rng.chance(0.25)) machine.alloc = 'shuffled';
  // The trace's own frames need unlimited memory; otherwise the default, said aloud.
  // (No extra draw, so the fields drawn after stay what they were.)
  else if (rng.chance(0.1)) machine.alloc = machine.frames === undefined ? 'trace' : 'sequential';
  return sizeFrames;
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
