// The report files a researcher takes away, from the built CLI on real
// traces: CSV that a CSV parser reads as it is, with per-frame and per-page
// counts equal to the reference model's; JSON valid against the schema in
// docs/; heatmaps as SVG, PNG (text drawn) and in the terminal; the progress
// line; and the errors of bad report options.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { decode } from 'fast-png';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MACHINE, type Stats } from '../src/model.js';
import { referenceReplay } from '../src/reference/replay.js';
import { pfnGrid, vpnGrid } from '../src/report/heatmap-data.js';
import { terminalHeatmap } from '../src/report/terminal.js';
import { progressLine } from '../src/report/progress.js';
import { intervalWindows } from '../src/report/windows.js';
import { readTrace, readmeTable, tracePath } from './answers.js';

const CLI = new URL('../dist/src/bin.js', import.meta.url).pathname;
const BUNDLED = new URL('../traces/qemu72-user-execlog-true.log.gz', import.meta.url).pathname;
const SCHEMA = JSON.parse(readFileSync(new URL('../docs/tlbscope-report.schema.json', import.meta.url), 'utf8'));
/** System mode, several address spaces named by CR3, physical addresses in the trace. */
const SYSTEM = 'qemu10-system-seed-fork-user-pa.log.gz';
const tmp = mkdtempSync(join(tmpdir(), 'tlbscope-reports-'));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Row = Record<string, string>;
const csv = (path: string): Row[] => parse(readFileSync(path), { columns: true });
const numbers = (rows: Row[], columns: string[]) => rows.map((r) => Object.fromEntries(columns.map((c) => [c, Number(r[c])])));

function reference(file: string): Stats {
  const row = readmeTable().find((r) => r.file === file)!;
  return referenceReplay(readTrace(file), { format: row.format, sizeShift: row.sizeShift }, DEFAULT_MACHINE, { pages: true, interval: 2000 });
}

describe('--csv', () => {
  const dir = join(tmp, 'csv-system');
  const r = run(['replay', tracePath(SYSTEM), '--csv', dir, '--interval', '2000']);
  const expected = reference(SYSTEM);

  it('writes every file, each announced on stderr', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['faults.csv', 'intervals.csv', 'pfn.csv', 'summary.csv', 'trace-pfn.csv', 'vpn.csv']);
    for (const f of readdirSync(dir)) expect(r.stderr).toContain(`wrote ${join(dir, f)}`);
  });

  it('pfn.csv: per-frame counts equal the reference model', () => {
    const rows = csv(join(dir, 'pfn.csv'));
    expect(Object.keys(rows[0])).toEqual(['pfn', 'translations', 'reads', 'writes', 'fetches']);
    expect(numbers(rows, ['pfn', 'translations', 'reads', 'writes', 'fetches'])).toEqual(expected.pfn);
  });

  it('vpn.csv: per-page counts and space names equal the reference model', () => {
    const rows = csv(join(dir, 'vpn.csv'));
    expect(Object.keys(rows[0])).toEqual(['space', 'cr3', 'vpn', 'va', 'pfn', 'translations', 'reads', 'writes', 'fetches']);
    expect(numbers(rows, ['space', 'vpn', 'pfn', 'translations', 'reads', 'writes', 'fetches'])).toEqual(expected.vpn!.pages);
    const names = new Map(expected.vpn!.spaces.map((s) => [s.space, s.cr3 ?? '']));
    expect(new Set(rows.map((r) => r.space)).size).toBeGreaterThan(1);
    for (const row of rows) {
      expect(row.cr3).toBe(names.get(Number(row.space)));
      expect(BigInt(row.va)).toBe(BigInt(row.vpn) << 12n);
    }
  });

  it('trace-pfn.csv: the trace frames; summary.csv and faults.csv: one row per level and kind, with the config', () => {
    expect(numbers(csv(join(dir, 'trace-pfn.csv')), ['pfn', 'accesses']).map((r) => [r.pfn, r.accesses])).toEqual(expected.physicalPfn);
    const summary = csv(join(dir, 'summary.csv'));
    expect(summary.map((r) => r.level)).toEqual(['L1d', 'L1i', 'L2']);
    for (const row of summary) {
      const l = expected.tlb[row.level.toLowerCase() as 'l1d'];
      expect([Number(row.lookups), Number(row.hits), Number(row.misses)]).toEqual([l.lookups, l.hits, l.misses]);
      // No lookups (this trace has no fetches): no rate, an empty cell.
      expect(row.miss_rate).toBe(l.lookups === 0 ? '' : String(l.misses / l.lookups));
      expect(row).toMatchObject({ trace: tracePath(SYSTEM), format: 'mem', l1d: '64:4', l2: '1536:12', paging: 'x86-64', pcid: 'false' });
    }
    const faults = csv(join(dir, 'faults.csv'));
    const observed = faults.filter((f) => f.kind === 'observed');
    expect(observed.reduce((n, f) => n + Number(f.count), 0)).toBe(expected.faults.observed);
    expect(Object.fromEntries(observed.map((f) => [f.reason, Number(f.count)]))).toEqual(expected.faults.observedByReason);
    expect(faults.find((f) => f.kind === 'minor')!.count).toBe(String(expected.faults.minor));
  });

  it('intervals.csv: per-window deltas of the reference snapshots, summing to the totals', () => {
    const rows = csv(join(dir, 'intervals.csv'));
    const windows = intervalWindows(expected.intervals!.snapshots);
    expect(rows.length).toBe(windows.length);
    expect(rows.length).toBeGreaterThan(3);
    rows.forEach((row, i) => {
      const w = windows[i];
      expect([row.first_record, row.last_record, row.records, row.l1d_misses, row.l2_lookups, row.walks, row.minor_faults].map(Number)).toEqual([
        w.firstRecord, w.lastRecord, w.records, w.l1dMisses, w.l2Lookups, w.walks, w.minorFaults,
      ]);
    });
    const sum = (c: string) => rows.reduce((n, r) => n + Number(r[c]), 0);
    expect(sum('records')).toBe(expected.records);
    expect(sum('l1d_misses')).toBe(expected.tlb.l1d.misses);
    expect(sum('walks')).toBe(expected.walks.count);
  });

  it('--l2 none: empty L2 cells, not zeros', () => {
    const d = join(tmp, 'csv-nol2');
    expect(run(['replay', BUNDLED, '--csv', d, '--interval', '50000', '--l2', 'none']).code).toBe(0);
    expect(csv(join(d, 'summary.csv')).map((r) => r.level)).toEqual(['L1d', 'L1i']);
    for (const row of csv(join(d, 'intervals.csv'))) expect([row.l2_lookups, row.l2_miss_rate]).toEqual(['', '']);
  });
});

describe('--json against docs/tlbscope-report.schema.json', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(SCHEMA);
  const cases: Array<[string, string[]]> = [
    ['the default replay', [BUNDLED]],
    ['pages and intervals', [BUNDLED, '--json-pages', '--interval', '10000']],
    ['no L2, page-walk caches, LA57, PCID', [BUNDLED, '--l2', 'none', '--pwc', 'default', '--paging', 'la57', '--pcid']],
    ['system mode with observed faults and trace frames', [tracePath(SYSTEM), '--json-pages', '--interval', '7000']],
  ];
  it.each(cases)('%s', (_name, args) => {
    const r = run(['replay', ...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(validate(j), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('rejects what the schema does not describe (it is not a rubber stamp)', () => {
    const j = JSON.parse(run(['replay', BUNDLED, '--json']).stdout);
    expect(validate({ ...j, records: 1.5 })).toBe(false);
    expect(validate({ ...j, surprise: 1 })).toBe(false);
    const { tlb: _tlb, ...noTlb } = j;
    expect(validate(noTlb)).toBe(false);
  });

  it('--json FILE writes the file; a trace after --json is still a trace', () => {
    const out = join(tmp, 'r.json');
    const r = run(['replay', BUNDLED, '--json', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^traces\/|records in/m); // the summary still goes to stdout
    expect(JSON.parse(readFileSync(out, 'utf8')).records).toBe(87286);
    const swapped = run(['replay', '--json', BUNDLED]);
    expect(swapped.code, swapped.stderr).toBe(0);
    expect(JSON.parse(swapped.stdout).records).toBe(87286);
  });

  it('per-frame counts in the JSON equal the reference model on every page-table mode', () => {
    const text = readTrace('qemu72-user-execlog-true.log.gz');
    for (const paging of ['x86-32', 'la57'] as const) {
      const j = JSON.parse(run(['replay', BUNDLED, '--json', '--json-pages', '--paging', paging]).stdout);
      const ref = referenceReplay(text, { format: 'execlog', sizeShift: false }, { ...DEFAULT_MACHINE, paging }, { pages: true });
      expect(j.pfn).toEqual(ref.pfn);
      expect(j.vpn).toEqual(ref.vpn!.pages);
      expect(j.spaces).toEqual(ref.vpn!.spaces);
    }
  });
});

describe('heatmaps', () => {
  it('SVG: a title naming the trace and machine, row labels, a legend, the grid as an image', () => {
    const out = join(tmp, 'h.svg');
    expect(run(['replay', BUNDLED, '--heatmap', out, '--heatmap-count', 'reads']).code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('PFN heatmap: read translations per frame (log scale)');
    expect(svg).toContain(BUNDLED);
    expect(svg).toContain('L1d 64:4 LRU, L1i 128:8 LRU, L2 1536:12 LRU');
    expect(svg).toContain('>0x100</text>');
    expect(svg).toMatch(/href="data:image\/png;base64,/);
  });

  it('PNG: rendered at twice the SVG size, with text drawn (dark pixels in the title) and viridis cells', () => {
    const out = join(tmp, 'h.png');
    expect(run(['replay', BUNDLED, '--heatmap', out]).code).toBe(0);
    const png = decode(readFileSync(out));
    const svg = readFileSync(join(tmp, 'h.svg'), 'utf8');
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    expect(png.width).toBe(2 * width);
    const pixel = (x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * png.channels, (y * png.width + x) * png.channels + 3));
    // The title's band (y 8-28 in SVG units): some near-black text pixels.
    let dark = 0;
    for (let y = 16; y < 56; y++) for (let x = 20; x < 600; x++) if (pixel(x, y).every((c) => c < 80)) dark++;
    expect(dark).toBeGreaterThan(200);
  });

  it('the terminal: characters without colour (NO_COLOR / not a TTY), a legend, every frame counted', () => {
    const r = run(['heatmap', BUNDLED]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout).toMatch(/^PFN heatmap: translations per frame/);
    expect(r.stdout).toMatch(/^ *0x100 /m);
    expect(r.stdout).toMatch(/\. 0 +- >=1/);
    expect(r.stdout).toContain('133 counted, total 119,427');
    expect(run(['heatmap', BUNDLED, '--vpn']).stdout).toMatch(/^VPN heatmap/);
  });

  it('the terminal with colour: 24-bit half blocks', () => {
    const stats = referenceReplay(readTrace('qemu72-user-execlog-true.log.gz'), { format: 'execlog', sizeShift: false }, DEFAULT_MACHINE, { pages: true });
    const grid = pfnGrid(stats, { count: 'translations', width: 32 });
    const text = terminalHeatmap(grid, 'trace', { color: true, columns: 80, lines: 30 });
    expect(text).toMatch(/\x1b\[38;2;\d+;\d+;\d+m\x1b\[48;2;\d+;\d+;\d+m\u2580/);
    expect(grid.total).toBe(stats.tlb.l1d.lookups + stats.tlb.l1i.lookups);
  });

  it('layout: cells in PFN order, large ranges summed per cell, VPN regions on their own rows', () => {
    const stats = referenceReplay(readTrace(SYSTEM), { format: 'mem', sizeShift: false }, DEFAULT_MACHINE, { pages: true });
    const grid = pfnGrid(stats, { count: 'writes', width: 16 });
    for (const f of stats.pfn) {
      const r = grid.rows.findIndex((row) => row.start <= f.pfn && f.pfn < row.start + 16);
      expect(grid.values[r * 16 + (f.pfn - grid.rows[r].start)]).toBe(f.writes);
    }
    const small = pfnGrid(stats, { count: 'translations', width: 16, maxRows: 4 });
    expect(small.rows.length).toBeLessThanOrEqual(4);
    expect(small.perCell).toBeGreaterThan(1);
    expect(small.total).toBe(grid.total + stats.pfn.reduce((n, f) => n + f.reads + f.fetches, 0));
    const vpn = vpnGrid(stats, { count: 'translations', width: 64 });
    expect(vpn.total).toBe(stats.vpn!.pages.reduce((n, p) => n + p.translations, 0));
    expect(vpn.rows.filter((r) => r.breakBefore).length).toBeGreaterThan(1);
  });

  it('--pfn-range keeps the frames asked for', () => {
    const out = run(['heatmap', BUNDLED, '--pfn-range', '0x100+32', '--heatmap-width', '16']).stdout;
    expect(out.split('\n').filter((l) => /^ *0x1[0-9a-f]0 /.test(l))).toHaveLength(2);
  });
});

describe('progress and report errors', () => {
  it('the progress line: bar, bytes, records/s and ETA', () => {
    expect(progressLine({ bytes: 50e6, total: 200e6, records: 3e6 }, 2, 100)).toMatch(
      /^\[#{10}\.{30}\]  25%  50\.0\/200\.0 MB  1\.50 M rec\/s  ETA 0:06$/,
    );
    expect(progressLine({ bytes: 5e6, total: null, records: 1e6 }, 1, 100)).toBe('5.0 MB  1.00 M rec/s');
  });

  it('no progress bar when stderr is not a terminal', () => {
    expect(run(['replay', BUNDLED]).stderr).toBe('');
  });

  it.each([
    [['--heatmap', 'x.jpg'], /--heatmap 'x\.jpg': the file must end in \.png or \.svg/],
    [['--interval', '0'], /--interval '0': expected a whole number of records/],
    [['--heatmap-count', 'misses'], /--heatmap-count 'misses': expected one of translations, reads, writes, fetches, trace/],
    [['--pfn-range', '9-3'], /--pfn-range '9-3': the range is empty/],
    [['--json', '--heatmap', '-'], /--json and --heatmap - both write to stdout/],
    [['--vpn-heatmap', join(tmp, 'v.png'), '--heatmap-count', 'trace'], /counts physical frames: it has no virtual pages/],
    [['--csv', join(BUNDLED, 'sub')], /--csv .*qemu72-user-execlog-true\.log\.gz\/sub: cannot create the directory/],
  ])('%j: one line, exit code 2', (args, message) => {
    const r = run(['replay', BUNDLED, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
