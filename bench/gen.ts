// Seeded generator of synthetic traces in tlbscope's `mem` dialect, for the
// benchmarks. Same kind + records + seed => byte-identical file.
//
//   node dist/bench/gen.js --kind zipf --records 10000000 --seed 1 -o FILE
//
// Kinds:
//   zipf  accesses zipf-distributed (s = 1.0) over 50k pages scattered in a
//         1 GiB window of a user range (0x7f4a8…); 60% READ / 25% WRITE /
//         15% FETCH; data sizes 1/2/4/8 mostly aligned, 3% at any offset,
//         fetches 1..15 bytes anywhere, so a few accesses cross pages. Four
//         address spaces, a [CR3] switch every ~100k records; a [PAGE_FAULT]
//         line before each page's first touch in a space (as QEMU system-mode
//         traces show) and an [INVLPG] every ~250k records.
//   seq   sequential streams: a read stream (stride 8), a strided read stream
//         (stride 64), a write stream (stride 8), and an instruction stream
//         (1..15-byte instructions, a jump every ~40); same mix and [CR3]
//         switches as zipf.
//   uniform
//         pages drawn uniformly from the same 1 GiB window (262,144 pages),
//         same op mix, sizes and [CR3] switches as zipf, no control lines
//         besides: no locality at all, and page tables that keep growing.
//   chase a pointer chase: one node (8-byte load, 64-byte aligned) on each of
//         65,536 pages of a 256 MiB heap, linked in one random cycle
//         (Sattolo), each load preceded by the fetch of the 3-byte
//         `mov (%rax),%rax` of the loop; one address space. Nearly every
//         load misses both TLB levels and walks.
//   real  the real trace traces/qemu72-user-seed-true-fetch-bytes.log.gz
//         (QEMU user mode, /bin/true) repeated until `records` lines: a real
//         program's locality (the seed does not change it).

import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { packageRoot } from '../src/paths.js';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const KINDS = ['zipf', 'seq', 'uniform', 'chase', 'real'] as const;
export type Kind = (typeof KINDS)[number];

export interface GenOptions {
  kind: Kind;
  records: number;
  seed: number;
  /** Output file; written to FILE.tmp-PID first and renamed when complete. */
  out: string;
}

export interface GenResult {
  records: number;
  lines: number;
  bytes: number;
  seconds: number;
}

const ZIPF_PAGES = 50_000;
const ZIPF_S = 1.0;
const SPACES = 4;
const SWITCH_EVERY = 100_000;
const INVLPG_EVERY = 250_000;
const PAGE = 4096;

/** xoshiro128** seeded through splitmix32: small, fast, deterministic. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** Uniform u32. */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Buffered writer of ASCII bytes straight into a Buffer. */
class Out {
  private readonly buf = Buffer.allocUnsafe(8 << 20);
  private pos = 0;
  bytes = 0;

  constructor(private readonly fd: number) {}

  str(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  bytesOf(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Lower-case hex, no leading zeros; n < 2^53. */
  hex(n: number): void {
    this.room(16);
    // Split into bits 24.. and the low 24 bits so that bit operations apply.
    let hi = Math.floor(n / 0x1000000);
    let lo = n - hi * 0x1000000;
    let end = this.pos;
    for (let x = hi; x > 0; x = Math.floor(x / 16)) end++;
    const loDigits = hi > 0 ? 6 : Math.max(1, (32 - Math.clz32(lo) + 3) >> 2);
    end += loDigits;
    for (let i = end - 1; i >= end - loDigits; i--, lo >>>= 4) this.buf[i] = HEX[lo & 15];
    for (let i = end - loDigits - 1; i >= this.pos; i--, hi = Math.floor(hi / 16)) this.buf[i] = HEX[hi % 16];
    this.pos = end;
  }

  dec(n: number): void {
    this.room(16);
    if (n < 10) {
      this.buf[this.pos++] = 48 + n;
      return;
    }
    const s = String(n);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }
}

const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const MEM_VA = ascii('[MEM] VA=0x');
const SIZE = ascii(', size=');
const TYPE = [ascii(', type=READ\n'), ascii(', type=WRITE\n'), ascii(', type=FETCH\n')];
const READ = 0;
const WRITE = 1;
const FETCH = 2;

/** Picks READ/WRITE/FETCH with the 60/25/15 mix. */
function pickOp(rng: Rng): number {
  const u = rng.u32();
  return u < 0.6 * 2 ** 32 ? READ : u < 0.85 * 2 ** 32 ? WRITE : FETCH;
}

const DATA_SIZES = [8, 8, 8, 8, 8, 4, 4, 4, 2, 1]; // 50% 8, 30% 4, 10% 2, 10% 1

/** Offset and size inside a page: data mostly aligned, fetches anywhere. */
function dataAccess(rng: Rng): [offset: number, size: number] {
  const size = DATA_SIZES[rng.int(DATA_SIZES.length)];
  if (rng.int(100) < 3) return [rng.int(PAGE), size];
  return [rng.int(PAGE / size) * size, size];
}

/** The CR3 value that names address space i. */
function cr3(i: number): number {
  return 0x5a02000 + i * 0x44000;
}

export function generate(opts: GenOptions): GenResult {
  if (!KINDS.includes(opts.kind)) throw new Error(`unknown kind ${opts.kind}`);
  if (!Number.isSafeInteger(opts.records) || opts.records < 0) throw new Error('bad --records');
  const t0 = process.hrtime.bigint();
  const tmp = `${opts.out}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  const out = new Out(fd);
  let lines = 0;
  try {
    lines = GENERATORS[opts.kind](opts, out);
    out.flush();
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, opts.out);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { records: opts.records, lines, bytes: out.bytes, seconds };
}

/** Emits a [CR3] switch every ~SWITCH_EVERY records; returns the new space. */
class Switcher {
  space = 0;
  private next: number;

  constructor(private readonly rng: Rng, out: Out) {
    out.str(`[CR3] 0x${cr3(0).toString(16)}\n`);
    this.next = this.interval();
  }

  private interval(): number {
    return SWITCH_EVERY - SWITCH_EVERY / 5 + this.rng.int((2 * SWITCH_EVERY) / 5);
  }

  /** Call before record r; true when it wrote a [CR3] line. */
  at(r: number, out: Out): boolean {
    if (r < this.next) return false;
    this.space = (this.space + 1 + this.rng.int(SPACES - 1)) % SPACES;
    out.str(`[CR3] 0x${cr3(this.space).toString(16)}\n`);
    this.next = r + this.interval();
    return true;
  }
}

function mem(out: Out, va: number, size: number, op: number): void {
  out.bytesOf(MEM_VA);
  out.hex(va);
  out.bytesOf(SIZE);
  out.dec(size);
  out.bytesOf(TYPE[op]);
}

function zipf(opts: GenOptions, out: Out): number {
  const rng = new Rng(opts.seed);
  // Cumulative zipf weights over page ranks.
  const cdf = new Float64Array(ZIPF_PAGES);
  let sum = 0;
  for (let k = 0; k < ZIPF_PAGES; k++) cdf[k] = sum += 1 / Math.pow(k + 1, ZIPF_S);
  for (let k = 0; k < ZIPF_PAGES; k++) cdf[k] /= sum;
  // Ranks map to distinct pages scattered over a 1 GiB window.
  const window = 1 << 18;
  const slots = new Uint32Array(window);
  for (let i = 0; i < window; i++) slots[i] = i;
  const vpn = new Float64Array(ZIPF_PAGES);
  const baseVpn = 0x7f4a80000000 / PAGE;
  for (let i = 0; i < ZIPF_PAGES; i++) {
    const j = i + rng.int(window - i);
    const t = slots[i];
    slots[i] = slots[j];
    slots[j] = t;
    vpn[i] = baseVpn + slots[i];
  }
  const touched = new Uint8Array(SPACES * ZIPF_PAGES);
  const sw = new Switcher(rng, out);
  let lines = 1;
  let nextInvlpg = INVLPG_EVERY;
  for (let r = 0; r < opts.records; r++) {
    if (sw.at(r, out)) lines++;
    // Smallest rank whose cumulative weight exceeds u.
    const u = rng.float();
    let lo = 0;
    let hi = ZIPF_PAGES - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    const op = pickOp(rng);
    let offset: number;
    let size: number;
    if (op === FETCH) {
      offset = rng.int(PAGE);
      size = 1 + rng.int(15);
    } else {
      [offset, size] = dataAccess(rng);
    }
    const page = vpn[lo] * PAGE;
    const key = sw.space * ZIPF_PAGES + lo;
    if (!touched[key]) {
      touched[key] = 1;
      out.str('[PAGE_FAULT] VA=0x');
      out.hex(page + offset);
      out.str(op === WRITE ? ' | Reason: Page Not Present (Write)\n' : ' | Reason: Page Not Present (Read)\n');
      lines++;
    }
    if (r === nextInvlpg) {
      out.str('[INVLPG] VA=0x');
      out.hex(page);
      out.str('\n');
      lines++;
      nextInvlpg += INVLPG_EVERY;
    }
    mem(out, page + offset, size, op);
    lines++;
  }
  return lines;
}

function real(opts: GenOptions, out: Out): number {
  const sample = gunzipSync(readFileSync(join(packageRoot(), 'traces', 'qemu72-user-seed-true-fetch-bytes.log.gz')));
  const lines: Buffer[] = [];
  for (let at = 0; at < sample.length; ) {
    const nl = sample.indexOf(10, at);
    const end = nl < 0 ? sample.length : nl + 1;
    lines.push(sample.subarray(at, end));
    at = end;
  }
  for (let i = 0; i < opts.records; i++) out.bytesOf(lines[i % lines.length]);
  return opts.records;
}

function seq(opts: GenOptions, out: Out): number {
  const rng = new Rng(opts.seed);
  const MiB = 1 << 20;
  // [base, length, stride, size, position]
  const readA = { base: 0x555555a00000, len: 64 * MiB, stride: 8, size: 8, pos: 0 };
  const readB = { base: 0x7f4a80000000, len: 256 * MiB, stride: 64, size: 4, pos: 0 };
  const write = { base: 0x555559a00000, len: 64 * MiB, stride: 8, size: 8, pos: 0 };
  const code = { base: 0x555555554000, len: 2 * MiB, pos: 0 };
  const sw = new Switcher(rng, out);
  let lines = 1;
  for (let r = 0; r < opts.records; r++) {
    if (sw.at(r, out)) lines++;
    const op = pickOp(rng);
    if (op === FETCH) {
      const size = 1 + rng.int(15);
      if (rng.int(40) === 0 || code.pos + size > code.len) code.pos = rng.int(code.len - 16);
      mem(out, code.base + code.pos, size, FETCH);
      code.pos += size;
    } else {
      const s = op === WRITE ? write : rng.int(3) === 0 ? readB : readA;
      mem(out, s.base + s.pos, s.size, op);
      s.pos = (s.pos + s.stride) % s.len;
    }
    lines++;
  }
  return lines;
}

const WINDOW_BASE = 0x7f4a80000000;
const WINDOW_PAGES = 1 << 18; // 1 GiB

function uniform(opts: GenOptions, out: Out): number {
  const rng = new Rng(opts.seed);
  const baseVpn = WINDOW_BASE / PAGE;
  const sw = new Switcher(rng, out);
  let lines = 1;
  for (let r = 0; r < opts.records; r++) {
    if (sw.at(r, out)) lines++;
    const page = (baseVpn + rng.int(WINDOW_PAGES)) * PAGE;
    const op = pickOp(rng);
    if (op === FETCH) {
      mem(out, page + rng.int(PAGE), 1 + rng.int(15), FETCH);
    } else {
      const [offset, size] = dataAccess(rng);
      mem(out, page + offset, size, op);
    }
    lines++;
  }
  return lines;
}

const CHASE_NODES = 1 << 16;
const CHASE_HEAP = 0x55555a000000;
const CHASE_PC = 0x555555556130;

function chase(opts: GenOptions, out: Out): number {
  const rng = new Rng(opts.seed);
  // Sattolo's shuffle: one cycle through every node, so the chase never
  // settles into a short loop the TLBs could hold.
  const next = new Uint32Array(CHASE_NODES);
  for (let i = 0; i < CHASE_NODES; i++) next[i] = i;
  for (let i = CHASE_NODES - 1; i > 0; i--) {
    const j = rng.int(i);
    const t = next[i];
    next[i] = next[j];
    next[j] = t;
  }
  const line = new Uint32Array(CHASE_NODES);
  for (let i = 0; i < CHASE_NODES; i++) line[i] = rng.int(PAGE / 64) * 64;
  let node = 0;
  for (let r = 0; r < opts.records; r++) {
    if (r % 2 === 0) {
      mem(out, CHASE_PC, 3, FETCH);
    } else {
      mem(out, CHASE_HEAP + node * PAGE + line[node], 8, READ);
      node = next[node];
    }
  }
  return opts.records;
}

const GENERATORS: Record<Kind, (opts: GenOptions, out: Out) => number> = { zipf, seq, uniform, chase, real };

function main(): void {
  const { values } = parseArgs({
    options: {
      kind: { type: 'string', default: 'zipf' },
      records: { type: 'string', default: '10000000' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', short: 'o' },
    },
  });
  if (!values.out) {
    process.stderr.write(`usage: node dist/bench/gen.js [--kind ${KINDS.join('|')}] [--records N] [--seed S] -o FILE\n`);
    process.exit(2);
  }
  const res = generate({
    kind: values.kind as Kind,
    records: Number(values.records),
    seed: Number(values.seed),
    out: values.out,
  });
  process.stderr.write(
    `${values.out}: ${res.records} records, ${res.lines} lines, ` +
      `${(res.bytes / 1e6).toFixed(1)} MB in ${res.seconds.toFixed(2)} s\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
