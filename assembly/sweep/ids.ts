// Dense ids for the TLB tags a sweep stream has seen: the stack structures
// keep u32 ids (four compared per SIMD instruction, and usable as an index)
// rather than 64-bit tags. Ids start at 1, so 0 can mean "no entry".

/** A key no valid tag has (valid tags never have the top bit set). */
const EMPTY: u64 = 0xffff_ffff_ffff_ffff;

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
  keys: usize;   // u64[capacity]
  values: usize; // u32[capacity]
  capacity: usize = 0;
  mask: u64 = 0;
  count: u32 = 0;

  constructor() {
    this.allocate(1 << 12);
  }

  private allocate(capacity: usize): void {
    this.capacity = capacity;
    this.mask = <u64>capacity - 1;
    this.keys = heap.alloc(capacity << 3);
    this.values = heap.alloc(capacity << 2);
    memory.fill(this.keys, 0xff, capacity << 3);
  }

  /** The tag's id, 0 when it has none. */
  find(tag: u64): u32 {
    let slot = mix64(tag) & this.mask;
    for (;;) {
      let key = load<u64>(this.keys + (<usize>slot << 3));
      if (key == tag) return load<u32>(this.values + (<usize>slot << 2));
      if (key == EMPTY) return 0;
      slot = (slot + 1) & this.mask;
    }
    return 0; // unreachable: the table always has an empty slot
  }

  /** The tag's id, given a new one the first time. */
  // @ts-ignore: decorator
  @inline intern(tag: u64): u32 {
    let slot = mix64(tag) & this.mask;
    for (;;) {
      let at = this.keys + (<usize>slot << 3);
      let key = load<u64>(at);
      if (key == tag) return load<u32>(this.values + (<usize>slot << 2));
      if (key == EMPTY) return this.insert(tag, <usize>slot);
      slot = (slot + 1) & this.mask;
    }
    return 0; // unreachable: the table always has an empty slot
  }

  private insert(tag: u64, slot: usize): u32 {
    let id = ++this.count;
    store<u64>(this.keys + (slot << 3), tag);
    store<u32>(this.values + (slot << 2), id);
    // At most half full, so probes stay short.
    if (<usize>id * 2 > this.capacity) this.grow();
    return id;
  }

  private grow(): void {
    let oldKeys = this.keys;
    let oldValues = this.values;
    let oldCapacity = this.capacity;
    this.allocate(oldCapacity << 1);
    for (let i: usize = 0; i < oldCapacity; i++) {
      let key = load<u64>(oldKeys + (i << 3));
      if (key == EMPTY) continue;
      let slot = mix64(key) & this.mask;
      while (load<u64>(this.keys + (<usize>slot << 3)) != EMPTY) slot = (slot + 1) & this.mask;
      store<u64>(this.keys + (<usize>slot << 3), key);
      store<u32>(this.values + (<usize>slot << 2), load<u32>(oldValues + (i << 2)));
    }
    heap.free(oldKeys);
    heap.free(oldValues);
  }
}
