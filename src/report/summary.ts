// The human-readable summary printed by `tlbscope replay`.

import type { LevelStats, MachineConfig } from '../model.js';
import type { ReplayResult } from '../replay.js';
import { machineLine } from './describe.js';
import { intervalWindows } from './windows.js';

// Grouped by hand: the first toLocaleString() loads ICU's number formatting,
// 15-25 ms of a replay's start-up on these machines.
const int = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const pct = (part: number, whole: number) => (whole === 0 ? '-' : `${((100 * part) / whole).toFixed(3)}%`);

function table(rows: string[][], rightAligned: boolean[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd(),
  );
}

export function textSummary(result: ReplayResult, machine: MachineConfig, bold: (s: string) => string): string {
  const s = result.stats;
  const rate = result.seconds > 0 ? s.records / result.seconds / 1e6 : 0;
  const out: string[] = [];
  out.push(
    `${bold(result.traces.join(' + '))}  ${[...new Set(result.formats)].join('+')}, ${int(s.records)} records in ${result.seconds.toFixed(3)} s` +
      ` (${rate.toFixed(2)} M records/s)`,
  );
  out.push(`machine  ${machineLine(machine)}`);
  if (result.stopped) out.push('stopped at the first bad line (--strict): counts cover the lines before it');
  out.push('');

  const a = s.accesses;
  let accessLine = `accesses  ${int(a.read)} reads, ${int(a.write)} writes, ${int(a.fetch)} fetches; ${int(s.crossings)} cross a page`;
  if (a.physical > 0) accessLine += `; ${int(a.physical)} physical (${int(a.mmio)} MMIO), not translated`;
  out.push(accessLine, '');

  const levels: Array<[string, LevelStats | undefined]> = [
    ['L1d', s.tlb.l1d],
    ['L1i', s.tlb.l1i],
    ['L2', s.tlb.l2],
  ];
  // MPKI only when the trace has instructions: each fetch is one.
  const fetches = s.accesses.fetch;
  const rows = [['level', 'lookups', 'hits', 'misses', 'miss rate', ...(fetches > 0 ? ['MPKI'] : [])]];
  for (const [name, l] of levels) {
    if (!l) continue;
    const mpki = fetches > 0 ? [((1000 * l.misses) / fetches).toFixed(3)] : [];
    rows.push([name, int(l.lookups), int(l.hits), int(l.misses), pct(l.misses, l.lookups), ...mpki]);
  }
  out.push(...table(rows, rows[0].map((_, i) => i > 0)).map((line, i) => (i === 0 ? bold(line) : line)));
  if (fetches > 0) out.push('MPKI: misses per 1,000 instructions (fetches)');
  out.push('');

  const perWalk = s.walks.count === 0 ? '' : `, ${(s.walks.refs / s.walks.count).toFixed(2)} per walk`;
  out.push(`walks     ${int(s.walks.count)} (${int(s.walks.refs)} page-table entries read${perWalk})`);
  for (const [name, c] of Object.entries(s.walks.pwc ?? {})) {
    out.push(`  PWC ${name.padEnd(5)} ${int(c.hits)} hits of ${int(c.lookups)} probes (${pct(c.hits, c.lookups)})`);
  }
  const f = s.faults;
  out.push(
    `faults    ${int(f.minor)} minor, ${int(f.major)} major, ${int(f.nonCanonical)} non-canonical;` +
      ` ${int(f.observed)} observed in the trace`,
  );
  const p = f.protection;
  if (f.invalid + p.read + p.write + p.exec + p.user > 0) {
    out.push(
      `          ${int(f.invalid)} invalid; protection: ${int(p.read)} read, ${int(p.write)} write, ${int(p.exec)} exec, ${int(p.user)} user`,
    );
  }
  for (const [reason, n] of Object.entries(f.observedByReason)) out.push(`            ${int(n).padStart(9)}  ${reason}`);
  const data = s.frames.used - s.frames.pageTable;
  out.push(`frames    ${int(s.frames.used)} used: ${int(data)} data, ${int(s.frames.pageTable)} page-table`);
  if (s.memory) {
    out.push(`memory    ${int(s.memory.evictions)} evictions, ${int(s.memory.writebacks)} writebacks, ${int(s.memory.shootdowns)} shootdowns`);
  }
  out.push(
    `spaces    ${int(s.contexts)} address space${s.contexts === 1 ? '' : 's'}, ${int(s.contextSwitches)} switches` +
      (s.invlpg + s.flushes > 0 ? `, ${int(s.invlpg)} INVLPG, ${int(s.flushes)} TLB flushes` : '') +
      (machine.kpti ? `, ${int(s.kptiSwitches)} KPTI switches` : '') +
      (s.cpus > 1 ? `; ${s.cpus} CPUs with private TLBs` : ''),
  );
  if (s.physicalPfn.length > 0) {
    const accesses = s.physicalPfn.reduce((sum, [, n]) => sum + n, 0);
    out.push(`trace PAs ${int(accesses)} accesses carry a physical address, on ${int(s.physicalPfn.length)} frames`);
  }
  if (s.intervals) {
    const windows = intervalWindows(s.intervals.snapshots);
    const rates = windows.filter((w) => w.l1dLookups > 0).map((w) => w.l1dMisses / w.l1dLookups);
    const range = rates.length > 0 ? `; L1d miss rate ${pct(Math.min(...rates), 1)} to ${pct(Math.max(...rates), 1)} across them` : '';
    out.push(`intervals ${int(windows.length)} windows of ${int(s.intervals.every)} records${range}`);
  }
  out.push(`bad lines ${int(s.badLines)}` + (s.ignoredLines > 0 ? `; ${int(s.ignoredLines)} lines ignored (nothing to simulate)` : ''));
  return out.join('\n') + '\n';
}
