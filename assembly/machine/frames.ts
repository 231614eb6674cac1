// The physical frame pool (docs/metrics.md, Physical memory and eviction;
// Frame allocation). Frames go out sequentially from FIRST_PFN or in a seeded
// shuffled order; with a limit, a full pool gives up a resident data page
// chosen by the eviction policy, and its frame goes at once to the page or
// table that needed it. Page-table frames are never given up.
//
// With a limit every pool frame has a record (indexed by pfn - FIRST_PFN):
// what it holds, its owner page, a dirty bit, and the policy's state. LRU and
// FIFO share one list (least recent or oldest at the head): LRU moves a page
// to the tail on every translation, FIFO only when it is loaded.

import { regrow } from "../grow";
import { reserveFrame } from "../observers/pfn";
import { FIRST_PFN, EVICT_LRU, EVICT_FIFO, EVICT_CLOCK, EVICT_OPT, ALLOC_SHUFFLED, ALLOC_TRACE } from "../abi";
import { unmapEvicted } from "./pagetable";
import { shootDown } from "./mmu";

export let framesUsed: u64 = 0;
export let pageTableFrames: u64 = 0;
/** One past the highest PFN handed out: the per-PFN array's length. */
export let pfnLimit: u64 = 0;
export let evictions: u64 = 0;
export let writebacks: u64 = 0;
export let shootdowns: u64 = 0;
/** Translations made so far, counted only while tracking: OPT's clock, and the pre-pass's record length. */
export let translations: u64 = 0;
/** A frame limit or OPT's pre-pass: every translation must be seen (track()). */
export let tracking = false;

let nextPfn: u64 = <u64>FIRST_PFN;
let shuffled = false;
let poolSize: u64 = 0;        // shuffled: frames in the pool
let order: usize = 0;         // shuffled: u32 a[poolSize], the lazy Fisher-Yates array
let shuffleState: u64 = 0;

/** 0 = no limit. */
export let limit: u64 = 0;
let policy: u32 = EVICT_LRU;
const NONE: u32 = 0xffff_ffff;
const KIND_FREE: u8 = 0;
const KIND_TABLE: u8 = 1;
const KIND_DATA: u8 = 2;
let kinds: usize = 0;         // u8 per frame
let dirty: usize = 0;         // u8 per frame
let referenced: usize = 0;    // u8 per frame (clock)
let ownerSpace: usize = 0;    // u32 per frame
let ownerVpn: usize = 0;      // u64 per frame
let prev: usize = 0;          // u32 per frame (LRU/FIFO list)
let next: usize = 0;
let head: u32 = NONE;
let tail: u32 = NONE;
let hand: u64 = 0;            // clock
let nextUse: usize = 0;       // u32 per frame (OPT): index of the page's next translation
let future: usize = 0;        // u32 per translation (OPT): index of that page's next translation

// Recording the translation stream for OPT's pre-pass: the page key of each.
let recording = false;
let record: usize = 0;
let recordCapacity: u64 = 0;

// --alloc trace: the data page being faulted in takes the frame of the
// faulting access's physical address when it has one (set by the MMU).
export let traceFrames = false;
let faultFrame: u64 = 0;
let faultHasFrame = false;

/** The frame the faulting access's physical address names, or none. */
// @ts-ignore: decorator
@inline export function setFaultFrame(pfn: u64, has: bool): void {
  faultFrame = pfn;
  faultHasFrame = has;
}

/**
 * Call before any frame is handed out. frames = 0: no limit. traceBase:
 * with --alloc trace, the first frame of the sequential allocator (one past
 * the trace's highest frame).
 */
export function configureFrames(frames: u64, evict: u32, alloc: u32, seed: u64, shuffledPool: u64, traceBase: u64): void {
  limit = frames;
  policy = evict;
  if (alloc == <u32>ALLOC_TRACE) {
    traceFrames = true;
    nextPfn = max<u64>(traceBase, <u64>FIRST_PFN);
  }
  tracking = frames != 0 || recording;
  if (alloc == <u32>ALLOC_SHUFFLED) {
    shuffled = true;
    poolSize = frames != 0 ? frames : shuffledPool;
    order = heap.alloc(<usize>poolSize << 2);
    for (let i: u64 = 0; i < poolSize; i++) store<u32>(order + (<usize>i << 2), <u32>(<u64>FIRST_PFN + i));
    shuffleState = seed + 4;
  }
  if (frames == 0) return;
  let n = <usize>frames;
  kinds = zeroed(n);
  dirty = zeroed(n);
  referenced = zeroed(n);
  ownerSpace = zeroed(n << 2);
  ownerVpn = zeroed(n << 3);
  prev = zeroed(n << 2);
  next = zeroed(n << 2);
  if (policy == <u32>EVICT_OPT) nextUse = zeroed(n << 2);
}

function zeroed(bytes: usize): usize {
  let p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** splitmix64, as the random TLB policy draws. */
function draw(): u64 {
  let z = (shuffleState += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** A frame never handed out before, or 0 when the pool has none left. */
function fresh(count: u64): u64 {
  if (limit != 0 && framesUsed + count > limit) return 0;
  let pfn: u64;
  if (shuffled) {
    let k = framesUsed;
    if (k >= poolSize) abort("the shuffled allocator's pool of frames is used up (give --frames)");
    let j = k + draw() % (poolSize - k);
    let a = order + (<usize>k << 2);
    let b = order + (<usize>j << 2);
    let t = load<u32>(a);
    store<u32>(a, load<u32>(b));
    store<u32>(b, t);
    pfn = <u64>load<u32>(a);
  } else {
    pfn = nextPfn;
    nextPfn += count;
  }
  framesUsed += count;
  if (pfn + 1 > pfnLimit) {
    pfnLimit = pfn + 1;
    reserveFrame(pfn);
  }
  return pfn;
}

/** A linear page's frame (guest RAM outside the pool): counted per PFN, nothing else. */
export function noteLinearFrame(pfn: u64): u64 {
  if (pfn + 1 > pfnLimit) {
    pfnLimit = pfn + 1;
    reserveFrame(pfn);
  }
  return pfn;
}

// @ts-ignore: decorator
@inline function index(pfn: u64): usize {
  return <usize>(pfn - <u64>FIRST_PFN);
}

function unlink(i: u32): void {
  let p = load<u32>(prev + (<usize>i << 2));
  let n = load<u32>(next + (<usize>i << 2));
  if (p == NONE) head = n; else store<u32>(next + (<usize>p << 2), n);
  if (n == NONE) tail = p; else store<u32>(prev + (<usize>n << 2), p);
}

function append(i: u32): void {
  store<u32>(prev + (<usize>i << 2), tail);
  store<u32>(next + (<usize>i << 2), NONE);
  if (tail == NONE) head = i; else store<u32>(next + (<usize>tail << 2), i);
  tail = i;
}

function tablesFill(): void {
  abort("the page tables alone need more than " + limit.toString() + " frames: give --frames or --mem more");
}

/** The resident data page to give up, by the policy. */
function victim(): u32 {
  if (policy == <u32>EVICT_LRU || policy == <u32>EVICT_FIFO) {
    if (head == NONE) tablesFill();
    return head;
  }
  let n = limit;
  if (policy == <u32>EVICT_CLOCK) {
    // Two sweeps clear every bit, so a third finds a victim if there is any data frame.
    for (let step: u64 = 0; step < 2 * n + 1; step++) {
      let i = <usize>hand;
      hand = hand + 1 == n ? 0 : hand + 1;
      if (load<u8>(kinds + i) != KIND_DATA) continue;
      if (load<u8>(referenced + i) != 0) {
        store<u8>(referenced + i, 0);
        continue;
      }
      return <u32>i;
    }
    tablesFill();
    return 0;
  }
  // OPT: the farthest next use; the lowest frame among ties.
  let best: u32 = NONE;
  let farthest: u32 = 0;
  for (let i: u32 = 0; <u64>i < n; i++) {
    if (load<u8>(kinds + i) != KIND_DATA) continue;
    let use = load<u32>(nextUse + (<usize>i << 2));
    if (best == NONE || use > farthest) {
      best = i;
      farthest = use;
    }
  }
  if (best == NONE) tablesFill();
  return best;
}

/** Gives up a resident data page and returns its frame, now free. */
function evict(): u64 {
  let i = victim();
  let slot = <usize>i;
  if (policy <= <u32>EVICT_FIFO) unlink(i);
  evictions++;
  if (load<u8>(dirty + slot) != 0) writebacks++;
  let space = load<u32>(ownerSpace + (slot << 2));
  let vpn = load<u64>(ownerVpn + (slot << 3));
  unmapEvicted(space, vpn);
  if (shootDown(space, vpn)) shootdowns++;
  store<u8>(kinds + slot, KIND_FREE);
  return <u64>FIRST_PFN + <u64>i;
}

function take(): u64 {
  let pfn = fresh(1);
  return pfn != 0 ? pfn : evict();
}

/** A frame for a page table; may evict a data page. */
export function allocTableFrame(): u64 {
  pageTableFrames++;
  let pfn = take();
  if (limit != 0) store<u8>(kinds + index(pfn), KIND_TABLE);
  return pfn;
}

/** The first of `count` consecutive frames for the data page (space, vpn); may evict. */
export function allocDataFrame(space: u32, vpn: u64, count: u64): u64 {
  if (traceFrames && faultHasFrame) {
    framesUsed++;
    return noteLinearFrame(faultFrame);
  }
  if (limit == 0) return fresh(count);
  let pfn = take();
  let i = index(pfn);
  store<u8>(kinds + i, KIND_DATA);
  store<u8>(dirty + i, 0);
  store<u8>(referenced + i, 1);
  store<u32>(ownerSpace + (i << 2), space);
  store<u64>(ownerVpn + (i << 3), vpn);
  if (policy <= <u32>EVICT_FIFO) append(<u32>i);
  return pfn;
}

/**
 * Every translation, after it resolved to `pfn`: the policy's bookkeeping,
 * the dirty bit, and OPT's view of the page's next use.
 */
function touchFrame(pfn: u64, write: bool): void {
  if (pfn == 0) return; // a linear page
  let i = index(pfn);
  if (write) store<u8>(dirty + i, 1);
  if (policy == <u32>EVICT_LRU) {
    if (<u32>i != tail) {
      unlink(<u32>i);
      append(<u32>i);
    }
  } else if (policy == <u32>EVICT_CLOCK) {
    store<u8>(referenced + i, 1);
  } else if (policy == <u32>EVICT_OPT) {
    store<u32>(nextUse + (i << 2), load<u32>(future + (<usize>translations << 2)));
  }
}

/** Every translation while tracking: its frame's bookkeeping, or its page in the pre-pass's record. */
export function track(pfn: u64, write: bool, key: u64): void {
  if (limit != 0) touchFrame(pfn, write);
  if (recording) remember(key);
  translations++;
}

function remember(key: u64): void {
  if (translations >= recordCapacity) {
    let capacity = max<u64>(recordCapacity * 2, 1 << 16);
    record = regrow(record, <usize>recordCapacity << 3, <usize>capacity << 3);
    recordCapacity = capacity;
  }
  store<u64>(record + (<usize>translations << 3), key);
}

export function recordTranslations(): void {
  recording = true;
  tracking = true;
}

/**
 * Turns the pre-pass's record into each translation's next use (the index
 * of the next translation of the same page, 0xffffffff for never), u32s at
 * the returned address, `translations` of them.
 */
export function nextUses(): usize {
  let n = translations;
  if (n >= <u64>NONE) abort("too many translations for OPT's pre-pass (4,294,967,294 at most)");
  let out = heap.alloc(<usize>max<u64>(n, 1) << 2);
  let seen = new Map<u64, u32>();
  for (let k = <i64>n - 1; k >= 0; k--) {
    let key = load<u64>(record + (<usize>k << 3));
    store<u32>(out + (<usize>k << 2), seen.has(key) ? seen.get(key) : NONE);
    seen.set(key, <u32>k);
  }
  return out;
}

/** Room for the driver to copy the pre-pass's next uses into (OPT's second pass). */
export function futureBuffer(count: u64): usize {
  future = heap.alloc(<usize>max<u64>(count, 1) << 2);
  return future;
}
