// Instructions executed per WebAssembly function of one replay, counted by
// Valgrind's callgrind. The count does not depend on the machine's load: use
// it where wall times on a shared machine are too noisy to show a change of a
// few percent (then confirm with run.ts, which measures time).
//
// V8's generated code has no symbols. `node --perf-basic-prof` writes a map
// of it (/tmp/perf-PID.map: start, size, "JS:wasm-function[N]-N-tier"), and
// N is the function's index in the module, named by the build's text format
// (build/tlbscope.wat). A function's Liftoff and TurboFan code are added
// together. Which of them runs depends on when V8 tiers up, so counts of one
// build still vary by a few percent between runs (243 and 258 per record on
// the real trace's first 2M lines): the replay runs --runs times (3) and each
// count is the median.
//
//   node dist/bench/instructions.js [--top N] [--runs N] [--root DIR] TRACE [replay options...]
//
// The replay is `tlbscope replay TRACE --json --threads 1 [options]` of this
// build, or of the built checkout at DIR (to compare two commits); about 50x
// slower than natively, so a few million records are enough.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/paths.js';
import { median } from './stats.js';

export interface FunctionCount {
  name: string;
  instructions: number;
}

/** Module function index -> name, from the text format (imported functions come first). */
export function wasmFunctionNames(wat: string): Map<number, string> {
  const names = new Map<number, string>();
  let imports = 0;
  let index = 0;
  for (const line of wat.split('\n')) {
    if (/^\s*\(import .*\(func/.test(line)) imports++;
    const m = /^\s*\(func (\$\S+)/.exec(line);
    if (m) names.set(imports + index++, m[1].slice(1));
  }
  return names;
}

interface CodeRange {
  start: bigint;
  end: bigint;
  wasmIndex: number;
}

/** The wasm functions' code ranges in a perf map. */
export function wasmCodeRanges(map: string): CodeRange[] {
  const ranges: CodeRange[] = [];
  for (const line of map.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) JS:wasm-function\[(\d+)\]/.exec(line);
    if (!m) continue;
    const start = BigInt(`0x${m[1]}`);
    ranges.push({ start, end: start + BigInt(`0x${m[2]}`), wasmIndex: Number(m[3]) });
  }
  return ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

function rangeOf(ranges: CodeRange[], address: bigint): CodeRange | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (address < ranges[mid].start) hi = mid - 1;
    else if (address >= ranges[mid].end) lo = mid + 1;
    else return ranges[mid];
  }
  return undefined;
}

/**
 * Self instructions per code range from callgrind's output written with
 * --dump-instr=yes ("positions: instr line": each cost line is an address,
 * absolute or relative to the previous one, a line number, and the count).
 * The line after a `calls=` line is the call's inclusive cost: skipped.
 */
export function countByRange(callgrind: string, ranges: CodeRange[]): Map<CodeRange, number> {
  const counts = new Map<CodeRange, number>();
  let last = 0n;
  let callCost = false;
  for (const line of callgrind.split('\n')) {
    if (line.startsWith('calls=')) {
      callCost = true;
      continue;
    }
    const c = line.charCodeAt(0);
    // 0x..., +N, -N or * (the same address): a cost line.
    if (!(c === 0x30 || c === 0x2b || c === 0x2d || c === 0x2a)) continue;
    const fields = line.split(' ');
    const at = fields[0];
    if (at.startsWith('0x')) last = BigInt(at);
    else if (at[0] === '+') last += BigInt(at.slice(1));
    else if (at[0] === '-') last -= BigInt(at.slice(1));
    if (callCost) {
      callCost = false;
      continue;
    }
    if (fields.length < 3) continue;
    const range = rangeOf(ranges, last);
    if (range) counts.set(range, (counts.get(range) ?? 0) + Number(fields[2]));
  }
  return counts;
}

export function countInstructions(
  trace: string,
  replayArgs: string[],
  root = packageRoot(),
): { records: number; total: number; functions: FunctionCount[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tlbscope-instructions-'));
  try {
    const out = join(dir, 'callgrind.out');
    const r = spawnSync(
      'valgrind',
      ['--tool=callgrind', '--dump-instr=yes', `--callgrind-out-file=${out}`, process.execPath, '--perf-basic-prof',
        join(root, 'dist/src/bin.js'), 'replay', resolve(trace), '--json', '--threads', '1', ...replayArgs],
      { encoding: 'utf8', maxBuffer: 1 << 30 },
    );
    if (r.error) throw new Error(`cannot run valgrind (${r.error.message}): install it (apt-get install valgrind)`);
    if (r.status !== 0) throw new Error(`the replay under valgrind exited with ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
    const mapPath = `/tmp/perf-${r.pid}.map`;
    const ranges = wasmCodeRanges(readFileSync(mapPath, 'utf8'));
    rmSync(mapPath, { force: true });
    const names = wasmFunctionNames(readFileSync(join(root, 'build/tlbscope.wat'), 'utf8'));
    const byName = new Map<string, number>();
    for (const [range, n] of countByRange(readFileSync(out, 'utf8'), ranges)) {
      const name = names.get(range.wasmIndex) ?? `wasm-function[${range.wasmIndex}]`;
      byName.set(name, (byName.get(name) ?? 0) + n);
    }
    const functions = [...byName].map(([name, instructions]) => ({ name, instructions })).sort((a, b) => b.instructions - a.instructions);
    const total = functions.reduce((sum, f) => sum + f.instructions, 0);
    return { records: (JSON.parse(r.stdout) as { records: number }).records, total, functions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per function, the median over runs (a function missing from a run counts 0 there), largest first. */
export function medianCounts(runs: FunctionCount[][]): FunctionCount[] {
  const names = new Set(runs.flatMap((run) => run.map((f) => f.name)));
  return [...names]
    .map((name) => ({ name, instructions: median(runs.map((run) => run.find((f) => f.name === name)?.instructions ?? 0)) }))
    .sort((a, b) => b.instructions - a.instructions);
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    strict: false,
    options: { top: { type: 'string', default: '12' }, root: { type: 'string' }, runs: { type: 'string', default: '3' } },
  });
  const [trace, ...rest] = positionals;
  const runs = Number(values.runs);
  if (!trace || !(runs >= 1)) {
    process.stderr.write('usage: node dist/bench/instructions.js [--top N] [--runs N] [--root DIR] TRACE [replay options...]\n');
    process.exit(2);
  }
  try {
    const root = typeof values.root === 'string' ? resolve(values.root) : undefined;
    const counted = Array.from({ length: runs }, () => countInstructions(trace, rest, root));
    const records = counted[0].records;
    const totals = counted.map((c) => c.total);
    const functions = medianCounts(counted.map((c) => c.functions));
    const fmt = (n: number) => n.toLocaleString('en-US');
    const perRecord = (n: number) => (n / records).toFixed(1);
    console.log(
      `${trace}: ${fmt(records)} records; instructions in WebAssembly, median of ${runs}: ${fmt(median(totals))} ` +
        `(${perRecord(median(totals))} per record; runs ${totals.map(perRecord).join(', ')})`,
    );
    for (const f of functions.slice(0, Number(values.top))) {
      console.log(`${fmt(f.instructions).padStart(16)}  ${perRecord(f.instructions).padStart(7)}/record  ${f.name}`);
    }
  } catch (err) {
    process.stderr.write(`instructions: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
