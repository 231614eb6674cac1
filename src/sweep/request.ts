// What a sweep asks for: the lists the user typed, turned into the grid of
// configurations (level x page size x policy x entries x ways) it reports.
// docs/sweep.md defines every configuration as one replay.

import { UserError } from '../errors.js';
import { POLICIES, type Format, type MachineConfig, type Policy } from '../model.js';

export const SWEEP_LEVELS = ['l1d', 'l1i', 'l2', 'unified'] as const;
export type SweepLevel = (typeof SWEEP_LEVELS)[number];

export const PAGE_SIZES = ['4K', '2M', '1G'] as const;
export type PageSize = (typeof PAGE_SIZES)[number];
/** log2 of the page size in bytes. */
export const PAGE_SHIFTS: Record<PageSize, number> = { '4K': 12, '2M': 21, '1G': 30 };

/** The same upper bound as replay's geometries. */
const MAX_ENTRIES = 1 << 20;

export interface SweepConfig {
  level: SweepLevel;
  pageSize: PageSize;
  policy: Policy;
  entries: number;
  ways: number;
}

export interface SweepRequest {
  paths: string[];
  format?: Format;
  sizeShift: boolean;
  strict: boolean;
  levels: SweepLevel[];
  pageSizes: PageSize[];
  policies: Policy[];
  entries: number[];
  /** 'full': as many ways as entries (one set). */
  ways: Array<number | 'full'>;
  /**
   * Paging mode, PCID and seed; l1d/l1i (with their policies) are the L1s in
   * front of an `l2` sweep. Its l2 is not used.
   */
  machine: MachineConfig;
  /** SHARDS-style sampling rate in (0, 1]; absent: every page (exact). */
  sample?: number;
}

export const DEFAULT_ENTRIES = '16,32,...,4096';
export const DEFAULT_WAYS = '1,2,4,8,16,full';

function items(option: string, text: string): string[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new UserError(`${option} '${text}': expected a comma-separated list`);
  return parts;
}

function count(option: string, text: string, item: string): number {
  if (!/^\d+$/.test(item)) throw new UserError(`${option} '${text}': '${item}' is not a whole number`);
  const n = Number(item);
  if (n < 1 || n > MAX_ENTRIES) throw new UserError(`${option} '${text}': ${item} is not between 1 and ${MAX_ENTRIES}`);
  return n;
}

/**
 * A list of entry counts. `A,B,...,Z` continues the progression of A and B
 * up to Z: doubling (or any whole ratio) when B is a multiple of A, else
 * steps of B - A; Z must be on it.
 */
export function parseEntries(text: string): number[] {
  const option = '--entries';
  const parts = items(option, text);
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] !== '...') {
      out.push(count(option, text, parts[i]));
      continue;
    }
    const [a, b] = out.slice(-2);
    if (b === undefined || i + 1 >= parts.length || parts[i + 1] === '...') {
      throw new UserError(`${option} '${text}': '...' needs two numbers before it and one after it, e.g. 16,32,...,4096`);
    }
    const end = count(option, text, parts[++i]);
    const geometric = b > a && b % a === 0;
    if (!geometric && b <= a) throw new UserError(`${option} '${text}': the numbers before '...' must grow`);
    let next = geometric ? b * (b / a) : b + (b - a);
    while (next < end) {
      out.push(next);
      next = geometric ? next * (b / a) : next + (b - a);
    }
    if (next !== end) throw new UserError(`${option} '${text}': ${end} is not on the progression ${a}, ${b}, ...`);
    out.push(end);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

export function parseWays(text: string): Array<number | 'full'> {
  const out = items('--ways', text).map((item) => (item.toLowerCase() === 'full' ? ('full' as const) : count('--ways', text, item)));
  const numbers = [...new Set(out.filter((w): w is number => w !== 'full'))].sort((x, y) => x - y);
  return out.includes('full') ? [...numbers, 'full'] : numbers;
}

function parseChoices<T extends string>(option: string, text: string, choices: readonly T[], normalize: (s: string) => string): T[] {
  const out: T[] = [];
  for (const item of items(option, text)) {
    const value = normalize(item) as T;
    if (!choices.includes(value)) throw new UserError(`${option} '${text}': '${item}' is not one of ${choices.join(', ')}`);
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

export const parsePolicies = (text: string): Policy[] => parseChoices('--policy', text, POLICIES, (s) => s.toLowerCase());
export const parseLevels = (text: string): SweepLevel[] => parseChoices('--level', text, SWEEP_LEVELS, (s) => s.toLowerCase());
export const parsePageSizes = (text: string): PageSize[] =>
  parseChoices('--page-size', text, PAGE_SIZES, (s) => s.toUpperCase().replace(/I?B$/, ''));

export function parseSample(text: string): number {
  const rate = Number(text);
  if (!/^\s*(0?\.\d+|1(\.0*)?|\d+(\.\d+)?e-\d+)\s*$/i.test(text) || !(rate > 0 && rate <= 1)) {
    throw new UserError(`--sample '${text}': expected a rate above 0 and at most 1, e.g. 0.1`);
  }
  return rate;
}

/** Why a grid point is not a TLB, or null when it is one. */
function invalid(policy: Policy, entries: number, ways: number): string | null {
  if (ways > entries) return 'more ways than entries';
  if (entries % ways !== 0) return 'entries not a multiple of ways';
  if (policy === 'plru' && (ways & (ways - 1)) !== 0) return 'plru needs a power-of-two number of ways';
  return null;
}

export interface Grid {
  configs: SweepConfig[];
  /** Grid points left out, with why (e.g. 16 entries, 32 ways). */
  skipped: Array<{ policy: Policy; entries: number; ways: number; why: string }>;
}

/** Every configuration of the request, in the order of its rows. */
export function grid(req: Pick<SweepRequest, 'levels' | 'pageSizes' | 'policies' | 'entries' | 'ways'>): Grid {
  const configs: SweepConfig[] = [];
  const skipped: Grid['skipped'] = [];
  for (const level of req.levels) {
    for (const pageSize of req.pageSizes) {
      for (const policy of req.policies) {
        for (const w of req.ways) {
          for (const entries of req.entries) {
            const ways = w === 'full' ? entries : w;
            // "full" may repeat a numbered way count: keep one row.
            if (w !== 'full' && req.ways.includes('full') && ways === entries) continue;
            const why = invalid(policy, entries, ways);
            if (why) {
              if (level === req.levels[0] && pageSize === req.pageSizes[0]) skipped.push({ policy, entries, ways, why });
              continue;
            }
            configs.push({ level, pageSize, policy, entries, ways });
          }
        }
      }
    }
  }
  return { configs, skipped };
}
