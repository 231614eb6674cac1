// Dense ids for the TLB tags a sweep stream has seen: the stack structures
// keep u32 ids (four compared per SIMD instruction, and usable as an index)
// rather than 64-bit tags. Ids start at 1, so 0 can mean "no entry".
//
// Each slot also keeps the page's position in the stream's fully
// associative stack (stackdist.ts), in the cache line the lookup reads
// anyway: on a large working set every lookup is a cache miss here, and a
// separate position array would be a second one.

/** A key no valid tag has (valid tags never have the top bit set). */
const EMPTY: u64 = 0xffff_ffff_ffff_ffff;
/** Per slot: u64 key, u32 id, u32 stack position. */
const SLOT: usize = 16;
export const POSITION_OFFSET: usize = 12;

/** murmur3's 64-bit finalizer: every input bit moves every output bit. */
// @ts-ignore: decorator
@inline export function mix64(x: u64): u64 {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53;
  x ^= x >> 33;
  return x;
}

export class PageIds {
  slots: usize = 0;
  capacity: usize = 0;
  mask: u64 = 0;
  count: u32 = 0;
  /** The slot of the last find() or intern() that found or made one. */
  slot: usize = 0;
  /** u32 per id: its slot's index (for the stack's renumbering). */
  private slotOf: usize = 0;
  private slotOfCapacity: u32 = 0;

  constructor() {
    this.allocate(1 << 12);
    this.slotOfCapacity = 1 << 11;
    this.slotOf = heap.alloc(<usize>this.slotOfCapacity << 2);
  }

  private allocate(capacity: usize): void {
    this.capacity = capacity;
    this.mask = <u64>capacity - 1;
    this.slots = heap.alloc(capacity * SLOT);
    let end = this.slots + capacity * SLOT;
    for (let p = this.slots; p < end; p += SLOT) {
      store<u64>(p, EMPTY);
      store<u64>(p, 0xffff_ffff_0000_0000, 8); // id 0, no position
    }
  }

  /** The slot holding the tag, or the empty slot where it would go (the table always has one). */
  // @ts-ignore: decorator
  @inline private probe(tag: u64): usize {
    let slot = mix64(tag) & this.mask;
    for (;;) {
      let at = this.slots + <usize>slot * SLOT;
      let key = load<u64>(at);
      if (key == tag || key == EMPTY) return at;
      slot = (slot + 1) & this.mask;
    }
    return 0;
  }

  /** The tag's id, 0 when it has none. */
  find(tag: u64): u32 {
    let at = this.probe(tag);
    if (load<u64>(at) == EMPTY) return 0;
    this.slot = at;
    return load<u32>(at, 8);
  }

  /** The tag's id, given a new one the first time. */
  // @ts-ignore: decorator
  @inline intern(tag: u64): u32 {
    let at = this.probe(tag);
    if (load<u64>(at) == EMPTY) return this.insert(tag, at);
    this.slot = at;
    return load<u32>(at, 8);
  }

  /** Loads the tag's first slot, for the cache's sake (see Stream.feed). */
  // @ts-ignore: decorator
  @inline touch(tag: u64): u32 {
    return load<u32>(this.slots + <usize>(mix64(tag) & this.mask) * SLOT);
  }

  /** Where the stack keeps this id's position. */
  positionOf(id: u32): usize {
    return this.slots + <usize>load<u32>(this.slotOf + (<usize>id << 2)) * SLOT + POSITION_OFFSET;
  }

  /** Every slot's stack position becomes "none" (stackdist.ts, before its numbers wrap). */
  forgetPositions(): void {
    let end = this.slots + this.capacity * SLOT;
    for (let p = this.slots; p < end; p += SLOT) store<u32>(p, 0xffff_ffff, POSITION_OFFSET);
  }

  private insert(tag: u64, at: usize): u32 {
    let id = ++this.count;
    store<u64>(at, tag);
    store<u32>(at, id, 8);
    if (id >= this.slotOfCapacity) {
      let grown = heap.alloc(<usize>this.slotOfCapacity << 3);
      memory.copy(grown, this.slotOf, <usize>this.slotOfCapacity << 2);
      heap.free(this.slotOf);
      this.slotOf = grown;
      this.slotOfCapacity <<= 1;
    }
    store<u32>(this.slotOf + (<usize>id << 2), <u32>((at - this.slots) / SLOT));
    this.slot = at;
    // At most half full, so probes stay short.
    if (<usize>id * 2 > this.capacity) this.grow();
    return id;
  }

  private grow(): void {
    let old = this.slots;
    let oldCapacity = this.capacity;
    this.allocate(oldCapacity << 1);
    for (let i: usize = 0; i < oldCapacity; i++) {
      let from = old + i * SLOT;
      let key = load<u64>(from);
      if (key == EMPTY) continue;
      let slot = mix64(key) & this.mask;
      while (load<u64>(this.slots + <usize>slot * SLOT) != EMPTY) slot = (slot + 1) & this.mask;
      let to = this.slots + <usize>slot * SLOT;
      store<u64>(to, key);
      store<u64>(to, load<u64>(from, 8), 8);
      store<u32>(this.slotOf + (<usize>load<u32>(from, 8) << 2), <u32>slot);
      if (from == this.slot) this.slot = to;
    }
    heap.free(old);
  }
}
