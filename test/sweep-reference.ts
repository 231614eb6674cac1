// An independent reading of docs/sweep.md for the tests: the lookups one TLB
// level sees, at any page size, fed by hand into the reference model's Tlb
// (src/reference/tlb.ts). Slow and plain; for `unified` (which no replay
// has) and for 2M/1G pages.

import { policyOf, type DecodeOptions, type MachineConfig, type Policy } from '../src/model.js';
import { decodeTrace } from '../src/reference/decode.js';
import { pagingLayout } from '../src/reference/pagetable.js';
import { randomStart, Tlb } from '../src/reference/tlb.js';
import { PAGE_SHIFTS, type SweepConfig } from '../src/sweep/request.js';

const U64 = (1n << 64n) - 1n;

/** Lookups and misses of one sweep configuration, simulated directly. */
export function referenceSweepRow(
  text: string,
  decode: DecodeOptions,
  machine: MachineConfig,
  config: SweepConfig,
): { lookups: number; misses: number } {
  const shift = BigInt(PAGE_SHIFTS[config.pageSize]);
  const small = shift - 12n;
  const paging = pagingLayout(machine.paging);
  // The unified TLB draws from the L1 dTLB's generator (docs/sweep.md).
  const seedLevel = config.level === 'unified' ? 'l1d' : config.level;
  const tlb = new Tlb({ entries: config.entries, ways: config.ways }, config.policy, randomStart(machine.seed, seedLevel));
  const l1 = (level: 'l1d' | 'l1i') => new Tlb(machine[level], policyOf(machine, level) as Policy, randomStart(machine.seed, level));
  const l1d = config.level === 'l2' ? l1('l1d') : null;
  const l1i = config.level === 'l2' ? l1('l1i') : null;
  const all = [tlb, ...(l1d ? [l1d, l1i!] : [])];

  const spaces = new Map<bigint, number>();
  let space = 0;
  let started = false;
  let startName: bigint | null = null;
  const translatable = (page: bigint) => paging.translatable((page << small) & ((1n << 52n) - 1n));

  for (const event of decodeTrace(text, decode).events) {
    switch (event.kind) {
      case 'cr3': {
        if (!started) {
          startName = event.value;
          break;
        }
        let id = spaces.get(event.value);
        if (id === undefined) {
          id = spaces.size + 1;
          spaces.set(event.value, id);
        }
        if (id === space) break;
        space = id;
        if (!machine.pcid) for (const t of all) t.flush();
        break;
      }
      case 'invlpg': {
        const page = event.va >> shift;
        if (translatable(page)) for (const t of all) t.invalidate(space, page);
        break;
      }
      case 'flush':
        for (const t of all) t.flush();
        break;
      case 'pageFault':
        break;
      case 'access': {
        if (!started) {
          started = true;
          // The CR3 before the first access names the starting space, id 0;
          // any other CR3 value seen before it is a space of its own later.
          if (startName !== null) spaces.set(startName, 0);
        }
        if (event.physical) break;
        if (config.level === 'l1d' && event.op === 'X') break;
        if (config.level === 'l1i' && event.op !== 'X') break;
        const first = event.va >> shift;
        const last = ((event.va + BigInt(Math.max(event.size, 1)) - 1n) & U64) >> shift;
        for (const page of last === first ? [first] : [first, last]) {
          if (!translatable(page)) continue;
          if (l1d) {
            const front = event.op === 'X' ? l1i! : l1d;
            if (front.lookup(space, page) !== null) continue;
            if (tlb.lookup(space, page) === null) tlb.fill(space, page, 0);
            front.fill(space, page, 0);
          } else if (tlb.lookup(space, page) === null) {
            tlb.fill(space, page, 0);
          }
        }
      }
    }
  }
  return { lookups: tlb.counts.lookups, misses: tlb.counts.misses };
}
