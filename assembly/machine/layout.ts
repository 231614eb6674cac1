// What an address may be (docs/metrics.md, Kernel layouts, permissions and
// KPTI): the kernel half and its linear maps, read-only kernel text, and the
// user half's regions from /proc/PID/maps files. The MMU asks before every
// translation; everything here is off (one branch) for a flat layout without
// maps.

import { regrow } from "../grow";
import { LAYOUT_FLAT, LAYOUT_LINUX, LAYOUT_PINTOS, PERM_READ, PERM_WRITE, PERM_EXEC } from "../abi";

export let layout: u32 = LAYOUT_FLAT;
let kernelStart: u64 = 0;           // the kernel half: addresses >= kernelStart
let textStart: u64 = 0;
let textEnd: u64 = 0;               // empty when textEnd <= textStart
// Up to two linear regions [start, end) mapping their first byte to physical 0.
const linearStart = memory.data(2 * 8, 8);
const linearEnd = memory.data(2 * 8, 8);
let linearCount: u32 = 0;

export function configureLayout(kind: u32, la57: bool): void {
  layout = kind;
  if (kind == <u32>LAYOUT_LINUX) {
    kernelStart = 0x8000_0000_0000_0000;
    addLinear(la57 ? 0xff11_0000_0000_0000 : 0xffff_8880_0000_0000, la57 ? <u64>1 << 55 : <u64>1 << 46);
    addLinear(0xffff_ffff_8000_0000, <u64>1 << 30);
    textStart = 0xffff_ffff_8100_0000;
    textEnd = 0xffff_ffff_8200_0000;
  } else if (kind == <u32>LAYOUT_PINTOS) {
    kernelStart = 0x80_0400_0000;
    addLinear(kernelStart, 0 - kernelStart);
  }
}

function addLinear(start: u64, size: u64): void {
  store<u64>(linearStart + (<usize>linearCount << 3), start);
  store<u64>(linearEnd + (<usize>linearCount << 3), start + size);
  linearCount++;
}

/** Replaces the layout's kernel text range ([start, end); empty for none). */
export function setKernelText(start: u64, end: u64): void {
  textStart = start;
  textEnd = end;
}

// @ts-ignore: decorator
@inline export function inKernelHalf(address: u64): bool {
  return layout != <u32>LAYOUT_FLAT && address >= kernelStart;
}

// @ts-ignore: decorator
@inline export function inKernelText(address: u64): bool {
  return address >= textStart && address < textEnd;
}

/** The physical frame of a linear page's first byte, or -1 when the page is not linear. */
export function linearFrame(address: u64): i64 {
  for (let i: u32 = 0; i < linearCount; i++) {
    let start = load<u64>(linearStart + (<usize>i << 3));
    // The pintos region ends at 2^64, stored as 0.
    let end = load<u64>(linearEnd + (<usize>i << 3));
    if (address >= start && (end == 0 || address < end)) return <i64>((address - start) >> 12);
  }
  return -1;
}

// Region maps: each a sorted run of regions in the shared arrays.
let regionStarts: usize = 0;   // u64
let regionEnds: usize = 0;     // u64
let regionPerms: usize = 0;    // u8
let regionShifts: usize = 0;   // u8: log2 of the region's page size; 0 for the run's
let regionCount: u32 = 0;
let regionCapacity: u32 = 0;
// Per map: first region and count.
let mapFirst = new Array<u32>();
let mapCount = new Array<u32>();
let mapOfCr3 = new Map<u64, u32>();
let defaultMap: i32 = -1;

/** Starts a new map for the address space named by cr3 (any space without its own when !named); returns its id. */
export function beginMap(cr3: u64, named: bool): u32 {
  let id = <u32>mapFirst.length;
  mapFirst.push(regionCount);
  mapCount.push(0);
  if (named) mapOfCr3.set(cr3, id);
  else defaultMap = <i32>id;
  return id;
}

/** Some region maps its pages at a size of its own (a huge page size). */
export let anyHugeRegion = false;

/**
 * Adds a region to the last map begun; regions come sorted and disjoint,
 * and a region with a page size of its own (shift, 0 for the run's) aligned
 * to it (the driver checks).
 */
export function addRegion(start: u64, end: u64, perms: u32, shift: u32): void {
  if (regionCount == regionCapacity) {
    let capacity = max<u32>(regionCapacity * 2, 64);
    regionStarts = regrow(regionStarts, <usize>regionCapacity << 3, <usize>capacity << 3);
    regionEnds = regrow(regionEnds, <usize>regionCapacity << 3, <usize>capacity << 3);
    regionPerms = regrow(regionPerms, <usize>regionCapacity, <usize>capacity);
    regionShifts = regrow(regionShifts, <usize>regionCapacity, <usize>capacity);
    regionCapacity = capacity;
  }
  store<u64>(regionStarts + (<usize>regionCount << 3), start);
  store<u64>(regionEnds + (<usize>regionCount << 3), end);
  store<u8>(regionPerms + <usize>regionCount, <u8>perms);
  store<u8>(regionShifts + <usize>regionCount, <u8>shift);
  if (shift != 0) anyHugeRegion = true;
  regionCount++;
  let last = mapCount.length - 1;
  mapCount[last] = mapCount[last] + 1;
}

export function anyMaps(): bool {
  return mapFirst.length > 0;
}

/** The map of the address space named by cr3 (named: whether a CR3 names it), or -1 for none. */
export function mapFor(cr3: u64, named: bool): i32 {
  if (named && mapOfCr3.has(cr3)) return <i32>mapOfCr3.get(cr3);
  return defaultMap;
}

/** The region holding address in map m (an index into the shared arrays), or -1 outside every region. */
function regionAt(m: i32, address: u64): i32 {
  let low = <i32>mapFirst[m];
  let high = low + <i32>mapCount[m] - 1;
  while (low <= high) {
    let mid = (low + high) >> 1;
    // A region ending at 2^64 arrives with its end as 0.
    let end = load<u64>(regionEnds + (<usize>mid << 3));
    if (address < load<u64>(regionStarts + (<usize>mid << 3))) high = mid - 1;
    else if (end != 0 && address >= end) low = mid + 1;
    else return mid;
  }
  return -1;
}

/** The permissions (PERM_*) of the region holding address in map m, or -1 outside every region. */
export function regionPermissions(m: i32, address: u64): i32 {
  let r = regionAt(m, address);
  return r < 0 ? -1 : <i32>load<u8>(regionPerms + <usize>r);
}

/** log2 of the page size of the region holding address in map m; `otherwise` outside every region or for a region at the run's size. */
export function regionShift(m: i32, address: u64, otherwise: u64): u64 {
  let r = regionAt(m, address);
  let shift = r < 0 ? 0 : <u64>load<u8>(regionShifts + <usize>r);
  return shift == 0 ? otherwise : shift;
}

export { PERM_READ, PERM_WRITE, PERM_EXEC };
