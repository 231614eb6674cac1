// Parsing and validating the machine options the user types.

import { UserError } from './errors.js';
import {
  ALLOCATORS, DEFAULT_PWC, LAYOUTS, type Layout, EVICTION_POLICIES, FORMATS, MODE_PAGE_SIZES, PAGE_SIZES, POLICIES, policyOf,
  type Allocator, type EvictionPolicy, type Format, type Geometry, type MachineConfig, type PageSize, type Policy, type PwcLevel,
} from './model.js';

/** Largest TLB accepted: far beyond real hardware, small enough for memory. */
const MAX_ENTRIES = 1 << 20;

export function parseGeometry(option: string, text: string): Geometry {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) throw new UserError(`${option} '${text}': expected ENTRIES:WAYS, e.g. 64:4`);
  const entries = Number(m[1]);
  const ways = Number(m[2]);
  if (entries < 1 || ways < 1) throw new UserError(`${option} '${text}': entries and ways must be at least 1`);
  if (entries > MAX_ENTRIES) throw new UserError(`${option} '${text}': at most ${MAX_ENTRIES} entries`);
  if (entries % ways !== 0) {
    throw new UserError(`${option} '${text}': entries (${entries}) must be a multiple of ways (${ways})`);
  }
  return { entries, ways };
}

export function parseOptionalGeometry(option: string, text: string): Geometry | null {
  return text.trim().toLowerCase() === 'none' ? null : parseGeometry(option, text);
}

export function parsePolicy(option: string, text: string): Policy {
  const p = text.toLowerCase();
  if (!(POLICIES as readonly string[]).includes(p)) {
    throw new UserError(`${option} '${text}': expected one of ${POLICIES.join(', ')}`);
  }
  return p as Policy;
}

export function parseSeed(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
    throw new UserError(`--seed '${text}': expected a whole number from 0 to 2^53 - 1`);
  }
  return n;
}

function oneOf<T extends string>(option: string, text: string, choices: readonly T[]): T {
  const t = text.trim();
  const found = choices.find((c) => c.toLowerCase() === t.toLowerCase());
  if (!found) throw new UserError(`${option} '${text}': expected one of ${choices.join(', ')}`);
  return found;
}

export const parsePageSize = (text: string): PageSize => oneOf('--huge', text, PAGE_SIZES);
export const parseEviction = (text: string): EvictionPolicy => oneOf('--evict', text, EVICTION_POLICIES);
export const parseAllocator = (text: string): Allocator => oneOf('--alloc', text, ALLOCATORS);
export const parseLayout = (text: string): Layout => oneOf('--layout', text, LAYOUTS);

/** --kernel-text START-END (hex), or none. */
export function parseKernelText(text: string): { start: bigint; end: bigint } | null {
  if (text.trim().toLowerCase() === 'none') return null;
  const m = /^(?:0x)?([0-9a-f]{1,16})-(?:0x)?([0-9a-f]{1,16})$/i.exec(text.trim());
  if (!m || BigInt(`0x${m[2]}`) <= BigInt(`0x${m[1]}`)) {
    throw new UserError(`--kernel-text '${text}': expected START-END in hex with START < END, e.g. 0xffffffff81000000-0xffffffff82000000, or none`);
  }
  return { start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`) };
}

/** Frames the pool may have: the per-frame records stay well inside WebAssembly memory. */
const MAX_FRAMES = 1 << 25;

/** --frames N. */
export function parseFrames(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_FRAMES) {
    throw new UserError(`--frames '${text}': expected a whole number of 4 KiB frames from 1 to ${MAX_FRAMES}`);
  }
  return n;
}

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** --mem SIZE: bytes with an optional K, M, G or T (powers of 1024), a whole number of 4 KiB frames. */
export function parseMem(text: string): number {
  const m = /^(\d+)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  const bytes = m ? Number(m[1]) * UNITS[m[2].toUpperCase()] : NaN;
  if (!m || bytes % 4096 !== 0 || bytes < 4096 || bytes / 4096 > MAX_FRAMES) {
    throw new UserError(`--mem '${text}': expected a size in whole 4 KiB frames, e.g. 64M or 1G (at most ${MAX_FRAMES / 256} GiB)`);
  }
  return bytes / 4096;
}

/** A maps file's huge regions (docs/metrics.md, Huge pages): in a run of 4 KiB pages, at sizes the mode maps, with frames a pool need not split. */
function checkHugeRegions(machine: MachineConfig): void {
  const sizes = new Set((machine.maps ?? []).flatMap((m) => m.regions.flatMap((r) => (r.pageSize ? [r.pageSize] : []))));
  if (sizes.size === 0) return;
  const named = [...sizes].join(' and ');
  const paging = machine.paging ?? 'x86-64';
  const size = machine.pageSize ?? '4K';
  if (size !== '4K') throw new UserError(`--huge ${size} with --maps regions of ${named} pages: give one or the other`);
  for (const huge of sizes) {
    if (!MODE_PAGE_SIZES[paging].includes(huge)) {
      throw new UserError(`--maps: a region of ${huge} pages, but --paging ${paging} maps ${MODE_PAGE_SIZES[paging].join(' and ')} pages`);
    }
  }
  if (machine.frames !== undefined) throw new UserError(`--maps regions of ${named} pages with --frames/--mem: eviction of huge pages is not modelled`);
  if ((machine.alloc ?? 'sequential') !== 'sequential') {
    throw new UserError(`--maps regions of ${named} pages with --alloc ${machine.alloc}: huge pages take consecutive frames from the sequential allocator`);
  }
}

/** Tree-PLRU needs a binary tree over the ways of a set; huge pages need a mode that maps them. */
export function checkMachine(machine: MachineConfig): void {
  const paging = machine.paging ?? 'x86-64';
  const size = machine.pageSize ?? '4K';
  if (!MODE_PAGE_SIZES[paging].includes(size)) {
    throw new UserError(`--huge ${size}: --paging ${paging} maps ${MODE_PAGE_SIZES[paging].join(' and ')} pages`);
  }
  if (size !== '4K' && machine.frames !== undefined) {
    throw new UserError(`--huge ${size} with --frames/--mem: eviction of huge pages is not modelled (docs/metrics.md, Huge pages)`);
  }
  const layout = machine.layout ?? 'flat';
  if (layout === 'linux' && paging !== 'x86-64' && paging !== 'la57') {
    throw new UserError(`--layout linux: Linux's kernel half needs --paging x86-64 or la57, not ${paging}`);
  }
  if (layout === 'pintos' && (paging !== 'x86-64' || size === '1G')) {
    throw new UserError('--layout pintos: PintOS (KAIST x86-64) runs with --paging x86-64 and 4K or 2M pages (KERN_BASE is not 1 GiB-aligned)');
  }
  if (machine.kpti && layout !== 'linux') throw new UserError('--kpti needs --layout linux (KPTI isolates Linux\'s kernel half)');
  if (machine.kernelText !== undefined && layout === 'flat') throw new UserError('--kernel-text needs a kernel half: give --layout linux or pintos');
  if ((machine.maps ?? []).filter((m) => m.cr3 === null).length > 1) {
    throw new UserError('--maps: two maps for every address space; name the address space of each with --maps 0xCR3=FILE');
  }
  checkHugeRegions(machine);
  if (machine.alloc === 'trace' && (machine.frames !== undefined || size !== '4K')) {
    throw new UserError('--alloc trace combines with neither --frames/--mem nor --huge: the trace\'s frames are the guest\'s, not a pool\'s');
  }
  if (size !== '4K' && machine.alloc === 'shuffled') {
    throw new UserError(`--huge ${size} with --alloc shuffled: a huge page needs contiguous frames, which the shuffled allocator does not track`);
  }
  for (const level of ['l1d', 'l1i', 'l2'] as const) {
    const geometry = machine[level];
    if (!geometry || policyOf(machine, level) !== 'plru') continue;
    const ways = geometry.ways;
    if ((ways & (ways - 1)) !== 0) {
      throw new UserError(
        `--${level} ${geometry.entries}:${ways}: plru needs a power-of-two number of ways (give this level another policy with --${level}-policy)`,
      );
    }
  }
}

export function parseFormat(text: string): Format {
  const f = text.toLowerCase();
  if (!(FORMATS as readonly string[]).includes(f)) {
    throw new UserError(`--format '${text}': expected one of ${FORMATS.join(', ')}`);
  }
  return f as Format;
}

export function formatGeometry(g: Geometry | null): string {
  return g ? `${g.entries}:${g.ways}` : 'none';
}

/** --pwc: none, default (ChampSim's sizes), or pde=N,pdpte=N,... */
export function parsePwc(text: string): MachineConfig['pwc'] {
  const t = text.trim().toLowerCase();
  if (t === 'none') return undefined;
  if (t === 'default') return { ...DEFAULT_PWC };
  const out: Partial<Record<PwcLevel, number>> = {};
  for (const part of t.split(',')) {
    const m = /^(pde|pdpte|pml4e|pml5e)=(\d+)$/.exec(part.trim());
    if (!m || Number(m[2]) > 1 << 16) {
      throw new UserError(`--pwc '${text}': expected none, default, or LEVEL=ENTRIES,... with LEVEL pde, pdpte, pml4e or pml5e and at most 65536 entries`);
    }
    out[m[1] as PwcLevel] = Number(m[2]);
  }
  return out;
}
