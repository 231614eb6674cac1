// Per-PFN counts for heatmaps: three u64 per frame, indexed by PFN, in the
// order reads, writes, fetches (PFN_COLUMNS); a frame's translations are
// their sum. A replay that writes no per-frame table keeps one u64 per
// frame, its translations (countTotalsOnly): a third of the memory for the
// hand-overs to miss in on a TLB-hostile trace. The frame pool makes room
// for every frame it hands out (reserveFrame), so adding needs no check;
// the L1 TLBs batch their counts per entry and hand them over here (and to
// the per-page observer).

import { PFN_COLUMNS } from "../abi";

let rowBytes: usize = <usize>PFN_COLUMNS * 8;

export let pfnCounts: usize = 0;
let pfnCapacity: u64 = 0;

/** One count per frame from now on, before any frame is counted: the TLBs then hand everything over as column 0. */
export function countTotalsOnly(): void {
  rowBytes = 8;
}

/** u64 counts per frame: PFN_COLUMNS, or 1 after countTotalsOnly(). */
export function frameColumns(): u32 {
  return <u32>(rowBytes >> 3);
}

/** Makes room for counting frame `pfn`. */
export function reserveFrame(pfn: u64): void {
  if (pfn < pfnCapacity) return;
  let capacity = max<u64>(pfn + 1, max<u64>(pfnCapacity * 2, 4096));
  let grown = heap.alloc(<usize>capacity * rowBytes);
  memory.fill(grown, 0, <usize>capacity * rowBytes);
  if (pfnCounts != 0) {
    memory.copy(grown, pfnCounts, <usize>pfnCapacity * rowBytes);
    heap.free(pfnCounts);
  }
  pfnCounts = grown;
  pfnCapacity = capacity;
}

// Additions wait in a small buffer and are made PENDING at a time: each is a
// random read-modify-write that misses the cache on a TLB-hostile trace,
// and in one tight loop the misses overlap instead of stalling the TLB code
// one by one. Slots are offsets into pfnCounts, which may move when it grows.
const PENDING: usize = 512;
const pending = memory.data(<i32>PENDING * 16, 16);  // (u64 offset, u64 n)
let pendingEnd: usize = pending;

/** Adds n translations of kind `column` (PFN_READS, PFN_WRITES, PFN_FETCHES) to frame pfn. */
// @ts-ignore: decorator
@inline export function addFrameCount(pfn: u64, column: u32, n: u64): void {
  let at = pendingEnd;
  store<u64>(at, <u64>(<usize>pfn * rowBytes + (<usize>column << 3)));
  store<u64>(at, n, 8);
  pendingEnd = at + 16;
  if (pendingEnd == pending + PENDING * 16) settleFrameCounts();
}

/** Makes every addition so far; the counts are complete only after it. */
export function settleFrameCounts(): void {
  let base = pfnCounts;
  for (let at = pending; at < pendingEnd; at += 16) {
    let slot = base + <usize>load<u64>(at);
    store<u64>(slot, load<u64>(slot) + load<u64>(at, 8));
  }
  pendingEnd = pending;
}
