// `replay --jobs N`: each input its own trace, replayed N at a time on worker
// threads, must give exactly what replaying each alone gives, in input order.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayEach } from '../src/jobs.js';
import { replayPaths, type ReplayRequest } from '../src/replay.js';
import { DEFAULT_MACHINE, TEXT_FORMATS, type Format } from '../src/model.js';
import { tracePath } from './answers.js';
import { randomMachine, randomTrace } from './gen.js';
import type { BadLine } from '../src/engine/core.js';

const CLI = new URL('../dist/src/bin.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'tlbscope-jobs-'));
let fileCount = 0;
function file(content: string): string {
  const path = join(tmp, `t${fileCount++}.log`);
  writeFileSync(path, content, 'latin1');
  return path;
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Base = Omit<ReplayRequest, 'paths'>;

/** Each path replayed alone on this thread: what --jobs must reproduce. */
async function oneByOne(paths: string[], base: Base) {
  const bad: Array<[string, number]> = [];
  const results = [];
  for (const path of paths) {
    results.push(await replayPaths({ ...base, paths: [path], threads: 1, onBadLine: (t, b) => bad.push([t, b.line]) }));
  }
  return { results, bad };
}

async function inJobs(paths: string[], base: Base, jobs: number) {
  const bad: Array<[string, number]> = [];
  const results = await replayEach({ ...base, paths, jobs, onBadLine: (t: string, b: BadLine) => bad.push([t, b.line]) });
  return { results, bad };
}

const view = (r: Awaited<ReturnType<typeof oneByOne>>) => ({
  results: r.results.map(({ traces, formats, stats, stopped }) => ({ traces, formats, stats, stopped })),
  bad: r.bad,
});

describe('--jobs', () => {
  const real = ['valgrind-lackey-true.log.gz', 'qemu72-user-execlog-true.log.gz', 'qemu10-system-mem-accesses-boot.csv.gz'].map(tracePath);

  it('gives each trace the results of replaying it alone, in input order, bad lines included', async () => {
    const paths = [...real];
    for (let seed = 900; seed < 906; seed++) {
      const format = TEXT_FORMATS[seed % TEXT_FORMATS.length] as Format;
      paths.splice(seed % paths.length, 0, file(randomTrace(seed, { format }).text));
    }
    const base: Base = { sizeShift: false, strict: false, machine: randomMachine(7) };
    const expected = view(await oneByOne(paths, base));
    expect(expected.bad.length).toBeGreaterThan(0);
    for (const jobs of [1, 2, 3, 16]) expect(view(await inJobs(paths, base, jobs)), `--jobs ${jobs}`).toEqual(expected);
  });

  it('throws the error of the first failing trace in input order, and runs nothing after it', async () => {
    const base: Base = { sizeShift: false, strict: false, machine: DEFAULT_MACHINE };
    const paths = [real[0], '/no/such/one', real[1], '/no/such/two', real[2]];
    await expect(inJobs(paths, base, 2)).rejects.toThrow('/no/such/one: cannot open: no such file');
    await expect(inJobs(paths, base, 1)).rejects.toThrow('/no/such/one: cannot open: no such file');
  });

  it('ends at a trace --strict stopped, whose result says so', async () => {
    const bad = file('[MEM] VA=0x1000, size=4, type=READ\nnope\n');
    const base: Base = { sizeShift: false, strict: true, machine: DEFAULT_MACHINE };
    for (const jobs of [1, 2]) {
      const { results } = await inJobs([real[1], bad, real[0]], base, jobs);
      expect(results.map((r) => [r.traces[0], r.stopped])).toEqual([[real[1], false], [bad, true]]);
    }
  });

  it('CLI: one summary per trace in input order, or a JSON array; stdin refused', () => {
    const text = run(['replay', real[1], real[0], '--jobs', '2']);
    expect(text.code).toBe(0);
    const heads = text.stdout.split('\n').filter((l) => l.startsWith(tracePath('')));
    expect(heads.map((l) => l.split(' ')[0])).toEqual([real[1], real[0]]);
    expect(text.stdout).toContain(run(['replay', real[0]]).stdout.split('\n').slice(1).join('\n'));

    const json = run(['replay', real[1], real[0], '--jobs', 'auto', '--json']);
    const reports = JSON.parse(json.stdout);
    expect(reports.map((r: { trace: string; records: number }) => [r.trace, r.records])).toEqual([[real[1], 87286], [real[0], 145835]]);

    const stdin = run(['replay', '-', '--jobs', '2']);
    expect([stdin.code, stdin.stderr]).toEqual([2, 'tlbscope: --jobs replays files: stdin (-) cannot be one of several separate traces\n']);
    expect(run(['replay', real[0], '--jobs', '0']).stderr).toBe("tlbscope: --jobs '0': expected auto or a number from 1 to 256\n");
  });

  it('CLI: --csv writes each trace\'s files and summary.csv and faults.csv of all traces, rows in input order', () => {
    const dir = join(tmp, 'csv');
    expect(run(['replay', real[1], real[0], '--jobs', '2', '--csv', dir]).code).toBe(0);
    for (const name of ['summary.csv', 'faults.csv']) {
      const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');
      const first = lines(join(dir, `1-${real[1].split('/').pop()}`, name));
      const second = lines(join(dir, `2-${real[0].split('/').pop()}`, name));
      expect(first[0], name).toBe(second[0]);
      expect(lines(join(dir, name)), name).toEqual([first[0], ...first.slice(1), ...second.slice(1)]);
    }
  });
});
