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

/** Padding lanes past `depth`: never a page, never a hole. */
const PAD: u32 = 0xffff_ffff;

export class SetStacks {
  lookups: u64 = 0;
  /** u64[depth + 1]: lookups by depth in their set, the last bin "depth or more, or absent". */
  hist: usize;
  sets: u64;
  depth: u32;
  threshold: u64;
  private pow2: bool;
  private mask: u64;
  private stride: usize;  // bytes per set: depth rounded up to 4 lanes
  private slots: usize;   // u32[sets * stride / 4]

  constructor(sets: u32, depth: u32, threshold: u64) {
    this.sets = <u64>sets;
    this.depth = depth;
    this.threshold = threshold;
    this.pow2 = (sets & (sets - 1)) == 0;
    this.mask = <u64>sets - 1;
    this.stride = ((<usize>depth + 3) & ~3) << 2;
    let bytes = <usize>sets * this.stride;
    this.slots = heap.alloc(bytes);
    let histBytes = (<usize>depth + 1) << 3;
    this.hist = heap.alloc(histBytes);
    memory.fill(this.hist, 0, histBytes);
    this.flush();
  }

  // @ts-ignore: decorator
  @inline private base(page: u64): usize {
    let set = this.pow2 ? page & this.mask : page % this.sets;
    return this.slots + <usize>set * this.stride;
  }

  access(id: u32, page: u64): void {
    this.lookups++;
    let base = this.base(page);
    if (load<u32>(base) == id) {
      store<u64>(this.hist, load<u64>(this.hist) + 1);
      return;
    }
    let depth = this.depth;
    let key = i32x4.splat(id);
    let zero = i32x4.splat(0);
    let found = depth;     // the page's slot, or depth when absent
    let hole = depth;      // the shallowest hole above it, or depth
    for (let lane: u32 = 0; lane < depth; lane += 4) {
      let v = v128.load(base + (<usize>lane << 2));
      let match = i32x4.bitmask(i32x4.eq(v, key));
      let holes = i32x4.bitmask(i32x4.eq(v, zero));
      if (match != 0) {
        found = lane + ctz(match);
        holes &= (1 << ctz(match)) - 1;
        if (hole == depth && holes != 0) hole = lane + ctz(holes);
        break;
      }
      if (hole == depth && holes != 0) hole = lane + ctz(holes);
    }
    let h = this.hist + (<usize>found << 3);
    store<u64>(h, load<u64>(h) + 1);
    // Slots [0, shifted) move down one; the page goes on top.
    let shifted = hole < found ? hole : min<u32>(found, depth - 1);
    memory.copy(base + 4, base, <usize>shifted << 2);
    store<u32>(base, id);
    if (hole < found && found < depth) store<u32>(base + (<usize>found << 2), 0);
  }

  /** INVLPG: the page's slot, if it has one, becomes a hole. */
  invalidate(id: u32, page: u64): void {
    let base = this.base(page);
    for (let lane: u32 = 0; lane < this.depth; lane++) {
      let at = base + (<usize>lane << 2);
      if (load<u32>(at) == id) {
        store<u32>(at, 0);
        return;
      }
    }
  }

  flush(): void {
    let bytes = <usize>this.sets * this.stride;
    memory.fill(this.slots, 0, bytes);
    let lanes = <u32>(this.stride >> 2);
    if (lanes == this.depth) return;
    for (let s: usize = 0; s < <usize>this.sets; s++) {
      for (let lane = this.depth; lane < lanes; lane++) store<u32>(this.slots + s * this.stride + (<usize>lane << 2), PAD);
    }
  }
}
