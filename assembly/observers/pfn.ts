// Per-PFN translation counts (u64 per frame, indexed by PFN) for heatmaps.
// The frame pool makes room for every frame it hands out (reserveFrame), so
// adding needs no check; the L1 TLBs batch their counts per entry and hand
// them over here.

export let pfnCounts: usize = 0;
let pfnCapacity: u64 = 0;

/** Makes room for counting frame `pfn`. */
export function reserveFrame(pfn: u64): void {
  if (pfn < pfnCapacity) return;
  let capacity = max<u64>(pfn + 1, max<u64>(pfnCapacity * 2, 4096));
  let grown = heap.alloc(<usize>(capacity << 3));
  memory.fill(grown, 0, <usize>(capacity << 3));
  if (pfnCounts != 0) {
    memory.copy(grown, pfnCounts, <usize>(pfnCapacity << 3));
    heap.free(pfnCounts);
  }
  pfnCounts = grown;
  pfnCapacity = capacity;
}

// @ts-ignore: decorator
@inline export function addTranslations(pfn: u64, n: u64): void {
  let slot = pfnCounts + (<usize>pfn << 3);
  store<u64>(slot, load<u64>(slot) + n);
}
