// Parsing and validating the machine options the user types.

import { UserError } from './errors.js';
import { DEFAULT_PWC, FORMATS, POLICIES, policyOf, type Format, type Geometry, type MachineConfig, type Policy, type PwcLevel } from './model.js';

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

/** Tree-PLRU needs a binary tree over the ways of a set. */
export function checkMachine(machine: MachineConfig): void {
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
