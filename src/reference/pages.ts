// Which pages an access touches, at the run's page size (docs/metrics.md,
// Records and accesses, and Huge pages). Shared by the machine and the OPT
// pre-pass, so that both see the same translations in the same order.

import { PAGE_SHIFTS, type MachineConfig } from '../model.js';

const U64 = (1n << 64n) - 1n;

/** log2 of the machine's page size (default 4 KiB). */
export function pageShiftOf(machine: Pick<MachineConfig, 'pageSize'>): bigint {
  const size = machine.pageSize ?? '4K';
  if (!Object.hasOwn(PAGE_SHIFTS, size)) throw new Error(`bad page size ${String(size)}: must be one of ${Object.keys(PAGE_SHIFTS).join(', ')}`);
  return BigInt(PAGE_SHIFTS[size]);
}

/**
 * The pages `va >> shift` through `(va + max(size,1) - 1) >> shift`, lower
 * first: one, or two for a crossing (sizes are at most 4096 bytes). The page
 * after the last one of the address space is page 0.
 */
export function pagesTouched(va: bigint, size: number, shift: bigint): bigint[] {
  const first = va >> shift;
  const last = ((va + BigInt(Math.max(size, 1)) - 1n) & U64) >> shift;
  return last === first ? [first] : [first, (first + 1n) & (U64 >> shift)];
}
