// What a sweep costs: `tlbscope sweep` of 12 sizes x 6 associativities (LRU)
// against one plain `tlbscope replay` of the same trace, interleaved,
// medians; the sweep's 64:4 row is checked against the replay's L1d.
//
//   npm run build && node dist/bench/sweep.js [--kind zipf|seq|real] [--records N] [--reps K] [--seed S]
//
// See bench/README.md (Sweeps).

import { BenchError, runBench } from './fail.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, KINDS, type Kind } from './gen.js';
import { packageRoot } from '../src/paths.js';

/** 12 sizes x 6 associativities: 15 per-set stacks and one fully associative stack. */
export const SWEEP_ENTRIES = '16,32,...,32768';
export const SWEEP_WAYS = '1,2,4,8,16,full';


interface Sample {
  /** The tool's own seconds (trace opened to last counter). */
  seconds: number;
  /** The process, start-up included. */
  wall: number;
  /** Replays: L1d misses of the default 64:4 LRU dTLB. */
  l1dMisses?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function run(cmd: string[]): { stdout: string; wall: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error || r.status !== 0) throw new BenchError(`${cmd.slice(1, 3).join(' ')} failed: ${r.error?.message ?? r.stderr.slice(0, 2000)}`);
  return { stdout: r.stdout, wall };
}

function replayOnce(cli: string, trace: string): Sample {
  const { stdout, wall } = run([process.execPath, cli, 'replay', trace, '--json', '--threads', '1']);
  const j = JSON.parse(stdout) as { seconds: number; tlb: { l1d: { misses: number } } };
  return { seconds: j.seconds, wall, l1dMisses: j.tlb.l1d.misses };
}

function sweepOnce(cli: string, trace: string): Sample {
  const { stdout, wall } = run([process.execPath, cli, 'sweep', trace, '--entries', SWEEP_ENTRIES, '--ways', SWEEP_WAYS]);
  const seconds = /in one pass, ([\d.]+) s$/m.exec(stdout);
  if (!seconds) throw new BenchError(`unexpected sweep output:\n${stdout.slice(0, 1000)}`);
  return { seconds: Number(seconds[1]), wall };
}

function sweepRowMisses(cli: string, trace: string): number {
  const { stdout } = run([process.execPath, cli, 'sweep', trace, '--entries', '64', '--ways', '4', '--csv', '-']);
  return Number(stdout.trim().split('\n')[1].split(',')[8]);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '10000000' },
      reps: { type: 'string', default: '5' },
      kind: { type: 'string', default: 'zipf' },
      seed: { type: 'string', default: '1' },
    },
  });
  const records = Number(values.records);
  const reps = Number(values.reps);
  const seed = Number(values.seed);
  const kind = values.kind as Kind;
  if (!KINDS.includes(kind)) throw new BenchError(`--kind must be one of ${KINDS.join(', ')}`);
  if (!Number.isSafeInteger(records) || records < 1 || !Number.isSafeInteger(reps) || reps < 1) {
    throw new BenchError('--records and --reps must be positive integers');
  }
  const root = packageRoot();
  const cli = join(root, 'dist/src/bin.js');
  if (!existsSync(cli)) throw new BenchError('dist/src/bin.js not found: run `npm run build`');
  const dir = join(root, 'bench/.data');
  mkdirSync(dir, { recursive: true });
  const trace = join(dir, `${kind}-${records}-s${seed}.log`);
  if (!existsSync(trace)) {
    process.stderr.write(`bench: generating ${relative(root, trace)}\n`);
    generate({ kind, records, seed, out: trace });
  }

  const replays: Sample[] = [];
  const sweeps: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    // Alternate which goes first (page cache, CPU frequency).
    const order = rep % 2 ? ['sweep', 'replay'] : ['replay', 'sweep'];
    for (const which of order) {
      const s = which === 'replay' ? replayOnce(cli, trace) : sweepOnce(cli, trace);
      (which === 'replay' ? replays : sweeps).push(s);
      process.stderr.write(`bench: rep ${rep + 1}/${reps} ${which}: ${s.seconds.toFixed(3)} s\n`);
    }
  }
  const expected = replays[0].l1dMisses;
  if (replays.some((s) => s.l1dMisses !== expected)) throw new BenchError('replays disagree on L1d misses');
  const got = sweepRowMisses(cli, trace);
  if (got !== expected) throw new BenchError(`COUNTERS DIFFER: sweep 64:4 row ${got} misses, replay L1d ${expected}`);

  const r = { seconds: median(replays.map((s) => s.seconds)), wall: median(replays.map((s) => s.wall)) };
  const w = { seconds: median(sweeps.map((s) => s.seconds)), wall: median(sweeps.map((s) => s.wall)) };
  console.log(`${kind}, ${records.toLocaleString('en-US')} records (seed ${seed}), median of ${reps} interleaved reps, one thread each`);
  console.log(`replay (default machine)                    ${r.seconds.toFixed(3)} s   wall ${r.wall.toFixed(3)} s`);
  console.log(`sweep --entries ${SWEEP_ENTRIES} --ways ${SWEEP_WAYS}   ${w.seconds.toFixed(3)} s   wall ${w.wall.toFixed(3)} s  (71 configurations)`);
  console.log(`sweep / replay = ${(w.seconds / r.seconds).toFixed(2)} (wall time: ${(w.wall / r.wall).toFixed(2)})`);
  console.log(`check: the sweep's 64:4 LRU row = the replay's L1d misses (${expected.toLocaleString('en-US')})`);
}

await runBench(main);
