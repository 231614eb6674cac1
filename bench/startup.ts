// Start-up time: the wall time of `tlbscope replay` on a tiny trace, where
// nearly all of it is Node starting, loading the CLI and compiling the WASM
// core. The target is under 200 ms. Node's own start-up (`node -e 0`) is
// measured alongside, interleaved, as the floor.
//
//   node dist/bench/startup.js [--runs N] [TRACE]

import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/paths.js';
import { median } from './stats.js';

/** A real trace of 2,999 records (QEMU's mem plugin, a system-mode boot), 3 KB gzip-compressed. */
export const TINY_TRACE = 'traces/qemu10-system-mem-accesses-boot.csv.gz';

export interface StartupResult {
  trace: string;
  runs: number;
  /** Median wall seconds of `tlbscope replay TRACE` and of `node -e 0`. */
  replay: number;
  node: number;
  samples: { replay: number[]; node: number[] };
}

function wall(cmd: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return seconds;
}

export function measureStartup(runs: number, trace = TINY_TRACE): StartupResult {
  const root = packageRoot();
  const replayCmd = [process.execPath, join(root, 'dist/src/bin.js'), 'replay', resolve(root, trace)];
  const nodeCmd = [process.execPath, '-e', '0'];
  wall(replayCmd); // warm the page cache, so every run reads the same bytes from memory
  const samples = { replay: [] as number[], node: [] as number[] };
  for (let i = 0; i < runs; i++) {
    samples.replay.push(wall(replayCmd));
    samples.node.push(wall(nodeCmd));
  }
  return { trace, runs, replay: median(samples.replay), node: median(samples.node), samples };
}

export function describeStartup(r: StartupResult): string {
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  return `start-up: tlbscope replay ${r.trace}: ${ms(r.replay)} wall (median of ${r.runs}); node -e 0: ${ms(r.node)}`;
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: 'string', default: '10' } } });
  const runs = Number(values.runs);
  if (!Number.isSafeInteger(runs) || runs < 1 || positionals.length > 1) {
    process.stderr.write('usage: node dist/bench/startup.js [--runs N] [TRACE]\n');
    process.exit(2);
  }
  const r = measureStartup(runs, positionals[0]);
  console.log(describeStartup(r));
  const ms = (xs: number[]) => xs.map((s) => (s * 1000).toFixed(0)).join(' ');
  console.log(`  replay samples (ms): ${ms(r.samples.replay)}`);
  console.log(`  node -e 0 samples (ms): ${ms(r.samples.node)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
