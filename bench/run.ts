// The speed benchmark: tlbscope's WASM engine (one thread, two threads, the
// binary format), its TypeScript reference engine and a native C baseline,
// on the same generated traces, interleaved, counters cross-checked. Also
// one thread's replay and C's two at once, side by side: how much the
// machine lets two busy threads keep of their speed alone bounds what
// --threads 2 and --jobs 2 can give.
//
//   npm run bench -- [--kinds zipf,seq,...] [--records N] [--reps K] [--seed S]
//                    [--ref-records N] [--no-startup]
//
// See bench/README.md for what is measured and how to read the ratios.

import { BenchError, runBench } from './fail.js';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, KINDS, type Kind } from './gen.js';
import { describeStartup, measureStartup, type StartupResult } from './startup.js';
import { median, pairedRatio } from './stats.js';
import { packageRoot } from '../src/paths.js';

/** Counters every engine must agree on (paths into the --json object). */
const REQUIRED = [
  'records',
  'accesses.read',
  'accesses.write',
  'accesses.fetch',
  'crossings',
  ...['l1d', 'l1i', 'l2'].flatMap((l) => ['lookups', 'hits', 'misses'].map((k) => `tlb.${l}.${k}`)),
  'walks.count',
  'walks.refs',
  'faults.minor',
  'faults.nonCanonical',
  'faults.observed',
  'frames.used',
  'frames.pageTable',
  'contexts',
  'contextSwitches',
  'badLines',
];
/** Compared only when both engines print them. */
const OPTIONAL = ['accesses.physical', 'accesses.mmio', 'faults.major', 'invlpg', 'flushes', 'pfnChecksum'];

type Input = 'text' | '.tlbt';

interface Engine {
  name: string;
  input: Input;
  /** The trace it reads: the point's trace, or the smaller one the reference engine reads. */
  file: string;
  records: number;
  cmd: string[];
  /** Processes run at once, each the whole command (side by side); 1 but for the side-by-side rows. */
  copies: number;
}

interface Sample {
  /** The engine's own `seconds`: open to the last counter. */
  seconds: number;
  /** Around the whole process, start-up included. */
  wall: number;
  /** Peak resident set size of the process (KiB), or null when unmeasured. */
  rssKiB: number | null;
  stats: Record<string, unknown>;
}

interface Row {
  name: string;
  input: Input;
  file: string;
  records: number;
  cmd: string[];
  copies: number;
  seconds: number;
  wall: number;
  mrecs: number;
  mbs: number;
  rssMiB: number | null;
  samples: Array<Omit<Sample, 'stats'>>;
}


const W1 = 'wasm 1 thread';
const W2 = 'wasm 2 threads';
const WB = 'wasm';
const C = 'C -O2';
const REF = 'reference (TS)';
const W1_REF = 'wasm 1 thread';
const SIDE_BY_SIDE = 2;
const W1_X2 = `wasm 1 thread x${SIDE_BY_SIDE}`;
const C_X2 = `C -O2 x${SIDE_BY_SIDE}`;

/** Builds bench/native/tlbsim if needed; null when there is no C compiler. */
function buildNative(root: string): string | null {
  const src = join(root, 'bench/native/tlbsim.c');
  const bin = join(root, 'bench/native/tlbsim');
  if (spawnSync('cc', ['--version']).error) {
    process.stderr.write('bench: no C compiler (`cc`) found: skipping the native baseline\n');
    return null;
  }
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  const args = ['-O2', '-Wall', '-Wextra', '-o', bin, src];
  process.stderr.write(`bench: cc ${args.map((a) => relative(root, a) || a).join(' ')}\n`);
  const r = spawnSync('cc', args, { stdio: 'inherit' });
  if (r.status !== 0) throw new BenchError('building the native baseline failed');
  return bin;
}

/**
 * Peak RSS comes from GNU time (`-f %M`: ru_maxrss from wait4, the whole
 * process with all its threads), the same outside measurement for every
 * engine. Without it the column says n/a.
 */
function gnuTime(): string | null {
  const time = '/usr/bin/time';
  const r = spawnSync(time, ['-f', '%M', '-o', '/dev/null', 'true']);
  if (r.error || r.status !== 0) {
    process.stderr.write('bench: GNU time (/usr/bin/time -f %M) not found: peak RSS not measured\n');
    return null;
  }
  return time;
}

function ensureTrace(root: string, kind: Kind, records: number, seed: number): string {
  const dir = join(root, 'bench/.data');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${kind}-${records}-s${seed}.log`);
  if (!existsSync(file)) {
    process.stderr.write(`bench: generating ${relative(root, file)} ... `);
    const g = generate({ kind, records, seed, out: file });
    process.stderr.write(`${(g.bytes / 1e6).toFixed(1)} MB in ${g.seconds.toFixed(2)} s\n`);
  }
  return file;
}

/** The trace converted to .tlbt (cached beside it). */
function ensureBinary(cli: string, trace: string): string {
  const binary = trace.replace(/\.log$/, '.tlbt');
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(trace).mtimeMs) {
    const r = spawnSync(process.execPath, [cli, 'convert', trace, '-o', binary], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new BenchError(`converting ${trace} to .tlbt failed`);
  }
  return binary;
}

function get(obj: unknown, path: string): unknown {
  let v = obj;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

interface Exited {
  stdout: string;
  stderr: string;
  status: number | null;
  signal: NodeJS.Signals | null;
  wall: number;
}

/** Runs cmd to its end, its stdout and stderr kept. */
function runProcess(cmd: string[]): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status, signal) =>
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status, signal, wall: Number(process.hrtime.bigint() - t0) / 1e9 }),
    );
  });
}

/** One sample per process: e.copies of them, started together. */
async function runOnce(e: Engine, time: string | null): Promise<Sample[]> {
  const runs = Array.from({ length: e.copies }, async (_, i) => {
    const rssFile = join(tmpdir(), `tlbscope-bench-rss-${process.pid}-${i}`);
    const cmd = time ? [time, '-f', '%M', '-o', rssFile, ...e.cmd] : e.cmd;
    let r: Exited;
    try {
      r = await runProcess(cmd);
    } catch (err) {
      throw new BenchError(`${e.name}: ${(err as Error).message}`);
    }
    return sampleOf(e, r, time ? rssFile : null);
  });
  return Promise.all(runs);
}

function sampleOf(e: Engine, r: Exited, rssFile: string | null): Sample {
  const wall = r.wall;
  if (r.status !== 0) {
    throw new BenchError(`${e.name} exited with ${r.status ?? r.signal}:\n${r.stderr.slice(0, 2000)}`);
  }
  let rssKiB: number | null = null;
  if (rssFile) {
    rssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
    rmSync(rssFile, { force: true });
    if (!Number.isFinite(rssKiB)) rssKiB = null;
  }
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
  } catch {
    throw new BenchError(`${e.name}: stdout is not one JSON object:\n${r.stdout.slice(0, 500)}`);
  }
  const seconds = get(obj, 'seconds');
  if (typeof obj.records !== 'number' || typeof seconds !== 'number') {
    throw new BenchError(`${e.name}: JSON lacks "records" or "seconds"; keys: ${Object.keys(obj).join(', ')}`);
  }
  return { seconds, wall, rssKiB, stats: obj };
}

/** [counter, a's value, b's value] for every counter where they differ. */
function diff(a: Sample, b: Sample): string[][] {
  const out: string[][] = [];
  for (const key of [...REQUIRED, ...OPTIONAL]) {
    const x = get(a.stats, key);
    const y = get(b.stats, key);
    const optionalMissing = OPTIONAL.includes(key) && (x === undefined || y === undefined);
    if (x !== y && !optionalMissing) out.push([key, String(x), String(y)]);
  }
  return out;
}

/** Left-aligned first columns (`left` of them), right-aligned others. */
function align(rows: string[][], left = 1): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** 2000000, 2e6, 2M, 500k. */
function parseCount(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmM]?)$/.exec(text.trim());
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]) ? 1e3 : 1e6) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new BenchError(`${flag} '${text}': expected a count such as 2000000, 2M or 500k`);
  return n;
}

const count = (n: number) => n.toLocaleString('en-US');
const fixed = (n: number | null, digits: number) => (n === null || !Number.isFinite(n) ? '-' : n.toFixed(digits));

interface Point {
  kind: Kind;
  records: number;
  trace: { file: string; bytes: number };
  binary: { file: string; bytes: number } | null;
  refTrace: { file: string; records: number; bytes: number } | null;
  rows: Row[];
  ratios: Ratios;
  counters: Record<string, unknown>;
}

/** Every ratio is a speed ratio: the baseline's median seconds / the engine's, same input. */
interface Ratios {
  wasmVsC: number | null;
  twoThreadsVsC: number | null;
  binaryVsCBinary: number | null;
  binaryVsCText: number | null;
  twoThreadsVsOne: number | null;
  wasmVsReference: number | null;
  /** One thread's text replay with another beside it (SIDE_BY_SIDE at once) against alone: below 1, the machine slows each. */
  sideBySideVsAlone: number | null;
  /** The same for C. */
  cSideBySideVsAlone: number | null;
  /**
   * The same ratios (but the reference's, which runs another trace) paired
   * by rep: the median over reps of the baseline's seconds / the engine's
   * in that rep, whose runs follow one another. Load that drifts between
   * reps moves both runs of a pair, so this moves less between runs of the
   * benchmark than the ratio of medians.
   */
  paired: Omit<Ratios, 'wasmVsReference' | 'paired'>;
}

/** Reads a whole file and drops the bytes: it is in the page cache after. */
function readThrough(file: string): void {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(4 << 20);
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * The copies of a side-by-side run as one sample: the mean of their own
 * seconds (each is the speed of one replay with the other beside it), the
 * longest wall time, the highest peak RSS.
 */
function together(e: Engine, copies: Sample[]): Sample {
  for (const s of copies.slice(1)) {
    const d = diff(copies[0], s);
    if (d.length) throw new BenchError(`COUNTERS DIFFER between the copies of ${e.name} (${e.input}):\n${align([['counter', 'first', 'other'], ...d])}`);
  }
  const rss = copies.map((s) => s.rssKiB);
  return {
    seconds: copies.reduce((sum, s) => sum + s.seconds, 0) / copies.length,
    wall: Math.max(...copies.map((s) => s.wall)),
    rssKiB: rss.includes(null) ? null : Math.max(...(rss as number[])),
    stats: copies[0].stats,
  };
}

async function runPoint(
  root: string, kind: Kind, records: number, seed: number, reps: number, refRecords: number,
  cli: string | null, native: string | null, reference: string | null, time: string | null,
): Promise<Point> {
  const trace = ensureTrace(root, kind, records, seed);
  const binary = cli ? ensureBinary(cli, trace) : null;
  const refTrace = reference && cli && refRecords > 0 ? ensureTrace(root, kind, refRecords, seed) : null;
  const node = process.execPath;
  const engines: Engine[] = [];
  const on = (file: string, n: number, copies = 1) => ({ file, records: n, copies });
  if (cli) {
    const one = [node, cli, 'replay', trace, '--json', '--threads', '1'];
    engines.push({ name: W1, input: 'text', ...on(trace, records), cmd: one });
    engines.push({ name: W2, input: 'text', ...on(trace, records), cmd: [node, cli, 'replay', trace, '--json', '--threads', '2'] });
    engines.push({ name: WB, input: '.tlbt', ...on(binary!, records), cmd: [node, cli, 'replay', binary!, '--json'] });
    engines.push({ name: W1_X2, input: 'text', ...on(trace, records, SIDE_BY_SIDE), cmd: one });
  }
  if (native) {
    engines.push({ name: C, input: 'text', ...on(trace, records), cmd: [native, trace] });
    if (binary) engines.push({ name: C, input: '.tlbt', ...on(binary, records), cmd: [native, binary] });
    engines.push({ name: C_X2, input: 'text', ...on(trace, records, SIDE_BY_SIDE), cmd: [native, trace] });
  }
  if (refTrace) {
    engines.push({ name: REF, input: 'text', ...on(refTrace, refRecords), cmd: [node, reference!, refTrace] });
    engines.push({ name: W1_REF, input: 'text', ...on(refTrace, refRecords), cmd: [node, cli!, 'replay', refTrace, '--json', '--threads', '1'] });
  }
  if (engines.length === 0) throw new BenchError('nothing to measure');

  // Every input read once before any run is timed: otherwise the first run
  // on a file that left the page cache (the bench's traces total several GB)
  // reads the disk, 2-5 s against 0.1-0.5 s.
  for (const file of new Set(engines.map((e) => e.file))) readThrough(file);

  // Interleaved, alternating the order each rep so no engine always runs
  // first (page cache, CPU frequency, the neighbours' load).
  const samples = new Map<Engine, Sample[]>(engines.map((e) => [e, []]));
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 ? [...engines].reverse() : engines;
    for (const e of order) {
      const s = together(e, await runOnce(e, time));
      samples.get(e)!.push(s);
      process.stderr.write(`bench: ${kind} rep ${rep + 1}/${reps} ${e.name} ${e.input}${e.file === refTrace ? ' (reference trace)' : ''}: ${s.seconds.toFixed(3)} s\n`);
    }
  }

  // Every run on a trace must give the counters of the first run on it
  // (a .tlbt file replays exactly like the text it came from).
  for (const file of [trace, refTrace]) {
    const onFile = engines.filter((e) => file && (e.file === file || (file === trace && e.file === binary)));
    if (onFile.length === 0) continue;
    const first = samples.get(onFile[0])![0];
    for (const e of onFile) {
      for (const s of samples.get(e)!) {
        const d = diff(first, s);
        if (d.length) {
          throw new BenchError(
            `COUNTERS DIFFER between ${onFile[0].name} and ${e.name} (${e.input}) on ${relative(root, file!)}:\n` +
              align([['counter', onFile[0].name, e.name], ...d]),
          );
        }
      }
    }
  }

  const rows: Row[] = engines.map((e) => {
    const ss = samples.get(e)!;
    const seconds = median(ss.map((s) => s.seconds));
    const rss = ss.map((s) => s.rssKiB).filter((x): x is number => x !== null);
    return {
      name: e.name,
      input: e.input,
      file: relative(root, e.file),
      records: e.records,
      cmd: e.cmd,
      copies: e.copies,
      seconds,
      wall: median(ss.map((s) => s.wall)),
      mrecs: e.records / seconds / 1e6,
      mbs: statSync(e.file).size / seconds / 1e6,
      rssMiB: rss.length ? median(rss) / 1024 : null,
      samples: ss.map(({ seconds, wall, rssKiB }) => ({ seconds, wall, rssKiB })),
    };
  });
  const find = (name: string, input: Input, file: string) => rows.find((r) => r.name === name && r.input === input && r.file === relative(root, file));
  const ratio = (base: Row | undefined, x: Row | undefined) => (base && x ? base.seconds / x.seconds : null);
  const paired = (base: Row | undefined, x: Row | undefined) =>
    base && x ? pairedRatio(base.samples.map((s) => s.seconds), x.samples.map((s) => s.seconds)) : null;
  const w1 = find(W1, 'text', trace);
  const cText = find(C, 'text', trace);
  const cBinary = binary ? find(C, '.tlbt', binary) : undefined;
  const wBinary = binary ? find(WB, '.tlbt', binary) : undefined;
  const w2 = find(W2, 'text', trace);
  const w1x2 = find(W1_X2, 'text', trace);
  const cx2 = find(C_X2, 'text', trace);
  const ratios: Ratios = {
    wasmVsC: ratio(cText, w1),
    twoThreadsVsC: ratio(cText, w2),
    binaryVsCBinary: ratio(cBinary, wBinary),
    binaryVsCText: ratio(cText, wBinary),
    twoThreadsVsOne: ratio(w1, w2),
    wasmVsReference: refTrace ? ratio(find(REF, 'text', refTrace), find(W1_REF, 'text', refTrace)) : null,
    sideBySideVsAlone: ratio(w1, w1x2),
    cSideBySideVsAlone: ratio(cText, cx2),
    paired: {
      wasmVsC: paired(cText, w1),
      twoThreadsVsC: paired(cText, w2),
      binaryVsCBinary: paired(cBinary, wBinary),
      binaryVsCText: paired(cText, wBinary),
      twoThreadsVsOne: paired(w1, w2),
      sideBySideVsAlone: paired(w1, w1x2),
      cSideBySideVsAlone: paired(cText, cx2),
    },
  };
  const { seconds: _s, trace: _t, traces: _ts, config: _c, ...counters } = samples.get(engines[0])![0].stats;
  return {
    kind,
    records,
    trace: { file: relative(root, trace), bytes: statSync(trace).size },
    binary: binary ? { file: relative(root, binary), bytes: statSync(binary).size } : null,
    refTrace: refTrace ? { file: relative(root, refTrace), records: refRecords, bytes: statSync(refTrace).size } : null,
    rows,
    ratios,
    counters,
  };
}

function printPoint(p: Point, reps: number): void {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.log(
    `\n${p.kind}: ${count(p.records)} records, text ${mb(p.trace.bytes)}${p.binary ? `, .tlbt ${mb(p.binary.bytes)}` : ''};` +
      ` median of ${reps} interleaved reps`,
  );
  const cOf = (r: Row) => p.rows.find((c) => c.name === (r.copies === 1 ? C : C_X2) && c.input === r.input && c.file === r.file);
  const table = [
    ['engine', 'input', 'records', 'seconds', 'wall s', 'M rec/s', 'MB/s', 'x C', 'peak RSS MiB'],
    ...p.rows.map((r) => {
      const c = cOf(r);
      return [r.name, r.input, count(r.records), r.seconds.toFixed(3), r.wall.toFixed(3), r.mrecs.toFixed(2), r.mbs.toFixed(0),
        c ? fixed(c.seconds / r.seconds, 2) : '-', fixed(r.rssMiB, 0)];
    }),
  ];
  console.log(align(table, 2));
}

function printSummary(points: Point[]): void {
  const rows = [
    ['kind', 'wasm/C', '2 threads/C', '.tlbt/C .tlbt', '.tlbt/C text', '2 threads/1', `x${SIDE_BY_SIDE}/1`, `C x${SIDE_BY_SIDE}/1`, 'wasm/TS ref'],
    ...points.map((p) => {
      const r = p.ratios;
      return [p.kind, ...[r.wasmVsC, r.twoThreadsVsC, r.binaryVsCBinary, r.binaryVsCText, r.twoThreadsVsOne, r.sideBySideVsAlone, r.cSideBySideVsAlone, r.wasmVsReference].map((x) => fixed(x, 2))];
    }),
  ];
  console.log('\nspeed ratios (baseline median seconds / engine median seconds; above 1: the engine is faster); counters identical');
  console.log(align(rows));
  const pairedRows = [
    rows[0].slice(0, 8),
    ...points.map((p) => {
      const r = p.ratios.paired;
      return [p.kind, ...[r.wasmVsC, r.twoThreadsVsC, r.binaryVsCBinary, r.binaryVsCText, r.twoThreadsVsOne, r.sideBySideVsAlone, r.cSideBySideVsAlone].map((x) => fixed(x, 2))];
    }),
  ];
  console.log('\npaired by rep (median over reps of baseline seconds / engine seconds in the same rep)');
  console.log(align(pairedRows));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kinds: { type: 'string', default: KINDS.join(',') },
      records: { type: 'string', default: '2M' },
      reps: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      'ref-records': { type: 'string', default: '300k' },
      'no-startup': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      `usage: npm run bench -- [--kinds ${KINDS.join(',')}] [--records N] [--reps K] [--seed S] [--ref-records N] [--no-startup]\n` +
        '  --records N      records per generated trace (default 2M; 1M..100M: 2M, 1e7, 500k)\n' +
        '  --reps K         interleaved runs of every engine per trace; medians are reported (default 5)\n' +
        '  --ref-records N  records of the smaller trace the TypeScript reference engine replays (default 300k; 0: skip it)\n' +
        '  --no-startup     skip the start-up measurement (tlbscope replay on a tiny trace)\n',
    );
    return;
  }
  const kinds = values.kinds.split(',').map((k) => k.trim()) as Kind[];
  for (const k of kinds) if (!KINDS.includes(k)) throw new BenchError(`--kinds: '${k}' is not one of ${KINDS.join(', ')}`);
  const records = parseCount('--records', values.records);
  const refRecords = parseCount('--ref-records', values['ref-records']);
  const reps = parseCount('--reps', values.reps);
  const seed = parseCount('--seed', values.seed);
  if (records < 1 || reps < 1) throw new BenchError('--records and --reps must be positive');

  const root = packageRoot();
  const native = buildNative(root);
  const time = gnuTime();
  let cli: string | null = join(root, 'dist/src/bin.js');
  if (!existsSync(cli)) {
    process.stderr.write(`bench: ${relative(root, cli)} not found (run \`npm run build\`): measuring the C baseline alone\n`);
    cli = null;
  }
  const reference = join(root, 'dist/bench/reference.js');

  const started = new Date();
  const points: Point[] = [];
  for (const kind of kinds) {
    const p = await runPoint(root, kind, records, seed, reps, refRecords, cli, native, existsSync(reference) ? reference : null, time);
    points.push(p);
    printPoint(p, reps);
  }
  printSummary(points);
  let startup: StartupResult | null = null;
  if (cli && !values['no-startup']) {
    startup = measureStartup(10);
    console.log(describeStartup(startup));
  }

  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const out = join(root, `bench/.data/result-${stamp}.json`);
  const result = {
    date: started.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    options: { kinds, records, refRecords, reps, seed },
    host: { node: process.version, platform: `${process.platform} ${process.arch}`, cpu: cpus()[0]?.model, cpus: cpus().length },
    rss: time ? 'GNU time -f %M (ru_maxrss of the whole process, KiB)' : null,
    points,
    startup,
  };
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`result: ${relative(root, out)}`);
}

await runBench(main);
