// What an address may be (docs/metrics.md, Kernel layouts, permissions and
// KPTI): the kernel half of a layout, its linear regions and its read-only
// text, and the regions of a /proc/PID/maps file.

import type { MachineConfig, Region } from '../model.js';

const BYTE_SHIFT_TO_FRAME = 12n;
const TOP = 1n << 64n;

/** A region mapping its first byte to physical address 0: [start, end). */
interface Linear {
  start: bigint;
  end: bigint;
}

export interface KernelLayout {
  /** Whether an address lies in the kernel half. */
  kernel(address: bigint): boolean;
  /** The physical frame of an address of a linear region: (address - base) >> 12; null outside them. */
  linearFrame(address: bigint): number | null;
  /** Whether an address lies in the read-only kernel text. */
  inText(address: bigint): boolean;
}

/** Linux x86-64: the direct map (64 TiB) and the kernel image (__START_KERNEL_map, 1 GiB). */
const LINUX_LINEAR: readonly Linear[] = [
  { start: 0xffff_8880_0000_0000n, end: 0xffff_8880_0000_0000n + (1n << 46n) },
  { start: 0xffff_ffff_8000_0000n, end: 0xffff_ffff_8000_0000n + (1n << 30n) },
];
/** Linux LA57: the direct map is 32 PiB at 0xff11000000000000. */
const LINUX_LA57_LINEAR: readonly Linear[] = [
  { start: 0xff11_0000_0000_0000n, end: 0xff11_0000_0000_0000n + (1n << 55n) },
  LINUX_LINEAR[1],
];
/** _text to .rodata of an x86-64 6.1 kernel. */
const LINUX_TEXT = { start: 0xffff_ffff_8100_0000n, end: 0xffff_ffff_8200_0000n };
/** PintOS (KAIST x86-64) KERN_BASE: everything from here up maps physical memory linearly. */
const PINTOS_KERN_BASE = 0x80_0400_0000n;

/** The machine's kernel layout; null for `flat` (no kernel half). Throws on a pairing docs/metrics.md does not allow. */
export function kernelLayout(config: MachineConfig): KernelLayout | null {
  const layout = config.layout ?? 'flat';
  const paging = config.paging ?? 'x86-64';
  if (config.kpti && layout !== 'linux') throw new Error('KPTI needs the linux layout');
  if (layout === 'flat') {
    if (config.kernelText !== undefined) throw new Error('kernel text needs a kernel half (layout linux or pintos)');
    return null;
  }
  let kernelStart: bigint;
  let linear: readonly Linear[];
  let text: { start: bigint; end: bigint } | null;
  if (layout === 'linux') {
    if (paging !== 'x86-64' && paging !== 'la57') throw new Error(`the linux layout needs x86-64 or la57 paging, not ${paging}`);
    kernelStart = 1n << 63n;
    linear = paging === 'la57' ? LINUX_LA57_LINEAR : LINUX_LINEAR;
    text = LINUX_TEXT;
  } else if (layout === 'pintos') {
    if (paging !== 'x86-64' || config.pageSize === '1G') throw new Error('the pintos layout needs x86-64 paging and 4K or 2M pages');
    kernelStart = PINTOS_KERN_BASE;
    linear = [{ start: PINTOS_KERN_BASE, end: TOP }];
    // _end_kernel_text depends on the build: no default range.
    text = null;
  } else {
    throw new Error(`bad layout ${String(layout)}: must be flat, linux or pintos`);
  }
  if (config.kernelText !== undefined) text = config.kernelText;
  const range = text;
  return {
    kernel: (address) => address >= kernelStart,
    linearFrame(address) {
      const region = linear.find((r) => address >= r.start && address < r.end);
      return region ? Number((address - region.start) >> BYTE_SHIFT_TO_FRAME) : null;
    },
    inText: (address) => range !== null && address >= range.start && address < range.end,
  };
}

/** The user-half regions an address space named `cr3` (0 for an unnamed start space) is checked against; null: none. */
export function mapOf(config: MachineConfig, cr3: bigint): readonly Region[] | null {
  const maps = config.maps ?? [];
  return (maps.find((m) => m.cr3 === cr3) ?? maps.find((m) => m.cr3 === null))?.regions ?? null;
}

/** The region of `regions` holding `address`, if any. */
export function regionAt(regions: readonly Region[], address: bigint): Region | undefined {
  return regions.find((r) => address >= r.start && address < r.end);
}
