// The speed benchmark: tlbscope (WASM engine) against a native C baseline on
// the same generated trace, interleaved, counters cross-checked.
//
//   npm run bench -- [--records N] [--reps K] [--kind zipf|seq] [--seed S]
//
// See bench/README.md for what is measured and how to read the ratio.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, KINDS, type Kind } from './gen.js';
import { packageRoot } from '../src/paths.js';

/** Counters both engines must agree on (paths into the --json object). */
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
const OPTIONAL = ['accesses.physical', 'accesses.mmio', 'faults.major', 'invlpg', 'flushes'];

interface Engine {
  name: string;
  cmd: string[];
}

interface Sample {
  seconds: number;
  wall: number;
  stats: Record<string, unknown>;
}

class BenchError extends Error {}

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

function runOnce(e: Engine): Sample {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(e.cmd[0], e.cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) throw new BenchError(`${e.name}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new BenchError(`${e.name} exited with ${r.status ?? r.signal}:\n${r.stderr.slice(0, 2000)}`);
  }
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
  } catch {
    throw new BenchError(`${e.name}: stdout is not one JSON object:\n${r.stdout.slice(0, 500)}`);
  }
  // Accept the counters at the top level or under "stats".
  const stats = 'records' in obj ? obj : (obj.stats as Record<string, unknown> | undefined);
  const seconds = get(obj, 'seconds') ?? get(stats, 'seconds');
  if (!stats || typeof seconds !== 'number') {
    throw new BenchError(`${e.name}: JSON lacks "records" or "seconds"; keys: ${Object.keys(obj).join(', ')}`);
  }
  return { seconds, wall, stats };
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

/** Left-aligned first column, right-aligned others. */
function align(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '10000000' },
      reps: { type: 'string', default: '5' },
      kind: { type: 'string', default: 'zipf' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- [--records N] [--reps K] [--kind zipf|seq] [--seed S]\n');
    return;
  }
  const records = Number(values.records);
  const reps = Number(values.reps);
  const seed = Number(values.seed);
  const kind = values.kind as Kind;
  if (!KINDS.includes(kind)) throw new BenchError(`--kind must be one of ${KINDS.join(', ')}`);
  if (!Number.isSafeInteger(records) || records < 1) throw new BenchError('--records must be a positive integer');
  if (!Number.isSafeInteger(reps) || reps < 1) throw new BenchError('--reps must be a positive integer');

  const root = packageRoot();
  const native = buildNative(root);
  const trace = ensureTrace(root, kind, records, seed);
  const cli = join(root, 'dist/src/cli.js');

  const engines: Engine[] = [];
  if (existsSync(cli)) {
    engines.push({ name: 'tlbscope (wasm)', cmd: [process.execPath, cli, 'replay', trace, '--json', '--threads', '1'] });
    engines.push({ name: 'tlbscope 2 threads', cmd: [process.execPath, cli, 'replay', trace, '--json', '--threads', '2'] });
    const binary = ensureBinary(cli, trace);
    engines.push({ name: 'tlbscope .tlbt', cmd: [process.execPath, cli, 'replay', binary, '--json'] });
  } else {
    process.stderr.write(`bench: ${relative(root, cli)} not found (run \`npm run build\`): skipping tlbscope\n`);
  }
  if (native) engines.push({ name: 'C -O2 (native)', cmd: [native, trace] });
  if (engines.length === 0) throw new BenchError('nothing to measure');

  // Interleaved, alternating the order each rep so neither engine always runs
  // first (page cache, CPU frequency).
  const samples = new Map<Engine, Sample[]>(engines.map((e) => [e, []]));
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 ? [...engines].reverse() : engines;
    for (const e of order) {
      const s = runOnce(e);
      samples.get(e)!.push(s);
      process.stderr.write(`bench: rep ${rep + 1}/${reps} ${e.name}: ${s.seconds.toFixed(3)} s\n`);
    }
  }

  // Every run of every engine must give the same counters as the first run.
  const first = samples.get(engines[0])![0];
  for (const e of engines) {
    for (const s of samples.get(e)!) {
      const d = diff(first, s);
      if (d.length) {
        throw new BenchError(
          `COUNTERS DIFFER between ${engines[0].name} and ${e.name} on ${relative(root, trace)}:\n` +
            align([['counter', engines[0].name, e.name], ...d]),
        );
      }
    }
  }

  const bytes = statSync(trace).size;
  const rows = engines.map((e) => {
    const ss = samples.get(e)!;
    const seconds = median(ss.map((s) => s.seconds));
    const wall = median(ss.map((s) => s.wall));
    const input = e.cmd.find((arg) => arg.endsWith('.tlbt')) ?? trace;
    const inputBytes = statSync(input).size;
    return { name: e.name, cmd: e.cmd, seconds, wall, mrecs: records / seconds / 1e6, mbs: inputBytes / seconds / 1e6, samples: ss.map(({ seconds, wall }) => ({ seconds, wall })) };
  });

  const table = [
    ['engine', 'seconds', 'wall s', 'M rec/s', 'MB/s'],
    ...rows.map((r) => [r.name, r.seconds.toFixed(3), r.wall.toFixed(3), r.mrecs.toFixed(2), r.mbs.toFixed(0)]),
  ];
  console.log(`${kind}, ${records.toLocaleString('en-US')} records (seed ${seed}), ${(bytes / 1e6).toFixed(1)} MB, median of ${reps} interleaved reps`);
  console.log(align(table));

  let ratio: { seconds: number; wall: number } | null = null;
  const wasm = rows.find((r) => r.name === 'tlbscope (wasm)');
  const c = rows.find((r) => r.name.startsWith('C '));
  if (wasm && c) {
    ratio = { seconds: c.seconds / wasm.seconds, wall: c.wall / wasm.wall };
    console.log(`speed ratio tlbscope/C = C seconds / tlbscope seconds = ${ratio.seconds.toFixed(2)} (wall time: ${ratio.wall.toFixed(2)}), one thread`);
    console.log('counters: identical');
  }
  const twoThreads = rows.find((r) => r.name === 'tlbscope 2 threads');
  if (twoThreads && c) {
    console.log(`speed ratio tlbscope 2 threads/C = ${(c.seconds / twoThreads.seconds).toFixed(2)}`);
  }
  const binaryRow = rows.find((r) => r.name.endsWith('.tlbt'));
  if (wasm && binaryRow) {
    console.log(`binary speed-up = text seconds / .tlbt seconds = ${(wasm.seconds / binaryRow.seconds).toFixed(2)}`);
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = join(root, `bench/.data/result-${stamp}.json`);
  const { seconds: _s, ...counters } = first.stats;
  const result = {
    date: new Date().toISOString(),
    kind,
    records,
    seed,
    reps,
    trace: { file: relative(root, trace), bytes },
    host: { node: process.version, platform: `${process.platform} ${process.arch}`, cpu: cpus()[0]?.model, cpus: cpus().length },
    engines: rows,
    ratio,
    counters,
  };
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`result: ${relative(root, out)}`);
}

try {
  main();
} catch (err) {
  if (!(err instanceof BenchError)) throw err;
  process.stderr.write(`bench: FAILED: ${err.message}\n`);
  process.exitCode = 1;
}
