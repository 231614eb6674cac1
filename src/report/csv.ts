// --csv DIR: tidy CSV files, one observation per row, every column defined
// in docs/csv.md. summary, faults and intervals rows carry the trace and
// every configuration field, so the files of many runs concatenate.

import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { UserError } from '../errors.js';
import type { MachineConfig, TlbLevel } from '../model.js';
import type { ReplayResult } from '../replay.js';
import { configFields } from './describe.js';
import { intervalWindows, rate } from './windows.js';

type Row = Record<string, string | number | boolean | null>;

const CAST = {
  boolean: (v: boolean) => (v ? 'true' : 'false'),
  // Full precision, never exponent notation for the counts (all below 2^53).
  number: (v: number) => (Number.isInteger(v) ? v.toFixed(0) : String(v)),
};

async function writeCsv(path: string, columns: string[], rows: Iterable<Row>): Promise<void> {
  const out = createWriteStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new UserError(`${path}: cannot write: ${(err as Error).message}`);
  }
  const csv = stringify({ header: true, columns, cast: CAST });
  csv.pipe(out);
  for (const row of rows) {
    if (!csv.write(row)) await new Promise((resolve) => csv.once('drain', resolve));
  }
  csv.end();
  await finished(out);
}

/** misses per 1000 instructions (fetches), or null when the trace has no fetches. */
export function mpki(misses: number, fetches: number): number | null {
  return fetches === 0 ? null : (1000 * misses) / fetches;
}

interface Table {
  name: string;
  columns: string[];
  rows: Row[];
}

/** summary.csv and faults.csv of one run: their rows concatenate across runs (each names its trace and config). */
function runTables(result: ReplayResult, machine: MachineConfig, sizeShift: boolean): Table[] {
  const s = result.stats;
  const run = { trace: result.traces.join(' + '), format: [...new Set(result.formats)].join('+') };
  const config = configFields(machine, sizeShift);
  const configColumns = Object.keys(config);
  const levels: Array<[TlbLevel, string]> = [['l1d', 'L1d'], ['l1i', 'L1i'], ['l2', 'L2']];
  const summary: Table = {
    name: 'summary.csv',
    columns: ['trace', 'format', 'records', 'level', 'entries', 'ways', 'policy', 'lookups', 'hits', 'misses', 'miss_rate', 'mpki', ...configColumns],
    rows: levels.flatMap(([key, name]) => {
      const l = s.tlb[key];
      const g = machine[key];
      if (!l || !g) return [];
      return [{
        ...run, records: s.records, level: name, entries: g.entries, ways: g.ways, policy: config[`${key}_policy`],
        lookups: l.lookups, hits: l.hits, misses: l.misses, miss_rate: rate(l.misses, l.lookups), mpki: mpki(l.misses, s.accesses.fetch),
        ...config,
      }];
    }),
  };

  const f = s.faults;
  const observed = Object.entries(f.observedByReason);
  const faults: Table = { name: 'faults.csv', columns: ['trace', 'format', 'kind', 'reason', 'count', ...configColumns], rows: [
    { ...run, kind: 'minor', reason: null, count: f.minor, ...config },
    { ...run, kind: 'major', reason: null, count: f.major, ...config },
    { ...run, kind: 'non_canonical', reason: null, count: f.nonCanonical, ...config },
    { ...run, kind: 'invalid', reason: null, count: f.invalid, ...config },
    ...(['read', 'write', 'exec', 'user'] as const).map((k) => ({ ...run, kind: `protection_${k}`, reason: null, count: f.protection[k], ...config })),
    ...(s.memory
      ? (['evictions', 'writebacks', 'shootdowns'] as const).map((k) => ({ ...run, kind: k, reason: null, count: s.memory![k], ...config }))
      : []),
    ...(observed.length > 0
      ? observed.map(([reason, count]) => ({ ...run, kind: 'observed', reason, count, ...config }))
      : [{ ...run, kind: 'observed', reason: null, count: 0, ...config }]),
  ] };
  return [summary, faults];
}

/** The files written, in order. */
export async function writeCsvReport(dir: string, result: ReplayResult, machine: MachineConfig, sizeShift: boolean): Promise<string[]> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UserError(`--csv ${dir}: cannot create the directory: ${(err as Error).message}`);
  }
  const s = result.stats;
  const run = { trace: result.traces.join(' + '), format: [...new Set(result.formats)].join('+') };
  const config = configFields(machine, sizeShift);
  const configColumns = Object.keys(config);
  const written: string[] = [];
  const file = async (name: string, columns: string[], rows: Iterable<Row>) => {
    const path = join(dir, name);
    await writeCsv(path, columns, rows);
    written.push(path);
  };

  for (const table of runTables(result, machine, sizeShift)) await file(table.name, table.columns, table.rows);

  await file('pfn.csv', ['pfn', 'translations', 'reads', 'writes', 'fetches'], s.pfn as unknown as Row[]);

  if (s.vpn) {
    const names = new Map(s.vpn.spaces.map((x) => [x.space, x.cr3]));
    await file(
      'vpn.csv',
      ['space', 'cr3', 'vpn', 'va', 'pfn', 'translations', 'reads', 'writes', 'fetches'],
      (function* () {
        for (const p of s.vpn!.pages) {
          yield { ...p, cr3: names.get(p.space) ?? null, va: `0x${(BigInt(p.vpn) << 12n).toString(16)}` };
        }
      })(),
    );
  }

  if (s.physicalPfn.length > 0) {
    await file('trace-pfn.csv', ['pfn', 'accesses'], s.physicalPfn.map(([pfn, accesses]) => ({ pfn, accesses })));
  }

  if (s.intervals) {
    const every = s.intervals.every;
    await file(
      'intervals.csv',
      [
        'trace', 'format', 'interval', 'window', 'first_record', 'last_record', 'records', 'reads', 'writes', 'fetches',
        'l1d_lookups', 'l1d_misses', 'l1d_miss_rate', 'l1i_lookups', 'l1i_misses', 'l1i_miss_rate',
        'l2_lookups', 'l2_misses', 'l2_miss_rate', 'walks', 'walk_refs', 'minor_faults', 'major_faults', 'non_canonical',
        ...configColumns,
      ],
      intervalWindows(s.intervals.snapshots).map((w) => ({
        ...run, interval: every, window: w.window, first_record: w.firstRecord, last_record: w.lastRecord,
        records: w.records, reads: w.reads, writes: w.writes, fetches: w.fetches,
        l1d_lookups: w.l1dLookups, l1d_misses: w.l1dMisses, l1d_miss_rate: rate(w.l1dMisses, w.l1dLookups),
        l1i_lookups: w.l1iLookups, l1i_misses: w.l1iMisses, l1i_miss_rate: rate(w.l1iMisses, w.l1iLookups),
        l2_lookups: machine.l2 ? w.l2Lookups : null, l2_misses: machine.l2 ? w.l2Misses : null,
        l2_miss_rate: machine.l2 ? rate(w.l2Misses, w.l2Lookups) : null,
        walks: w.walks, walk_refs: w.walkRefs, minor_faults: w.minorFaults, major_faults: w.majorFaults, non_canonical: w.nonCanonical,
        ...config,
      })),
    );
  }
  return written;
}

/**
 * --jobs: every trace's files in DIR/N-NAME/ (N its place among the inputs),
 * and summary.csv and faults.csv of all of them in DIR, their rows
 * concatenated (each row names its trace). Returns the files written.
 */
export async function writeJobsCsv(dir: string, results: ReplayResult[], machine: MachineConfig, sizeShift: boolean): Promise<string[]> {
  const written: string[] = [];
  for (const [i, result] of results.entries()) {
    const name = `${i + 1}-${basename(result.traces[0]).replace(/[^A-Za-z0-9._-]/g, '_')}`;
    written.push(...(await writeCsvReport(join(dir, name), result, machine, sizeShift)));
  }
  const tables = results.map((result) => runTables(result, machine, sizeShift));
  for (const [k, first] of tables[0]?.entries() ?? []) {
    const path = join(dir, first.name);
    await writeCsv(path, first.columns, tables.flatMap((t) => t[k].rows));
    written.push(path);
  }
  return written;
}
