// Page-walk caches: one fully associative LRU cache per upper page-table
// level (1 = PDE, 2 = PDPTE, 3 = PML4E, 4 = PML5E), keyed by the address
// space and the address bits that select that level's entry. A walk probes
// them deepest first and skips the levels above its first hit
// (docs/metrics.md, Page-walk caches).
//
// The walk itself still descends from the root (tables are never freed, so a
// hit always names tables that exist): the caches decide how many entries the
// walk reads, not where it finds them.

const MAX_LEVEL: u32 = 4;

// Per level k (index k - 1): entries, tags (u64[n]), stamps (u64[n]).
const sizes = memory.data(4 * 4, 4);
const tagArrays = memory.data(4 * 4, 4);
const stampArrays = memory.data(4 * 4, 4);
export const pwcLookups = memory.data(4 * 8, 8);
export const pwcHits = memory.data(4 * 8, 8);
let clock: u64 = 0;
let upperLevels: u32 = 0; // levels above the PT in this paging mode

// @ts-ignore: decorator
@inline function at(table: usize, k: u32): usize {
  return table + (<usize>(k - 1) << 2);
}

// @ts-ignore: decorator
@inline function bump(counters: usize, k: u32): void {
  let slot = counters + (<usize>(k - 1) << 3);
  store<u64>(slot, load<u64>(slot) + 1);
}

/** Entries per level (pde, pdpte, pml4e, pml5e) for a mode with `levels` levels. */
export function configurePwc(pde: u32, pdpte: u32, pml4e: u32, pml5e: u32, levels: u32): void {
  upperLevels = levels - 1;
  let n = [pde, pdpte, pml4e, pml5e];
  for (let k: u32 = 1; k <= MAX_LEVEL; k++) {
    let entries = k <= upperLevels ? n[k - 1] : 0;
    store<u32>(at(sizes, k), entries);
    let bytes = <usize>entries << 3;
    let tags = entries == 0 ? 0 : heap.alloc(bytes);
    let stamps = entries == 0 ? 0 : heap.alloc(bytes);
    store<u32>(at(tagArrays, k), <u32>tags);
    store<u32>(at(stampArrays, k), <u32>stamps);
  }
  flushPwc();
}

// A CPU's caches, for machines with several: its tag and stamp arrays per
// level and its clock (PWC_STATE_BYTES at a block the MMU keeps per CPU).
export const PWC_STATE_BYTES: usize = 4 * 4 * 2 + 8;

/** Saves the live caches' arrays and clock into a CPU's block. */
export function savePwc(block: usize): void {
  memory.copy(block, tagArrays, 16);
  memory.copy(block + 16, stampArrays, 16);
  store<u64>(block, clock, 32);
}

/** Makes a CPU's caches live again. */
export function loadPwc(block: usize): void {
  memory.copy(tagArrays, block, 16);
  memory.copy(stampArrays, block + 16, 16);
  clock = load<u64>(block, 32);
}

/** Gives a new CPU empty caches of the configured sizes (live after loadPwc of its block). */
export function newPwc(block: usize): void {
  for (let k: u32 = 1; k <= MAX_LEVEL; k++) {
    let bytes = <usize>load<u32>(at(sizes, k)) << 3;
    let tags = bytes == 0 ? <usize>0 : heap.alloc(bytes);
    let stamps = bytes == 0 ? <usize>0 : heap.alloc(bytes);
    if (bytes != 0) {
      memory.fill(tags, 0xff, bytes);
      memory.fill(stamps, 0, bytes);
    }
    store<u32>(block + (<usize>(k - 1) << 2), <u32>tags);
    store<u32>(block + 16 + (<usize>(k - 1) << 2), <u32>stamps);
  }
  store<u64>(block, 0, 32);
}

/** Empties every cache (an empty slot's tag is all ones, as in a TLB). */
export function flushPwc(): void {
  for (let k: u32 = 1; k <= MAX_LEVEL; k++) {
    let bytes = <usize>load<u32>(at(sizes, k)) << 3;
    if (bytes == 0) continue;
    memory.fill(<usize>load<u32>(at(tagArrays, k)), 0xff, bytes);
    memory.fill(<usize>load<u32>(at(stampArrays, k)), 0, bytes);
  }
}

/** The slot holding key at level k, or -1. */
function find(k: u32, key: u64): i32 {
  let tags = <usize>load<u32>(at(tagArrays, k));
  let n = load<u32>(at(sizes, k));
  for (let i: u32 = 0; i < n; i++) {
    if (load<u64>(tags + (<usize>i << 3)) == key) return <i32>i;
  }
  return -1;
}

/**
 * Probes the levels above the walk's leaf level, deepest first; returns the
 * level that hit (refreshing it), or 0. Counts the probes and the hit.
 */
export function probePwc(keys: usize, leaf: u32): u32 {
  for (let k: u32 = leaf + 1; k <= upperLevels; k++) {
    bump(pwcLookups, k);
    let i = find(k, load<u64>(keys + (<usize>(k - 1) << 3)));
    if (i >= 0) {
      bump(pwcHits, k);
      store<u64>(<usize>load<u32>(at(stampArrays, k)) + (<usize>i << 3), ++clock);
      return k;
    }
  }
  return 0;
}

/** Fills the levels above the walk's leaf level and below `below` with the walk's keys. */
export function fillPwc(keys: usize, below: u32, leaf: u32): void {
  for (let k: u32 = leaf + 1; k < below; k++) {
    let n = load<u32>(at(sizes, k));
    if (n == 0) continue;
    let stamps = <usize>load<u32>(at(stampArrays, k));
    let victim: u32 = 0;
    let oldest = load<u64>(stamps);
    for (let i: u32 = 1; i < n && oldest != 0; i++) {
      let stamp = load<u64>(stamps + (<usize>i << 3));
      if (stamp < oldest) { oldest = stamp; victim = i; }
    }
    store<u64>(<usize>load<u32>(at(tagArrays, k)) + (<usize>victim << 3), load<u64>(keys + (<usize>(k - 1) << 3)));
    store<u64>(stamps + (<usize>victim << 3), ++clock);
  }
}

export function pwcLevels(): u32 {
  return upperLevels;
}
