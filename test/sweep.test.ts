// tlbscope sweep: every row equals the replay of its one configuration
// (docs/sweep.md), on random traces and on real ones; levels without a
// replay equivalent (unified, 2M and 1G pages) against a direct simulation
// with the reference model's Tlb; sampling's error on a real trace.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayCore } from '../src/engine/core.js';
import { bufferSource } from '../src/input/source.js';
import { DEFAULT_MACHINE, POLICIES, type DecodeOptions, type MachineConfig, type Policy } from '../src/model.js';
import { runSweep, type SweepRow } from '../src/sweep/run.js';
import { grid, parseEntries, parseWays, type PageSize, type SweepLevel, type SweepRequest } from '../src/sweep/request.js';
import { plan } from '../src/sweep/plan.js';
import { readTrace, tracePath } from './answers.js';
import { Rng, randomMachine, randomTrace } from './gen.js';
import { referenceSweepRow } from './sweep-reference.js';

const tmp = mkdtempSync(join(tmpdir(), 'tlbscope-sweep-'));
let files = 0;

function traceFile(text: string): string {
  const path = join(tmp, `t${files++}.log`);
  writeFileSync(path, Buffer.from(text, 'latin1'));
  return path;
}

/** The replay whose counts a row of this level must equal (docs/sweep.md). */
function replayMachine(machine: MachineConfig, row: SweepRow): MachineConfig {
  const geometry = { entries: row.entries, ways: row.ways };
  const base = { ...machine, levelPolicies: { ...machine.levelPolicies } };
  switch (row.level) {
    case 'l1d':
      return { ...base, l1d: geometry, l2: null, levelPolicies: { ...base.levelPolicies, l1d: row.policy } };
    case 'l1i':
      return { ...base, l1i: geometry, l2: null, levelPolicies: { ...base.levelPolicies, l1i: row.policy } };
    case 'l2':
      return { ...base, l2: geometry, levelPolicies: { ...base.levelPolicies, l2: row.policy } };
    case 'unified':
      throw new Error('no replay has a unified TLB');
  }
}

async function replayedCounts(bytes: Buffer, decode: DecodeOptions, machine: MachineConfig, row: SweepRow) {
  const { stats } = await replayCore(bufferSource('t', bytes), { decode, machine: replayMachine(machine, row) });
  const level = row.level === 'l2' ? stats.tlb.l2! : stats.tlb[row.level as 'l1d' | 'l1i'];
  return { lookups: level.lookups, misses: level.misses };
}

const rowView = (r: SweepRow) => ({ lookups: r.lookups, misses: r.misses });
const label = (r: SweepRow) => `${r.level} ${r.pageSize} ${r.policy} ${r.entries}:${r.ways}`;

/** Checks every row against its replay (4K, levels with one) or the direct simulation. */
async function checkRows(text: string, decode: DecodeOptions, machine: MachineConfig, rows: SweepRow[], context: string) {
  const bytes = Buffer.from(text, 'latin1');
  for (const row of rows) {
    const expected =
      row.level === 'unified' || row.pageSize !== '4K'
        ? referenceSweepRow(text, decode, machine, row)
        : await replayedCounts(bytes, decode, machine, row);
    expect(rowView(row), `${context}: ${label(row)}`).toEqual(expected);
    expect(row.missRate).toBe(row.lookups === 0 ? 0 : row.misses / row.lookups);
  }
}

function request(path: string, decode: DecodeOptions, machine: MachineConfig, over: Partial<SweepRequest>): SweepRequest {
  return {
    paths: [path],
    format: decode.format,
    sizeShift: decode.sizeShift,
    strict: false,
    levels: ['l1d'],
    pageSizes: ['4K'],
    policies: ['lru'],
    entries: [16, 32, 64],
    ways: [1, 2, 4, 'full'],
    machine,
    ...over,
  };
}

/** A machine whose L1s suit every policy (power-of-two ways for plru). */
function sweepMachine(seed: number): MachineConfig {
  const m = randomMachine(seed);
  const pow2 = (g: { entries: number; ways: number }) => ((g.ways & (g.ways - 1)) === 0 ? g : { entries: 4, ways: 2 });
  return { ...m, l1d: pow2(m.l1d), l1i: pow2(m.l1i) };
}

function randomGrid(rng: Rng): Pick<SweepRequest, 'entries' | 'ways' | 'policies' | 'levels'> {
  const pickSome = <T>(items: readonly T[], n: number) => [...items].sort(() => rng.next() - 0.5).slice(0, n);
  const policies: Policy[] = rng.chance(0.5) ? ['lru'] : pickSome(POLICIES, rng.int(1, 4));
  return {
    entries: pickSome([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64], rng.int(2, 5)).sort((a, b) => a - b),
    // 1 way or full: never an empty grid.
    ways: [...pickSome([2, 3, 4, 8] as const, rng.int(0, 3)), ...pickSome([1, 'full'] as const, rng.int(1, 2))],
    policies,
    levels: pickSome(['l1d', 'l1i', 'l2', 'unified'] as const, rng.int(1, 4)),
  };
}


/** The trace on CPU 0 only: a sweep models one CPU (docs/sweep.md), replay gives each its own TLBs. */
function oneCpu<T extends { text: string; format: string }>(trace: T): T {
  const text = trace.text.replace(/vcpu=\d+/g, 'vcpu=0').replace(trace.format === 'execlog' ? /^\d+,/gm : /$^/, '0,');
  return { ...trace, text };
}

describe('sweep rows equal individual replays', () => {
  const SEEDS = 120;
  it(`on ${SEEDS} random traces, machines and grids (4K pages)`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const trace = oneCpu(randomTrace(seed * 13, { lines: 600 }));
      const machine = sweepMachine(seed);
      const decode = { format: trace.format, sizeShift: trace.sizeShift };
      const rng = new Rng(seed);
      const req = request(traceFile(trace.text), decode, machine, randomGrid(rng));
      const result = await runSweep(req);
      expect(result.rows.length).toBe(grid(req).configs.length);
      await checkRows(trace.text, decode, machine, result.rows, `seed ${seed} ${JSON.stringify(machine)}`);
    }
  });

  it('under heavy invalidation, flushes and context switches (the holes of the LRU stacks)', async () => {
    // Few pages, many [INVLPG]s: invalid ways inside every stack, at every depth.
    for (let seed = 1; seed <= 24; seed++) {
      const rng = new Rng(seed * 7 + 3);
      const pages = rng.int(3, 40);
      const spaces = rng.int(1, 3);
      const lines: string[] = [];
      for (let i = 0; i < 800; i++) {
        const page = rng.int(0, pages - 1);
        const r = rng.next();
        if (r < 0.2) lines.push(`[INVLPG] VA=0x${(page << 12).toString(16)}`);
        else if (r < 0.22) lines.push('[TLB_FLUSH]');
        else if (r < 0.26) lines.push(`[CR3] 0x${(0x1000 * rng.int(1, spaces)).toString(16)}`);
        else lines.push(`[MEM] VA=0x${((page << 12) | rng.int(0, 4095)).toString(16)}, size=${rng.pick([1, 8])}, type=${rng.pick(['READ', 'WRITE', 'FETCH'])}`);
      }
      const text = lines.join('\n') + '\n';
      const decode = { format: 'mem', sizeShift: false } as const;
      const machine: MachineConfig = { ...DEFAULT_MACHINE, pcid: rng.chance(0.5) };
      const req = request(traceFile(text), decode, machine, {
        levels: ['l1d', 'l2', 'unified'],
        // 48:24 and 40:20: stacks deeper than 16 ways (the slot-at-a-time path).
        entries: [1, 2, 3, 4, 6, 8, 12, 16, 32, 40, 48],
        ways: [1, 2, 3, 4, 20, 24, 'full'],
        policies: ['lru', 'fifo'],
      });
      await checkRows(text, decode, machine, (await runSweep(req)).rows, `seed ${seed}`);
    }
  });

  it('over a long trace, where the stack renumbers its positions with holes in it', async () => {
    const rng = new Rng(4242);
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const page = Math.floor(rng.next() ** 2 * 3000);
      if (rng.chance(0.05)) lines.push(`[INVLPG] VA=0x${(page << 12).toString(16)}`);
      else if (rng.chance(0.0005)) lines.push('[TLB_FLUSH]');
      else lines.push(`[MEM] VA=0x${(page << 12).toString(16)}, size=4, type=READ`);
    }
    const text = lines.join('\n') + '\n';
    const decode = { format: 'mem', sizeShift: false } as const;
    const req = request(traceFile(text), decode, DEFAULT_MACHINE, { entries: [1, 5, 64, 700, 2048], ways: ['full'] });
    await checkRows(text, decode, DEFAULT_MACHINE, (await runSweep(req)).rows, 'long trace');
  });
});

describe('sweep on real traces', () => {
  it('equals replay row for row on the default grid (QEMU execlog of /bin/true)', async () => {
    const name = 'qemu72-user-execlog-true.log.gz';
    const decode = { format: 'execlog', sizeShift: false } as const;
    const req = request(tracePath(name), decode, DEFAULT_MACHINE, {
      levels: ['l1d', 'l1i', 'l2'],
      entries: parseEntries('16,32,...,4096'),
      ways: parseWays('1,2,4,8,16,full'),
    });
    const result = await runSweep(req);
    expect(result.rows.length).toBe(3 * (9 * 6 - 1));
    expect(result.instructions).toBe(87_286);
    await checkRows(readTrace(name), decode, DEFAULT_MACHINE, result.rows, name);
  });

  it('equals replay with context switches, PCID on and off, every policy (QEMU system mode, fork)', async () => {
    const name = 'qemu10-system-seed-fork-user-pa.log.gz';
    const decode = { format: 'mem', sizeShift: false } as const;
    for (const pcid of [false, true]) {
      const machine = { ...DEFAULT_MACHINE, pcid };
      const req = request(tracePath(name), decode, machine, {
        levels: ['l1d', 'l1i', 'l2', 'unified'],
        policies: [...POLICIES],
        entries: [4, 8, 16, 64, 256],
        ways: [1, 2, 4, 'full'],
      });
      await checkRows(readTrace(name), decode, machine, (await runSweep(req)).rows, `${name} pcid ${pcid}`);
    }
  });
});

describe('huge pages', () => {
  it('2M and 1G rows equal a direct simulation at that page size', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      // Addresses spread over a few GiB so that 2M and 1G pages differ.
      const rng = new Rng(seed + 500);
      const lines: string[] = [];
      for (let i = 0; i < 500; i++) {
        const va = BigInt(rng.int(0, 7)) * (1n << 30n) + BigInt(rng.int(0, 30)) * (1n << 21n) + BigInt(rng.int(0, (1 << 21) - 1));
        if (rng.chance(0.03)) lines.push(`[INVLPG] VA=0x${va.toString(16)}`);
        else lines.push(`[MEM] VA=0x${va.toString(16)}, size=${rng.pick([1, 8, 16])}, type=${rng.pick(['READ', 'FETCH'])}`);
      }
      const text = lines.join('\n') + '\n';
      const decode = { format: 'mem', sizeShift: false } as const;
      const machine = sweepMachine(seed);
      const req = request(traceFile(text), decode, machine, {
        pageSizes: ['4K', '2M', '1G'],
        levels: ['l1d', 'l1i', 'l2', 'unified'],
        policies: ['lru', 'random'],
        entries: [1, 2, 4, 8, 16],
        ways: [1, 2, 'full'],
      });
      await checkRows(text, decode, machine, (await runSweep(req)).rows, `seed ${seed}`);
    }
  });

  it('crossings of a 2M boundary are two lookups, and random traces agree at every size', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const trace = oneCpu(randomTrace(seed * 31, { lines: 400 }));
      const decode = { format: trace.format, sizeShift: trace.sizeShift };
      const machine = sweepMachine(seed + 1000);
      const rng = new Rng(seed + 77);
      const pageSizes: PageSize[] = [rng.pick(['2M', '1G'] as const)];
      const req = request(traceFile(trace.text), decode, machine, { ...randomGrid(rng), pageSizes });
      await checkRows(trace.text, decode, machine, (await runSweep(req)).rows, `seed ${seed}`);
    }
  });

  it('2M and 1G rows equal replay --huge', async () => {
    const name = 'qemu72-user-execlog-true.log.gz';
    const decode = { format: 'execlog', sizeShift: false } as const;
    const bytes = Buffer.from(readTrace(name), 'latin1');
    for (const pageSize of ['2M', '1G'] as const) {
      const req = request(tracePath(name), decode, DEFAULT_MACHINE, { levels: ['l1d', 'l1i', 'l2'], pageSizes: [pageSize], entries: [1, 2, 4, 8], ways: [1, 2, 'full'] });
      for (const row of (await runSweep(req)).rows) {
        const machine: MachineConfig = { ...DEFAULT_MACHINE, pageSize };
        expect(rowView(row), label(row)).toEqual(await replayedCounts(bytes, decode, machine, row));
      }
    }
  });
});

describe('sampling (--sample)', () => {
  it('estimates the curve of a real trace within the error docs/sweep.md states', async () => {
    // QEMU system mode, fork and exec with the kernel: the largest real trace.
    const name = 'qemu10-system-seed-fork-kernel-user-pa.log.gz';
    const decode = { format: 'mem', sizeShift: false } as const;
    const req = request(tracePath(name), decode, DEFAULT_MACHINE, {
      levels: ['l1d', 'l1i'],
      policies: ['lru', 'fifo'],
      entries: parseEntries('16,32,...,4096'),
      ways: [1, 4, 'full'],
    });
    const exact = (await runSweep(req)).rows;
    const sampled = (await runSweep({ ...req, sample: 0.1 })).rows;
    expect(sampled.length).toBe(exact.length);
    const errors = sampled.map((row, i) => {
      expect(label(row)).toBe(label(exact[i]));
      // Every lookup is counted, sampled or not.
      expect(row.lookups).toBe(exact[i].lookups);
      // TLBs of at most 32 sets (or fully associative ones whose smallest size is 16) see every page.
      if (row.sets <= 32 || row.sets === 1) {
        expect(row.sampleRate).toBe(1);
        expect(row.misses, label(row)).toBe(exact[i].misses);
      } else {
        expect(row.sampleRate).toBeLessThan(1);
        expect(row.sampleRate).toBeGreaterThanOrEqual(0.099);
      }
      return Math.abs(row.missRate - exact[i].missRate);
    });
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    // Measured: mean 0.086, largest 2.96 percentage points (docs/sweep.md).
    expect(mean).toBeLessThan(0.0015);
    expect(Math.max(...errors)).toBeLessThan(0.04);
    expect(errors.filter((e) => e > 0).length).toBeGreaterThan(0); // some rows were estimated
  });
});

describe('sweep plan', () => {
  it('uses one stack per stream for every fully associative LRU size, one per set count otherwise', () => {
    const req = { levels: ['l1d'] as SweepLevel[], pageSizes: ['4K'] as PageSize[], policies: ['lru', 'fifo'] as Policy[], entries: parseEntries('16,32,...,4096'), ways: parseWays('1,2,4,8,16,full') };
    const p = plan(grid(req).configs);
    const kinds = p.streams[0].structures.map((s) => s.kind);
    // LRU: 1 fully associative stack + one per set count (16/1 .. 4096/1 and the rest: 2^0 .. 2^12 sets, less the one-set count).
    expect(kinds.filter((k) => k === 'full').length).toBe(1);
    expect(kinds.filter((k) => k === 'sets').length).toBe(12);
    expect(kinds.filter((k) => k === 'direct').length).toBe(9 * 6 - 1);
  });

  it('reads lists with progressions', () => {
    expect(parseEntries('16,32,...,4096')).toEqual([16, 32, 64, 128, 256, 512, 1024, 2048, 4096]);
    expect(parseEntries('8,16,24,...,48')).toEqual([8, 16, 24, 32, 40, 48]);
    expect(parseEntries('12,24,...,96,1536')).toEqual([12, 24, 48, 96, 1536]);
    expect(() => parseEntries('16,32,...,100')).toThrow(/not on the progression/);
    expect(() => parseEntries('16,...,64')).toThrow(/two numbers before it/);
    expect(parseWays('full,4,1')).toEqual([1, 4, 'full']);
  });
});

describe('tlbscope sweep (the built CLI)', () => {
  const CLI = new URL('../dist/src/bin.js', import.meta.url).pathname;
  const BUNDLED = new URL('../traces/qemu72-user-execlog-true.log.gz', import.meta.url).pathname;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'sweep', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('prints the grid, writes the CSV and the figures', async () => {
    const csv = join(tmp, 'sweep.csv');
    const svg = join(tmp, 'sweep.svg');
    const png = join(tmp, 'sweep.png');
    const r = run([BUNDLED, '--entries', '16,32,...,256', '--ways', '1,4,full', '--policy', 'lru,fifo', '--csv', csv, '--plot', svg]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/execlog, 87,286 records, 30 TLB configurations in one pass/);
    expect(r.stdout).toMatch(/^L1 dTLB, 4K pages, LRU: miss rate by entries and ways, 32,141 lookups$/m);
    expect(r.stdout).toMatch(/^entries\s+1-way\s+4-way\s+full$/m);
    // 64:4 LRU is the default L1d: 79 misses of 32,141 (README).
    expect(r.stdout).toMatch(/^\s+64\s+\S+\s+0\.246%\s+\S+$/m);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('trace,level,policy,page_size,entries,ways,sets,lookups,misses,miss_rate,mpki');
    expect(lines.length).toBe(31);
    const row = lines.find((l) => /,l1d,lru,4K,64,4,16,/.test(l))!.split(',');
    expect(row.slice(7).map(Number)).toEqual([32141, 79, 79 / 32141, (79 * 1000) / 87286]);
    const picture = readFileSync(svg, 'utf8');
    expect(picture).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const text of ['TLB entries (log scale)', 'miss rate (%)', '1-way, LRU', '4-way, FIFO', 'fully assoc., LRU']) expect(picture).toContain(text);
    expect(run([BUNDLED, '--entries', '16,32', '--plot', png]).code).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('puts the CSV on stdout with --csv -, sampled rows with their rate', () => {
    const r = run([BUNDLED, '--level', 'l1i', '--entries', '64,2048', '--ways', '1', '--sample', '0.5', '--csv', '-']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/,mpki,sample_rate$/);
    expect(lines.slice(1).map((l) => l.split(',').slice(1, 7).join(',') + ' ' + l.split(',').at(-1))).toEqual([
      'l1i,lru,4K,64,1,64 0.5',
      'l1i,lru,4K,2048,1,2048 0.5',
    ]);
  });

  it('refuses a trace that names a second CPU', async () => {
    const file = traceFile('[MEM] VA=0x1000, size=4, type=READ\n[MEM] VA=0x1000, size=4, type=READ, vcpu=1\n');
    await expect(runSweep(request(file, { format: 'mem', sizeShift: false }, DEFAULT_MACHINE, { entries: [16], ways: [4] }))).rejects.toThrow(
      /sweep models one CPU, and the trace names CPU 1/,
    );
  });

  it('says what is wrong in one line, exit code 2', () => {
    for (const [args, message] of [
      [['--entries', '16,32,...,100'], /--entries '16,32,...,100': 100 is not on the progression 16, 32/],
      [['--ways', 'many'], /--ways 'many': 'many' is not a whole number/],
      [['--level', 'l3'], /--level 'l3': 'l3' is not one of l1d, l1i, l2, unified/],
      [['--page-size', '4M'], /--page-size '4M': '4M' is not one of 4K, 2M, 1G/],
      [['--sample', '0'], /--sample '0': expected a rate above 0 and at most 1/],
      [['--plot', 'out.pdf'], /--plot 'out.pdf': the file name must end in .svg or .png/],
      [['--entries', '4', '--ways', '8'], /no TLB in the sweep/],
      [['--l1d', '48:3', '--l1d-policy', 'plru', '--level', 'l2'], /--l1d 48:3: plru needs a power-of-two number of ways/],
    ] as const) {
      const r = run([BUNDLED, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^tlbscope: ${message.source}`));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const missing = run(['no-such-trace.log']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^tlbscope: .*no-such-trace\.log/);
  });
});
