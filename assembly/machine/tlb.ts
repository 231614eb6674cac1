// One set-associative TLB, struct-of-arrays. Every entry has a stamp from a
// per-TLB clock, set on fill (and, for LRU, on hit), 0 when invalid: the way
// with the smallest stamp is the LRU or FIFO victim, and the first invalid
// way whatever the policy, as real TLBs and QEMU's cache plugin fill invalid
// ways first. Random and tree-PLRU choose among full sets their own way
// (docs/metrics.md, Replacement).
//
// A stamp is a u32 with the way's number (mod 16) in its low 4 bits, so that
// one unsigned min over the set gives the victim, four ways per SIMD
// instruction. The clock then has 28 bits: before it runs out, every set's
// stamps are renumbered 1, 2, ... in their order (renumber()), which changes
// no victim, since only the order of stamps within a set matters.
//
// An L1 TLB also counts the translations each entry resolves and hands the
// count to the per-PFN (and per-page) observers when the entry leaves
// (eviction, invalidation, flush) or when counts are read (drainCounts): a
// hit then touches only the TLB's own, cache-resident arrays instead of a
// random slot of the per-PFN array, and every translation is still counted
// exactly once on its frame. Each entry has two counts, countBytes apart: the
// caller picks one by its `count` offset (the L1d: reads at 0, writes at
// countBytes; the L1i: fetches at 0), so the split costs a hit nothing.
//
// A TLB remembers the entry of its last hit or fill: a lookup of the same tag
// again (the common case: consecutive accesses to one page) skips the set
// scan. Exact, because that entry is still the most recently used of its set
// (no other lookup or fill of this TLB came between), so refreshing its LRU
// stamp would change no order; invalidations forget it.
//
// An L1 TLB also keeps, per set, the page and slot of the set's most
// recently used entry (rows; one row for all sets when their number is not a
// power of two: the last hit's or fill's entry). A hit on that entry changes
// no replacement state (its LRU stamp stays the set's newest, FIFO and random
// never change on a hit, tree-PLRU's bits already point away from it), so
// the plain machine's loop (mmu.ts, countHits) counts it without a lookup.
// Invalidations and flushes forget rows; so does a switch of address space.
//
// Tags are compared four ways at a time with SIMD and a miss is known after a
// fixed number of steps, so the hit way's position costs no mispredicted
// branch. A set's ways are padded to a multiple of four with ways that never
// hold a tag and are never a victim. Against plain loops over the ways (tag
// compare and victim search), this replays the bench's 10M-record .tlbt
// traces of the default machine 1.36x (zipf), 1.42x (uniform) and 1.55x
// (chase) as fast: paired medians of 11 interleaved replays, the same JSON.

import { POLICY_LRU, POLICY_FIFO, POLICY_RANDOM, POLICY_PLRU } from "../abi";
import { addFrameCount } from "../observers/pfn";
import { addPageCounts, tracking as trackingPages } from "../observers/pages";

/** Tag of an invalid way; valid tags never have the top bit set. */
export const NO_TAG: u64 = 0xffff_ffff_ffff_ffff;

// What a caller of lookupSet() and fill() knows of the TLB, as a constant
// (`known`), so that their inlined copy leaves out the tests it answers.
/** An L1: it counts translations and keeps rows. */
export const KNOWN_L1: u32 = 1;
/** Not an L1: no counts, no rows. */
export const KNOWN_NOT_L1: u32 = 2;
/** LRU or FIFO: a full set's victim is its smallest stamp (no random draw, no PLRU tree). */
export const KNOWN_STAMPED: u32 = 4;
/** No entry is invalidated between a lookup and its fill: no frame pool that a walk evicts from. */
export const KNOWN_SETTLED: u32 = 8;

export class Tlb {
  sets: u64;
  ways: usize;
  stride: usize;  // ways rounded up to a multiple of 4: slots per set
  setMask: u64;   // sets - 1 when sets is a power of two
  pow2: bool;
  policy: u32;
  lruStamps: bool;  // hits refresh stamps (LRU only)
  plru: usize = 0;  // u8[sets * (ways - 1)]: each set's tree bits
  random: u64;      // splitmix64 state
  tags: usize;    // u64[sets * stride]
  stamps: usize;  // u32[sets * stride]: at slot >> 1
  pfns: usize;    // u64[sets * stride]
  counts: usize;  // u64[2][sets * stride]: translations not yet handed over (0 unless counting)
  countBytes: usize;  // offset of the second count
  writeCount: usize;  // the count an L1d's writes add to: countBytes, or 0 (the first) under countTotals()
  counting: bool;
  column: u32;    // the per-PFN column of the first count; the second is column + 1
  clock: u32 = 0;
  ranks: usize = 0;  // u32[stride]: renumber()'s working space, made on its first run
  lookups: u64 = 0;
  misses: u64 = 0;
  /** After a missed lookup: the first slot of the page's set, and the slot fill() replaces. */
  victimBase: usize = 0;
  victim: usize = 0;
  /** An entry was invalidated since the last lookup: the victim is stale. */
  invalidated: bool = false;
  lastTag: u64 = NO_TAG;
  lastSlot: usize = 0;   // byte offset of the last hit's or fill's entry
  /** u64 page, u32 slot per row (16 bytes), page NO_TAG when none; 0 when the TLB keeps no rows. */
  rows: usize = 0;
  /** The row of page p is p & rowMask. */
  rowMask: u64 = 0;
  /** After a missed lookup: the page fill() sets its row to. */
  victimKey: u64 = NO_TAG;

  /** `column`: what the first count counts (PFN_READS for the L1d, PFN_FETCHES for the L1i). */
  constructor(entries: u32, ways: u32, policy: u32, counting: bool, randomState: u64, column: u32 = 0) {
    this.sets = <u64>(entries / ways);
    this.ways = <usize>ways;
    this.stride = (<usize>ways + 3) & ~3;
    this.pow2 = (this.sets & (this.sets - 1)) == 0;
    this.setMask = this.sets - 1;
    this.policy = policy;
    this.lruStamps = policy == POLICY_LRU;
    this.random = randomState;
    if (policy == <u32>POLICY_PLRU && ways > 1) {
      let bytes = <usize>this.sets * (<usize>ways - 1);
      this.plru = heap.alloc(bytes);
      memory.fill(this.plru, 0, bytes);
    }
    let bytes = <usize>this.sets * this.stride * 8;
    this.tags = heap.alloc(bytes);
    this.stamps = heap.alloc(bytes >> 1);
    this.pfns = heap.alloc(bytes);
    this.counts = heap.alloc(2 * bytes);
    memory.fill(this.counts, 0, 2 * bytes);
    this.countBytes = bytes;
    this.writeCount = bytes;
    this.counting = counting;
    this.column = column;
    // Only the machine's L1s (the counting TLBs) are read by countHits().
    if (counting) {
      this.rowMask = this.pow2 ? this.setMask : 0;
      this.rows = heap.alloc(<usize>(this.rowMask + 1) << 4);
    }
    this.flush();
  }

  // @ts-ignore: decorator
  @inline private setBase(vpn: u64): usize {
    let set = this.pow2 ? vpn & this.setMask : vpn % this.sets;
    return <usize>set * this.stride;
  }

  /**
   * The PFN the entry maps, or -1 on a miss, after which fill() may follow.
   * Counts the lookup; a hit adds to the entry's count at offset `count`
   * (0 or countBytes).
   */
  // @ts-ignore: decorator
  @inline lookup(tag: u64, vpn: u64, count: usize): i64 {
    if (this.hitLast(tag, count)) return this.lastPfn();
    return this.lookupSet(tag, vpn, count);
  }

  /** The frame of the entry of the last hit or fill. */
  // @ts-ignore: decorator
  @inline lastPfn(): i64 {
    return load<i64>(this.pfns + this.lastSlot);
  }

  /** lookup()'s shortcut alone: true (a counted hit) if the tag is the last entry's. */
  // @ts-ignore: decorator
  @inline hitLast(tag: u64, count: usize): bool {
    if (tag != this.lastTag) return false;
    this.lookups++;
    if (this.counting) {
      let at = this.counts + count + this.lastSlot;
      store<u64>(at, load<u64>(at) + 1);
    }
    return true;
  }

  /**
   * A counted hit, without a lookup, if page `key`'s row names it (its set's
   * newest entry; only the plain machine's pages, which are their own keys).
   */
  // @ts-ignore: decorator
  @inline hitRow(key: u64, count: usize): bool {
    let row = this.rowOf(key);
    if (load<u64>(row) != key) return false;
    this.lookups++;
    let at = this.counts + count + <usize>load<u32>(row, 8);
    store<u64>(at, load<u64>(at) + 1);
    return true;
  }

  /** Whether this TLB counts translations (and keeps rows): known, or asked. */
  // @ts-ignore: decorator
  @inline private isL1(known: u32): bool {
    return (known & KNOWN_L1) != 0 || ((known & KNOWN_NOT_L1) == 0 && this.counting);
  }

  /** The row of page `key`: the entry at `slot` (a hit or fill of it just now) is its set's newest. */
  // @ts-ignore: decorator
  @inline private setRow(key: u64, slot: usize, known: u32): void {
    // Only the L1s, the counting TLBs, keep rows.
    if (this.isL1(known)) {
      let row = this.rowOf(key);
      store<u64>(row, key);
      store<u32>(row, <u32>slot, 8);
    }
  }

  /** Page `key`'s row (the L1 keeps rows). */
  // @ts-ignore: decorator
  @inline private rowOf(key: u64): usize {
    return this.rows + (<usize>(key & this.rowMask) << 4);
  }

  /** Forgets every row: after a flush, or when page numbers change their space. */
  forgetRows(): void {
    if (this.rows != 0) memory.fill(this.rows, 0xff, <usize>(this.rowMask + 1) << 4);
  }

  /** The set scan: lookup() without the last-entry shortcut (exact either way). */
  // @ts-ignore: decorator
  @inline lookupSet(tag: u64, vpn: u64, count: usize, known: u32 = 0): i64 {
    this.lookups++;
    let base = this.setBase(vpn);
    let t = this.tags + (base << 3);
    let stride = this.stride;
    let way = stride <= 16 ? matchSmall(t, tag, stride) : matchLarge(t, tag, stride);
    if (way >= 0) {
      let slot = (base + <usize>way) << 3;
      if (this.lruStamps) store<u32>(this.stamps + (slot >> 1), this.tick() | wayBits(<usize>way));
      else if (!(known & KNOWN_STAMPED) && this.plru != 0) this.touch(base, <usize>way);
      if (this.isL1(known)) store<u64>(this.counts + count + slot, load<u64>(this.counts + count + slot) + 1);
      this.lastTag = tag;
      this.lastSlot = slot;
      this.setRow(vpn, slot, known);
      return load<i64>(this.pfns + slot);
    }
    this.misses++;
    this.victimKey = vpn;
    this.victimBase = base;
    this.victim = base + oldestWay(this.stamps + (base << 2), this.stride);
    return -1;
  }

  /**
   * Fills the page whose lookup() just missed. Only invalidate() may touch
   * this TLB in between (a walk's eviction shoots entries down): then the
   * victim is chosen again, as the set now stands. With KNOWN_SETTLED the
   * flag is not read; an invalidation between misses leaves it set, and a
   * later fill that reads it chooses again, the same victim.
   */
  // @ts-ignore: decorator
  @inline fill(tag: u64, pfn: u64, count: usize, known: u32 = 0): void {
    let base = this.victimBase;
    if (!(known & KNOWN_SETTLED) && this.invalidated) {
      this.invalidated = false;
      this.victim = base + oldestWay(this.stamps + (base << 2), this.stride);
    }
    // A full set (no stamp 0) under random or PLRU: the policy's own choice.
    if (!(known & KNOWN_STAMPED) && this.policy > <u32>POLICY_FIFO && load<u32>(this.stamps + (this.victim << 2)) >= WAY_BITS) {
      this.victim = base + (this.policy == <u32>POLICY_RANDOM ? this.draw() : this.plruVictim(base));
    }
    let slot = this.victim << 3;
    if (this.isL1(known)) {
      this.handOver(slot);
      store<u64>(this.counts + count + slot, 1);
    }
    store<u64>(this.tags + slot, tag);
    store<u32>(this.stamps + (slot >> 1), this.tick() | wayBits(this.victim - base));
    store<u64>(this.pfns + slot, pfn);
    this.lastTag = tag;
    this.lastSlot = slot;
    this.setRow(this.victimKey, slot, known);
    if (!(known & KNOWN_STAMPED) && this.plru != 0) {
      let way = this.victim % this.stride;
      this.touch(this.victim - way, way);
    }
  }

  /** Invalidates the entry with this tag; true if there was one. */
  invalidate(tag: u64, vpn: u64): bool {
    let base = this.setBase(vpn);
    let found = false;
    if (this.rows != 0) store<u64>(this.rowOf(vpn), NO_TAG);
    for (let w: usize = 0; w < this.ways; w++) {
      let slot = (base + w) << 3;
      if (load<u64>(this.tags + slot) == tag) {
        this.lastTag = NO_TAG;
        this.handOver(slot);
        store<u64>(this.tags + slot, NO_TAG);
        store<u32>(this.stamps + (slot >> 1), wayBits(w));
        found = true;
        this.invalidated = true;
      }
    }
    return found;
  }

  /** splitmix64: the next random way of a full set. */
  private draw(): usize {
    let z = (this.random += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z ^= z >> 31;
    return <usize>(z % <u64>this.ways);
  }

  /** Points every tree bit on way's path away from it; `base` is its set's first slot. */
  private touch(base: usize, way: usize): void {
    let bits = this.plru + (base / this.stride) * (this.ways - 1);
    let node: usize = 0;
    let low: usize = 0;
    for (let size = this.ways; size > 1; size >>= 1) {
      let half = size >> 1;
      if (way < low + half) {
        store<u8>(bits + node, 1);
        node = 2 * node + 1;
      } else {
        store<u8>(bits + node, 0);
        node = 2 * node + 2;
        low += half;
      }
    }
  }

  /** The way the set's tree bits lead to from the root (0: left, 1: right). */
  private plruVictim(base: usize): usize {
    let bits = this.plru + (base / this.stride) * (this.ways - 1);
    let node: usize = 0;
    let low: usize = 0;
    for (let size = this.ways; size > 1; size >>= 1) {
      let half = size >> 1;
      if (load<u8>(bits + node) == 0) {
        node = 2 * node + 1;
      } else {
        node = 2 * node + 2;
        low += half;
      }
    }
    return low;
  }

  // @ts-ignore: decorator
  @inline private handOver(slot: usize): void {
    let first = this.counts + slot;
    let n = load<u64>(first);
    let w = load<u64>(first + this.countBytes);
    if ((n | w) != 0) {
      let pfn = load<u64>(this.pfns + slot);
      if (n != 0) addFrameCount(pfn, this.column, n);
      if (w != 0) addFrameCount(pfn, this.column + 1, w);
      if (trackingPages) addPageCounts(load<u64>(this.tags + slot), pfn, this.column, n, w);
      store<u64>(first, 0);
      store<u64>(first + this.countBytes, 0);
    }
  }

  /** Every translation into the first count, for per-PFN totals (countTotalsOnly): the second stays 0. */
  countTotals(): void {
    this.writeCount = 0;
    this.column = 0;
  }

  /** Hands every entry's pending count to the per-PFN observer; entries stay. */
  drainCounts(): void {
    let slots = <usize>(this.sets * <u64>this.stride);
    for (let i: usize = 0; i < slots; i++) this.handOver(i << 3);
  }

  /** Invalidates every entry whose tag is below `keep` (a switch keeps global entries). */
  flushBelow(keep: u64): void {
    this.lastTag = NO_TAG;
    this.forgetRows();
    this.invalidated = true;
    let slots = <usize>(this.sets * <u64>this.stride);
    for (let i: usize = 0; i < slots; i++) {
      let slot = i << 3;
      if (load<u64>(this.tags + slot) < keep) {
        this.handOver(slot);
        store<u64>(this.tags + slot, NO_TAG);
        store<u32>(this.stamps + (slot >> 1), wayBits(i % this.stride));
      }
    }
  }

  flush(): void {
    this.lastTag = NO_TAG;
    this.forgetRows();
    this.drainCounts();
    let slots = <usize>(this.sets * <u64>this.stride);
    memory.fill(this.tags, 0xff, slots << 3);
    for (let i: usize = 0; i < slots; i++) {
      let way = i % this.stride;
      store<u32>(this.stamps + (i << 2), way < this.ways ? wayBits(way) : PAD_STAMP);
    }
  }

  /** The next stamp, its way bits 0; renumbers the stamps first when the clock runs out. */
  // @ts-ignore: decorator
  @inline private tick(): u32 {
    let c = ++this.clock;
    if (c > stampLimit) c = this.renumber();
    return c << WAY_SHIFT;
  }

  /**
   * Gives every set's valid stamps the numbers 1, 2, ... in their order and
   * returns the clock's next value, above all of them. Out of line: it runs
   * once in 2^28 ticks.
   */
  private renumber(): u32 {
    let top: u32 = 0;
    let stride = this.stride;
    // Ranks first, then stores: each rank counts the smaller old stamps.
    if (this.ranks == 0) this.ranks = heap.alloc(stride << 2);
    let ranks = this.ranks;
    for (let base: usize = 0; base < <usize>this.sets * stride; base += stride) {
      let s = this.stamps + (base << 2);
      for (let w: usize = 0; w < this.ways; w++) {
        let mine = load<u32>(s + (w << 2)) >> WAY_SHIFT;
        let rank: u32 = 0;
        if (mine != 0) {
          rank = 1;
          for (let v: usize = 0; v < this.ways; v++) {
            let other = load<u32>(s + (v << 2)) >> WAY_SHIFT;
            if (other != 0 && other < mine) rank++;
          }
        }
        store<u32>(ranks + (w << 2), rank);
      }
      for (let w: usize = 0; w < this.ways; w++) {
        let rank = load<u32>(ranks + (w << 2));
        if (rank > top) top = rank;
        store<u32>(s + (w << 2), (rank << WAY_SHIFT) | wayBits(w));
      }
    }
    this.clock = top + 1;
    return this.clock;
  }
}

/** The stamps' way bits: the way's number mod 16 below the clock's value. */
const WAY_SHIFT: u32 = 4;
const WAY_BITS: u32 = 1 << WAY_SHIFT;
/** The clock's last value before renumber(): the largest stamp still fits below PAD_STAMP. */
const STAMP_MAX: u32 = (0xffff_ffff >> WAY_SHIFT) - 1;
let stampLimit: u32 = STAMP_MAX;

/** Makes every TLB renumber its stamps once its clock passes `limit` (tests use small ones; at most STAMP_MAX). */
export function setStampLimit(limit: u32): void {
  stampLimit = min<u32>(max<u32>(limit, 1), STAMP_MAX);
}

// The matching way, or -1. Up to 16 ways unrolled, four at a time (a stride
// is a multiple of 4): the tests on `stride` go the same way for every
// lookup of a TLB, so they cost no mispredictions.
// @ts-ignore: decorator
@inline function matchSmall(t: usize, tag: u64, stride: usize): i32 {
  let key = i64x2.splat(tag);
  let hits = match4(t, key);
  if (stride > 4) {
    hits |= match4(t + 32, key) << 4;
    if (stride > 8) {
      hits |= match4(t + 64, key) << 8;
      if (stride > 12) hits |= match4(t + 96, key) << 12;
    }
  }
  return hits != 0 ? <i32>ctz(hits) : -1;
}

/** Bit i set when tag i of the four at t equals `key`'s: two 64-bit compares, their low halves gathered into one mask. */
// @ts-ignore: decorator
@inline function match4(t: usize, key: v128): u32 {
  let low = i64x2.eq(v128.load(t), key);
  let high = i64x2.eq(v128.load(t, 16), key);
  return i32x4.bitmask(v128.shuffle<u32>(low, high, 0, 2, 4, 6));
}

/** The matching way of a set with any number of ways, or -1. */
function matchLarge(t: usize, tag: u64, stride: usize): i32 {
  let key = i64x2.splat(tag);
  for (let group: usize = 0; group < stride; group += 32) {
    let last = min<usize>(group + 32, stride);
    let hits: u32 = 0;
    for (let w = group; w < last; w += 2) {
      hits |= i64x2.bitmask(i64x2.eq(v128.load(t + (w << 3)), key)) << <u32>(w - group);
    }
    if (hits != 0) return <i32>(group + <usize>ctz(hits));
  }
  return -1;
}

/** A stamp's way bits: the way's number mod 16. */
// @ts-ignore: decorator
@inline function wayBits(way: usize): u32 {
  return <u32>way & (WAY_BITS - 1);
}

/** The stamp of a padding way: above every real one, so never the oldest. */
const PAD_STAMP: u32 = 0xffff_ffff;

/**
 * The way with the smallest stamp, the first one on ties (so the first
 * invalid way): each stamp has its way's number in its low bits, so an
 * unsigned min over the set finds both, four ways at a time and without a
 * branch on the stamps. Up to 16 ways unrolled; `s` is the set's first stamp.
 */
// @ts-ignore: decorator
@inline function oldestWay(s: usize, stride: usize): usize {
  if (stride > 16) return oldestWayLoop(s, stride);
  let m = v128.load(s);
  if (stride > 4) {
    m = i32x4.min_u(m, v128.load(s, 16));
    if (stride > 8) m = i32x4.min_u(m, v128.load(s, 32));
    if (stride > 12) m = i32x4.min_u(m, v128.load(s, 48));
  }
  m = i32x4.min_u(m, v128.shuffle<u32>(m, m, 2, 3, 0, 1));
  m = i32x4.min_u(m, v128.shuffle<u32>(m, m, 1, 0, 3, 2));
  return <usize>(i32x4.extract_lane(m, 0) & <i32>(WAY_BITS - 1));
}

/** oldestWay() for more than 16 ways: the way bits no longer name the way. */
function oldestWayLoop(s: usize, stride: usize): usize {
  let best: usize = 0;
  let oldest = load<u32>(s) >> WAY_SHIFT;
  for (let w: usize = 1; w < stride && oldest != 0; w++) {
    let stamp = load<u32>(s + (w << 2)) >> WAY_SHIFT;
    if (stamp < oldest) { oldest = stamp; best = w; }
  }
  return best;
}
