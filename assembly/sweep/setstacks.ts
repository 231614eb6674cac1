// Set-associative LRU of every associativity at once for one number of sets
// (Mattson's stacks per set; Hill & Smith's all-associativity simulation):
// each set keeps its pages most recent first, `depth` deep, so a lookup found
// at depth d hits every TLB of these sets with more than d ways, and one
// structure answers every (sets * ways, ways) geometry with ways <= depth.
//
// Slots hold page ids (0: a hole). An invalidated page leaves a hole in
// place; a lookup takes the shallowest hole above it instead of pushing the
// whole stack down, and the hole moves to the page's old slot (see
// stackdist.ts for why this keeps every associativity exact). An empty set
// is all holes: a cold TLB is all invalid ways.

export class SetStacks {
  /** u64[depth + 1]: lookups by depth in their set, the last bin "depth or more, or absent"; their sum is the lookups. */
  hist: usize;
  sets: u64;
  depth: u32;
  threshold: u64;
  private pow2: bool;
  private mask: u64;
  private stride: usize;  // bytes per set: depth u32s, unpadded so that small depths stay small in cache
  private slots: usize;   // u32[sets * depth], then 16 bytes a vector load may read past the last set

  constructor(sets: u32, depth: u32, threshold: u64) {
    this.sets = <u64>sets;
    this.depth = depth;
    this.threshold = threshold;
    this.pow2 = (sets & (sets - 1)) == 0;
    this.mask = <u64>sets - 1;
    this.stride = <usize>depth << 2;
    this.slots = heap.alloc(<usize>sets * this.stride + 16);
    let histBytes = (<usize>depth + 1) << 3;
    this.hist = heap.alloc(histBytes);
    memory.fill(this.hist, 0, histBytes);
    this.flush();
  }

  /** The page's set: where access() and invalidate() work. */
  // @ts-ignore: decorator
  @inline base(page: u64): usize {
    let set = this.pow2 ? page & this.mask : page % this.sets;
    return this.slots + <usize>set * this.stride;
  }

  /** Looks page `id` up in its set, at `base` (from base()). */
  access(id: u32, base: usize): void {
    if (this.depth <= 16) this.accessShallow(id, base);
    else this.accessDeep(id, base);
  }

  /**
   * Up to 16 ways, without a branch on where the page or a hole is: the
   * slots are compared and moved four at a time (the position is as random
   * as the trace, so branching on it would mispredict). The only branches
   * are on the depth, the same for every lookup of this structure.
   */
  // @ts-ignore: decorator
  @inline private accessShallow(id: u32, base: usize): void {
    let depth = this.depth;
    let key = i32x4.splat(id);
    let zero = i32x4.splat(0);
    let v0 = v128.load(base);
    let v1 = v0, v2 = v0, v3 = v0;
    let match = <u32>i32x4.bitmask(i32x4.eq(v0, key));
    let holes = <u32>i32x4.bitmask(i32x4.eq(v0, zero));
    if (depth > 4) {
      v1 = v128.load(base, 16);
      match |= <u32>i32x4.bitmask(i32x4.eq(v1, key)) << 4;
      holes |= <u32>i32x4.bitmask(i32x4.eq(v1, zero)) << 4;
      if (depth > 8) {
        v2 = v128.load(base, 32);
        match |= <u32>i32x4.bitmask(i32x4.eq(v2, key)) << 8;
        holes |= <u32>i32x4.bitmask(i32x4.eq(v2, zero)) << 8;
        if (depth > 12) {
          v3 = v128.load(base, 48);
          match |= <u32>i32x4.bitmask(i32x4.eq(v3, key)) << 12;
          holes |= <u32>i32x4.bitmask(i32x4.eq(v3, zero)) << 12;
        }
      }
    }
    // Lanes past the depth are the next set's: never this page, never a hole.
    let end: u32 = 1 << depth;
    let found = ctz(match | end);                  // depth when absent
    let hole = ctz((holes & (end - 1)) | end);
    let fillsHole = hole < found;
    let shifted = select<u32>(hole, min<u32>(found, depth - 1), fillsHole);
    let h = this.hist + (<usize>found << 3);
    store<u64>(h, load<u64>(h) + 1);
    // Lane j takes lane j - 1 (the page itself for lane 0) when j <= shifted;
    // a hole taken above the page moves to the page's old slot.
    let upTo = i32x4.splat(shifted);
    let cleared = i32x4.splat(select<u32>(found, 0xffff_ffff, fillsHole & (found < depth)));
    let lanes = i32x4(0, 1, 2, 3);
    let four = i32x4.splat(4);
    v128.store(base, moved(v128.shuffle<i32>(key, v0, 3, 4, 5, 6), v0, lanes, upTo, cleared));
    if (depth > 4) {
      lanes = i32x4.add(lanes, four);
      v128.store(base, moved(v128.shuffle<i32>(v0, v1, 3, 4, 5, 6), v1, lanes, upTo, cleared), 16);
      if (depth > 8) {
        lanes = i32x4.add(lanes, four);
        v128.store(base, moved(v128.shuffle<i32>(v1, v2, 3, 4, 5, 6), v2, lanes, upTo, cleared), 32);
        if (depth > 12) {
          lanes = i32x4.add(lanes, four);
          v128.store(base, moved(v128.shuffle<i32>(v2, v3, 3, 4, 5, 6), v3, lanes, upTo, cleared), 48);
        }
      }
    }
  }

  /** Any depth, a slot at a time. */
  private accessDeep(id: u32, base: usize): void {
    if (load<u32>(base) == id) {
      store<u64>(this.hist, load<u64>(this.hist) + 1);
      return;
    }
    let depth = this.depth;
    let found = depth;
    let hole = depth;
    for (let lane: u32 = 0; lane < depth; lane++) {
      let v = load<u32>(base + (<usize>lane << 2));
      if (v == id) {
        found = lane;
        break;
      }
      if (v == 0 && hole == depth) hole = lane;
    }
    let h = this.hist + (<usize>found << 3);
    store<u64>(h, load<u64>(h) + 1);
    let shifted = hole < found ? hole : min<u32>(found, depth - 1);
    for (let i = <usize>shifted << 2; i > 0; i -= 4) store<u32>(base + i, load<u32>(base + i - 4));
    store<u32>(base, id);
    if (hole < found && found < depth) store<u32>(base + (<usize>found << 2), 0);
  }

  /** INVLPG: the page's slot, if it has one, becomes a hole. */
  invalidate(id: u32, base: usize): void {
    for (let lane: u32 = 0; lane < this.depth; lane++) {
      let at = base + (<usize>lane << 2);
      if (load<u32>(at) == id) {
        store<u32>(at, 0);
        return;
      }
    }
  }

  flush(): void {
    memory.fill(this.slots, 0, <usize>this.sets * this.stride);
  }
}

/** Lanes numbered `lanes`: the shifted value up to `upTo`, the old one after; 0 at `cleared`. */
// @ts-ignore: decorator
@inline function moved(shifted: v128, old: v128, lanes: v128, upTo: v128, cleared: v128): v128 {
  let v = v128.bitselect(shifted, old, i32x4.le_u(lanes, upTo));
  return v128.andnot(v, i32x4.eq(lanes, cleared));
}
