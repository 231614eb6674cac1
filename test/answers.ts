// The independent answers shipped with the real traces in ../shared/traces:
// QEMU's cache plugin miss counts and the README's table for the default
// machine. Both engines are checked against them.

import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Format, MachineConfig, Stats } from '../src/model.js';

export const TRACES = new URL('../../shared/traces/', import.meta.url);
if (!existsSync(TRACES)) {
  throw new Error(`the shared real traces are not at ${TRACES.pathname}: clone the repository beside shared/ (as CI does)`);
}
export const tracePath = (name: string): string => new URL(name, TRACES).pathname;
export const readTrace = (name: string): string => gunzipSync(readFileSync(new URL(name, TRACES))).toString('latin1');

export interface CacheAnswer {
  data_accesses: number;
  data_misses: number;
  insn_accesses: number;
  insn_misses: number;
}

/** QEMU cache plugin runs: a machine (no L2, L1d = L1i) and what it measured. */
export function cachePluginAnswers(): Array<{ name: string; machine: MachineConfig; expected: CacheAnswer }> {
  const answers = JSON.parse(readFileSync(new URL('qemu72-user-execlog-true.answers.json', TRACES), 'utf8')) as {
    tlb: Record<string, CacheAnswer>;
  };
  return Object.entries(answers.tlb).map(([name, expected]) => {
    const [geometry, policy] = name.split(' ');
    const [entries, ways] = geometry.split(':').map(Number);
    const machine: MachineConfig = {
      l1d: { entries, ways },
      l1i: { entries, ways },
      l2: null,
      policy: policy as MachineConfig['policy'],
      pcid: false,
    };
    return { name, machine, expected };
  });
}

export const cachePluginView = (s: Stats): CacheAnswer => ({
  data_accesses: s.tlb.l1d.lookups,
  data_misses: s.tlb.l1d.misses,
  insn_accesses: s.tlb.l1i.lookups,
  insn_misses: s.tlb.l1i.misses,
});

/** Traces whose seed-dialect `size=` is log2 (README: "size= log2"). */
const SIZE_SHIFT = new Set([
  'qemu72-user-seed-ls-shift.log.gz',
  'qemu10-system-seed-fork-user-pa.log.gz',
  'qemu10-system-seed-fork-kernel-user-pa.log.gz',
]);

export interface TableRow {
  file: string;
  format: Format;
  sizeShift: boolean;
  /** The row's cells after the format column, as printed. */
  expected: string[];
}

/** The rows of the README table ("An independent model ... gives:"). */
export function readmeTable(): TableRow[] {
  const readme = readFileSync(new URL('README.md', TRACES), 'utf8');
  return readme
    .slice(readme.indexOf('gives:'))
    .split('\n')
    .filter((line) => /^\| \S+\.gz \|/.test(line))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()))
    .map(([file, format, ...expected]) => ({ file, format: format as Format, sizeShift: SIZE_SHIFT.has(file), expected }));
}

/** Stats in the README table's columns and notation. */
export function tableView(stats: Stats): string[] {
  const a = stats.accesses;
  return [
    String(stats.records),
    `${a.read}/${a.write}/${a.fetch}`,
    String(stats.crossings),
    String(stats.tlb.l1d.misses),
    String(stats.tlb.l1i.misses),
    String(stats.walks.count),
    String(stats.walks.refs),
    String(stats.faults.minor),
    `${stats.frames.used}/${stats.frames.pageTable}`,
    `${stats.contexts}/${stats.contextSwitches}`,
    String(stats.badLines),
  ];
}

export const TABLE_FILES = [
  'qemu72-user-execlog-true.log.gz',
  'valgrind-lackey-true.log.gz',
  'qemu72-user-seed-true-fetch-bytes.log.gz',
  'qemu72-user-seed-ls-shift.log.gz',
  'qemu10-system-seed-fork-user-pa.log.gz',
  'qemu10-system-seed-fork-kernel-user-pa.log.gz',
];
