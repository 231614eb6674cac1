// How a run is named in every report: the trace, and the machine's
// configuration as flat fields (CSV columns, JSON, titles of figures).

import { formatGeometry } from '../config.js';
import { policyOf, type MachineConfig, type PagingMode, type TlbLevel } from '../model.js';

const PAGING_NAMES: Record<PagingMode, string> = {
  'x86-32': 'x86-32 2-level',
  pae: 'PAE 3-level',
  'x86-64': 'x86-64 4-level',
  la57: 'LA57 5-level',
};

/** --pwc as typed back: none, or pde=32,pdpte=8,... */
export function formatPwc(machine: MachineConfig): string {
  const pwc = machine.pwc;
  if (!pwc) return 'none';
  return Object.entries(pwc).map(([level, n]) => `${level}=${n}`).join(',') || 'none';
}

/** Every configuration field, in a fixed order, with the option it comes from as its name. */
export function configFields(machine: MachineConfig, sizeShift: boolean) {
  return {
    l1d: formatGeometry(machine.l1d),
    l1i: formatGeometry(machine.l1i),
    l2: formatGeometry(machine.l2),
    l1d_policy: policyOf(machine, 'l1d'),
    l1i_policy: policyOf(machine, 'l1i'),
    l2_policy: machine.l2 ? policyOf(machine, 'l2') : '',
    seed: machine.seed ?? 1,
    paging: machine.paging ?? 'x86-64',
    pwc: formatPwc(machine),
    pcid: machine.pcid,
    page_size: machine.pageSize ?? '4K',
    frames: machine.frames ?? '',
    evict: machine.frames === undefined ? '' : machine.evict ?? 'lru',
    alloc: machine.alloc ?? 'sequential',
    layout: machine.layout ?? 'flat',
    kpti: !!machine.kpti,
    maps: (machine.maps ?? []).length,
    size_shift: sizeShift,
  };
}

/** ", 2M pages in 2 regions" for a maps file's huge regions, else nothing. */
function hugeRegions(machine: MachineConfig): string {
  const huge = (machine.maps ?? []).flatMap((m) => m.regions.flatMap((r) => (r.pageSize ? [r.pageSize] : [])));
  if (huge.length === 0) return '';
  const sizes = [...new Set(huge)].join('/');
  return ` (${sizes} in ${huge.length} region${huge.length === 1 ? '' : 's'})`;
}

/** One line: "L1d 64:4 LRU, L1i 128:8 LRU, L2 1536:12 LRU, x86-64 4-level, no PCID (flush on switch)". */
export function machineLine(machine: MachineConfig): string {
  const level = (name: string, key: TlbLevel) => {
    const g = machine[key];
    return g ? `${name} ${formatGeometry(g)} ${policyOf(machine, key).toUpperCase()}` : `no ${name}`;
  };
  const random = (['l1d', 'l1i', 'l2'] as const).some((k) => machine[k] && policyOf(machine, k) === 'random');
  const pwc = machine.pwc ? `, PWC ${formatPwc(machine)}` : '';
  return (
    `${level('L1d', 'l1d')}, ${level('L1i', 'l1i')}, ${level('L2', 'l2')}${random ? ` (seed ${machine.seed ?? 1})` : ''},` +
    ` ${PAGING_NAMES[machine.paging ?? 'x86-64']}${pwc}, ${machine.pageSize ?? '4K'} pages${hugeRegions(machine)}, ${machine.pcid ? 'PCID' : 'no PCID (flush on switch)'}` +
    (machine.layout && machine.layout !== 'flat' ? `, ${machine.layout} layout${machine.kpti ? ' with KPTI' : ''}` : '') +
    (machine.maps ? `, ${machine.maps.length} region map${machine.maps.length === 1 ? '' : 's'}` : '') +
    (machine.frames !== undefined ? `, ${machine.frames.toLocaleString('en-US')} frames (${machine.evict ?? 'lru'} eviction)` : '') +
    (machine.alloc === 'shuffled' ? ', shuffled frames' : '')
  );
}
