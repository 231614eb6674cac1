// The human-readable summary printed by `tlbscope replay`.

import { formatGeometry } from '../config.js';
import { policyOf, type LevelStats, type MachineConfig, type PagingMode, type TlbLevel } from '../model.js';
import type { ReplayResult } from '../replay.js';

const PAGING_NAMES: Record<PagingMode, string> = {
  'x86-32': 'x86-32 2-level',
  pae: 'PAE 3-level',
  'x86-64': 'x86-64 4-level',
  la57: 'LA57 5-level',
};

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
  const level = (name: string, key: TlbLevel) => {
    const g = machine[key];
    return g ? `${name} ${formatGeometry(g)} ${policyOf(machine, key).toUpperCase()}` : `no ${name}`;
  };
  const random = (['l1d', 'l1i', 'l2'] as const).some((k) => machine[k] && policyOf(machine, k) === 'random');
  out.push(
    `machine  ${level('L1d', 'l1d')}, ${level('L1i', 'l1i')}, ${level('L2', 'l2')}${random ? ` (seed ${machine.seed ?? 1})` : ''},` +
      ` ${PAGING_NAMES[machine.paging ?? 'x86-64']}, ${machine.pageSize ?? '4K'} pages, ${machine.pcid ? 'PCID' : 'no PCID (flush on switch)'}` +
      (machine.layout && machine.layout !== 'flat' ? `, ${machine.layout} layout${machine.kpti ? ' with KPTI' : ''}` : '') +
      (machine.maps ? `, ${machine.maps.length} region map${machine.maps.length === 1 ? '' : 's'}` : ''),
  );
  if (machine.frames !== undefined || machine.alloc === 'shuffled') {
    const limit = machine.frames === undefined ? 'unlimited memory' : `${int(machine.frames)} frames (${machine.evict ?? 'lru'} eviction)`;
    out.push(`memory   ${limit}, ${machine.alloc ?? 'sequential'} allocation`);
  }
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
  const rows = [['level', 'lookups', 'hits', 'misses', 'miss rate']];
  for (const [name, l] of levels) {
    if (l) rows.push([name, int(l.lookups), int(l.hits), int(l.misses), pct(l.misses, l.lookups)]);
  }
  out.push(...table(rows, [false, true, true, true, true]).map((line, i) => (i === 0 ? bold(line) : line)), '');

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
      (machine.kpti ? `, ${int(s.kptiSwitches)} KPTI switches` : ''),
  );
  if (s.physicalPfn.length > 0) {
    const accesses = s.physicalPfn.reduce((sum, [, n]) => sum + n, 0);
    out.push(`trace PAs ${int(accesses)} accesses carry a physical address, on ${int(s.physicalPfn.length)} frames`);
  }
  out.push(`bad lines ${int(s.badLines)}` + (s.ignoredLines > 0 ? `; ${int(s.ignoredLines)} lines ignored (nothing to simulate)` : ''));
  return out.join('\n') + '\n';
}
