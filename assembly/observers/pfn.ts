// Per-PFN translation counts (u64 per frame, indexed by PFN) for heatmaps.

export let pfnCounts: usize = 0;
export let pfnCapacity: u64 = 0;
/** One past the highest PFN counted. */
export let pfnLimit: u64 = 0;

function grow(pfn: u64): void {
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
@inline export function countTranslation(pfn: u64): void {
  if (pfn >= pfnCapacity) grow(pfn);
  if (pfn >= pfnLimit) pfnLimit = pfn + 1;
  let slot = pfnCounts + (<usize>pfn << 3);
  store<u64>(slot, load<u64>(slot) + 1);
}
