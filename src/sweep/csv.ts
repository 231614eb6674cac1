// The sweep as a tidy CSV table: one row per configuration, one column per
// variable (docs/sweep.md, CSV columns).

import { stringify } from 'csv-stringify/sync';
import type { SweepResult } from './run.js';

export const CSV_COLUMNS = ['trace', 'level', 'policy', 'page_size', 'entries', 'ways', 'sets', 'lookups', 'misses', 'miss_rate'] as const;

/** mpki when the trace has instructions (fetches); sample_rate when sampled. */
export function csvColumns(result: Pick<SweepResult, 'instructions' | 'sample'>): string[] {
  return [...CSV_COLUMNS, ...(result.instructions > 0 ? ['mpki'] : []), ...(result.sample !== undefined ? ['sample_rate'] : [])];
}

export function sweepCsv(result: SweepResult): string {
  const columns = csvColumns(result);
  const trace = result.traces.join('+');
  const records = result.rows.map((r) => {
    const row: Record<string, string | number> = {
      trace,
      level: r.level,
      policy: r.policy,
      page_size: r.pageSize,
      entries: r.entries,
      ways: r.ways,
      sets: r.sets,
      lookups: r.lookups,
      misses: r.misses,
      miss_rate: r.missRate,
    };
    if (result.instructions > 0) row.mpki = (r.misses * 1000) / result.instructions;
    if (result.sample !== undefined) row.sample_rate = r.sampleRate;
    return row;
  });
  return stringify(records, { header: true, columns, cast: { number: (n) => String(n) } });
}
