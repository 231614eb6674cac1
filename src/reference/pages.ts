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

/** A page: its number at its size, 2^shift bytes. */
export interface Page {
  number: bigint;
  shift: bigint;
}

/**
 * The page holding the access's first byte `va` and the page holding its
 * last, `va + max(size,1) - 1` (mod 2^64, so the page after the last one of
 * the address space is page 0), each at the size `shiftAt` gives its
 * address: one page, or two for a crossing (sizes are at most 4096 bytes).
 */
export function pagesTouched(va: bigint, size: number, shiftAt: (address: bigint) => bigint): Page[] {
  const end = (va + BigInt(Math.max(size, 1)) - 1n) & U64;
  const pageOf = (address: bigint): Page => {
    const shift = shiftAt(address);
    return { number: address >> shift, shift };
  };
  const [first, last] = [pageOf(va), pageOf(end)];
  return last.number === first.number && last.shift === first.shift ? [first] : [first, last];
}
