// The sweep on a terminal: per level, page size and policy, a grid of miss
// rates with one row per entry count and one column per associativity.

import { formatGeometry } from '../config.js';
import type { MachineConfig } from '../model.js';
import type { SweepResult, SweepRow } from './run.js';

const LEVEL_NAMES = { l1d: 'L1 dTLB', l1i: 'L1 iTLB', l2: 'L2 TLB', unified: 'unified TLB' } as const;

const count = (n: number) => n.toLocaleString('en-US');

function percent(rate: number): string {
  return `${(rate * 100).toFixed(3)}%`;
}

export function sweepTable(result: SweepResult, machine: MachineConfig, ways: Array<number | 'full'>, bold: (s: string) => string): string {
  const out: string[] = [];
  const seconds = result.seconds;
  out.push(
    `${result.traces.join(' + ')}  ${[...new Set(result.formats)].join(', ')}, ${count(result.stats.records)} records, ` +
      `${count(result.rows.length)} TLB configurations in one pass, ${seconds.toFixed(3)} s`,
  );
  if (result.sample !== undefined) out.push(`sampled: pages hashing below rate ${result.sample} (estimated miss rates, docs/sweep.md)`);
  const blocks = new Map<string, SweepRow[]>();
  for (const row of result.rows) {
    const key = `${row.level} ${row.pageSize} ${row.policy}`;
    blocks.set(key, [...(blocks.get(key) ?? []), row]);
  }
  for (const rows of blocks.values()) {
    const { level, pageSize, policy } = rows[0];
    const front = level === 'l2' ? ` behind L1d ${formatGeometry(machine.l1d)}, L1i ${formatGeometry(machine.l1i)}` : '';
    out.push('');
    out.push(bold(`${LEVEL_NAMES[level]}${front}, ${pageSize} pages, ${policy.toUpperCase()}: miss rate by entries and ways, ${count(rows[0].lookups)} lookups`));
    const columns: Array<number | 'full'> = [...ways.filter((w) => w === 'full' || rows.some((r) => r.ways === w))];
    const entries = [...new Set(rows.map((r) => r.entries))].sort((a, b) => a - b);
    const cells = [['entries', ...columns.map((c) => (c === 'full' ? 'full' : `${c}-way`))]];
    for (const e of entries) {
      cells.push([
        String(e),
        ...columns.map((c) => {
          // A one-set row is in its numbered column too, when that was asked for.
          const row = rows.find((r) => r.entries === e && r.ways === (c === 'full' ? e : c));
          return row ? percent(row.missRate) : '';
        }),
      ]);
    }
    const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
    for (const r of cells) out.push(r.map((c, i) => c.padStart(widths[i])).join('  '));
  }
  return out.join('\n') + '\n';
}
