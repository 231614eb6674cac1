// Fully associative LRU of every size at once (Mattson et al. 1970): the
// misses of an E-entry LRU TLB are the lookups whose stack distance is E or
// more. Distances come from last-use positions (Bennett & Kruskal 1975,
// Olken 1981): every live stack slot has a 1 at its position in a Fenwick
// tree, so the slots above a page are counted in O(log n).
//
// Invalidation (INVLPG) leaves a hole: the slot keeps its position and its 1,
// so the entries below it keep their depth, exactly as a TLB keeps an
// invalid way that later fills take first. A lookup then takes the shallowest
// hole above it, if any, in place of pushing every entry above it down: the
// hole moves to the page's old slot (a hit) or leaves the stack (a miss).
// Every TLB of size E then holds exactly the non-hole pages of the top E
// slots, the invariant that makes one histogram exact for all sizes
// (docs/sweep.md). A flush empties the stack.
//
// Only the top maxDepth slots matter (deeper is a miss at every size), so
// the slot that falls below them leaves the stack: the tree stays a few
// times maxDepth long, in cache, whatever the number of pages.
//
// Positions only grow; when they reach the tree's capacity the live slots
// are renumbered 0..live-1 in order (the tree is all ones then), so the
// tree stays about twice the live size and each renumbering is paid for by
// the lookups that filled it.

import { PageIds } from "./ids";

const NONE: u32 = 0xffff_ffff;
/** owner[] of a slot that is a hole. */
const HOLE: u32 = 0xffff_ffff;
/** owner[] of a free position (after the top, or emptied). */
const FREE: u32 = 0;
const MIN_CAPACITY: u32 = 1024;

export class FullStack {
  /** Lookups the stack saw. */
  lookups: u64 = 0;
  /** u64[maxDepth + 1]: lookups by stack distance, the last bin "maxDepth or more, or absent". */
  hist: usize;
  maxDepth: u32;
  /** Pages whose hash is below this are looked up (sampling; 2^32: all). */
  threshold: u64;

  private tree: usize = 0;    // u32[allocated + 1], 1-based Fenwick tree over positions
  private owner: usize = 0;   // u32[allocated]: the id at each position, HOLE, or FREE
  private allocated: u32 = 0;
  private capacity: u32 = MIN_CAPACITY; // positions in use by the tree: <= allocated
  private top: u32 = 0;       // the next position to hand out
  private base: u32 = 0;      // what id slots add to a position (positionOf)
  private bottom: u32 = 0;    // no live slot below this position
  private live: u32 = 0;      // positions holding a page or a hole
  // Each page's position is kept in its id slot (ids.ts), valid only while
  // owner[] at that position still names the page: leaving the stack then
  // needs no write to the page's slot, a cache miss on large working sets.
  private ids: PageIds;
  private heap: usize = 0;    // u32[heapCapacity]: hole positions, a max-heap
  private heapSize: u32 = 0;
  private heapCapacity: u32 = 0;

  constructor(ids: PageIds, maxDepth: u32, threshold: u64) {
    this.ids = ids;
    this.maxDepth = maxDepth;
    this.threshold = threshold;
    let bytes = (<usize>maxDepth + 1) << 3;
    this.hist = heap.alloc(bytes);
    memory.fill(this.hist, 0, bytes);
    this.reallocate(MIN_CAPACITY);
    this.heapCapacity = 64;
    this.heap = heap.alloc(<usize>this.heapCapacity << 2);
  }

  private reallocate(size: u32): void {
    let tree = heap.alloc((<usize>size + 1) << 2);
    let owner = heap.alloc(<usize>size << 2);
    memory.fill(tree, 0, (<usize>size + 1) << 2);
    memory.fill(owner, 0, <usize>size << 2);
    if (this.allocated != 0) {
      memory.copy(owner, this.owner, <usize>this.top << 2);
      heap.free(this.tree);
      heap.free(this.owner);
    }
    this.tree = tree;
    this.owner = owner;
    this.allocated = size;
  }

  // @ts-ignore: decorator
  @inline private add(position: u32, delta: i32): void {
    let tree = this.tree;
    let n = this.capacity;
    for (let i = position + 1; i <= n; i += i & (0 - i)) {
      let at = tree + (<usize>i << 2);
      store<i32>(at, load<i32>(at) + delta);
    }
  }

  /** Live slots at positions 0..position. */
  // @ts-ignore: decorator
  @inline private prefix(position: u32): u32 {
    let tree = this.tree;
    let sum: u32 = 0;
    for (let i = position + 1; i > 0; i &= i - 1) sum += load<u32>(tree + (<usize>i << 2));
    return sum;
  }

  /**
   * The page's position, or NONE when it is not in the stack. Id slots keep
   * `base` + position, and `base` moves past every position handed out
   * whenever positions are renumbered or the stack is flushed, so a page
   * that left the stack (dropped below `bottom`, or before the last
   * renumbering) is told by its number alone, without reading owner[]: on a
   * large working set most lookups are of such pages.
   */
  // @ts-ignore: decorator
  @inline private positionOf(position: usize): u32 {
    let p = load<u32>(position) - this.base;
    return p >= this.bottom && p < this.top ? p : NONE;
  }

  /** The base of a new numbering after `used` positions, starting over (all slots forgotten) long before u32 wraps. */
  private nextBase(used: u32): u32 {
    let next = this.base + used;
    if (next > 0xf000_0000 - 2 * this.allocated) {
      this.ids.forgetPositions();
      next = 0;
    }
    return next;
  }

  /**
   * Looks page `id` up: counts its distance, then moves it to the top.
   * `position`: where its id slot keeps its position (PageIds).
   */
  access(id: u32, position: usize): void {
    this.lookups++;
    let p = this.positionOf(position);
    let bin: u32;
    if (p != NONE) {
      // Already on top (the common repeat of a page): nothing moves.
      if (p == this.top - 1) {
        store<u64>(this.hist, load<u64>(this.hist) + 1);
        return;
      }
      bin = min<u32>(this.live - this.prefix(p), this.maxDepth);
    } else {
      bin = this.maxDepth;
    }
    let h = this.hist + (<usize>bin << 3);
    store<u64>(h, load<u64>(h) + 1);

    // Holes that fell below the top maxDepth slots left the stack: drop them.
    while (this.heapSize != 0 && load<u32>(this.owner + (<usize>load<u32>(this.heap) << 2)) != HOLE) this.popTop();
    if (this.heapSize != 0 && (p == NONE || load<u32>(this.heap) > p)) {
      let hole = load<u32>(this.heap);
      if (p != NONE) {
        // The hole sinks to the page's old slot; the slots between keep their depth.
        store<u32>(this.owner + (<usize>p << 2), HOLE);
        this.replaceTop(p);
      } else {
        this.popTop();
      }
      this.add(hole, -1);
      this.live--;
      store<u32>(this.owner + (<usize>hole << 2), FREE);
    } else if (p != NONE) {
      this.add(p, -1);
      this.live--;
      store<u32>(this.owner + (<usize>p << 2), FREE);
    }
    if (this.top == this.capacity) this.renumber();
    let t = this.top++;
    this.add(t, 1);
    this.live++;
    store<u32>(this.owner + (<usize>t << 2), id);
    store<u32>(position, this.base + t);
    if (this.live > this.maxDepth) this.dropDeepest();
  }

  /** The deepest slot leaves the stack: every TLB of up to maxDepth entries has lost it. */
  private dropDeepest(): void {
    let owner = this.owner;
    let b = this.bottom;
    while (load<u32>(owner + (<usize>b << 2)) == FREE) b++;
    // A hole stays in the heap until it reaches the top (see access()).
    store<u32>(owner + (<usize>b << 2), FREE);
    this.add(b, -1);
    this.live--;
    this.bottom = b + 1;
  }

  /** INVLPG: the page's slot becomes a hole. */
  invalidate(position: usize): void {
    let p = this.positionOf(position);
    if (p == NONE) return;
    store<u32>(position, NONE);
    store<u32>(this.owner + (<usize>p << 2), HOLE);
    this.push(p);
  }

  /** Every entry leaves: a fresh stack. */
  flush(): void {
    memory.fill(this.owner, 0, <usize>this.top << 2);
    memory.fill(this.tree, 0, (<usize>this.capacity + 1) << 2);
    this.base = this.nextBase(this.top);
    this.top = 0;
    this.bottom = 0;
    this.live = 0;
    this.heapSize = 0;
    // A flush is a chance to shrink the tree back: flushes cost O(capacity).
    this.capacity = MIN_CAPACITY;
  }

  /** Positions 0..live-1 for the live slots, in order; the tree is all ones then. */
  private renumber(): void {
    let owner = this.owner;
    let live: u32 = 0;
    this.heapSize = 0;
    let base = this.base = this.nextBase(this.top);
    for (let p: u32 = 0; p < this.top; p++) {
      let id = load<u32>(owner + (<usize>p << 2));
      if (id == FREE) continue;
      store<u32>(owner + (<usize>live << 2), id);
      if (id != HOLE) store<u32>(this.ids.positionOf(id), base + live);
      live++;
    }
    // Holes in descending position order form a valid max-heap.
    for (let p = live; p > 0; p--) {
      if (load<u32>(owner + (<usize>(p - 1) << 2)) == HOLE) this.push(p - 1);
    }
    // Keep three quarters of the positions free for what follows: each
    // renumbering writes every live page's id slot.
    let capacity = this.capacity;
    while (live * 4 > capacity) capacity *= 2;
    if (capacity > this.allocated) {
      this.top = live; // reallocate copies owner[0..top)
      this.reallocate(capacity);
      owner = this.owner;
    }
    memory.fill(owner + (<usize>live << 2), 0, <usize>(this.allocated - live) << 2);
    this.capacity = capacity;
    // A Fenwick tree of ones over 1..live: node i covers lowbit(i) positions.
    let tree = this.tree;
    for (let i: u32 = 1; i <= capacity; i++) {
      let low = i & (0 - i);
      let covered = i <= live ? low : (i - low >= live ? 0 : live - (i - low));
      store<u32>(tree + (<usize>i << 2), covered);
    }
    this.top = live;
    this.bottom = 0;
    this.live = live;
  }

  // The hole heap: positions, largest (shallowest) on top.
  private push(p: u32): void {
    if (this.heapSize == this.heapCapacity) {
      let grown = heap.alloc(<usize>this.heapCapacity << 3);
      memory.copy(grown, this.heap, <usize>this.heapCapacity << 2);
      heap.free(this.heap);
      this.heap = grown;
      this.heapCapacity *= 2;
    }
    let heap_ = this.heap;
    let i = this.heapSize++;
    while (i > 0) {
      let parent = (i - 1) >> 1;
      let up = load<u32>(heap_ + (<usize>parent << 2));
      if (up >= p) break;
      store<u32>(heap_ + (<usize>i << 2), up);
      i = parent;
    }
    store<u32>(heap_ + (<usize>i << 2), p);
  }

  private popTop(): void {
    let last = load<u32>(this.heap + (<usize>(--this.heapSize) << 2));
    if (this.heapSize != 0) this.replaceTop(last);
  }

  /** Replaces the largest hole with a smaller position and sifts it down. */
  private replaceTop(p: u32): void {
    let heap_ = this.heap;
    let n = this.heapSize;
    let i: u32 = 0;
    for (;;) {
      let child: u32 = 2 * i + 1;
      if (child >= n) break;
      let c = load<u32>(heap_ + (<usize>child << 2));
      if (child + 1 < n) {
        let right = load<u32>(heap_ + (<usize>(child + 1) << 2));
        if (right > c) { child++; c = right; }
      }
      if (c <= p) break;
      store<u32>(heap_ + (<usize>i << 2), c);
      i = child;
    }
    store<u32>(heap_ + (<usize>i << 2), p);
  }
}
