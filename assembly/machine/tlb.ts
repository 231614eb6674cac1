// One set-associative TLB, struct-of-arrays. Replacement uses one stamp per
// entry from a per-TLB clock: LRU stamps on fill and on hit, FIFO only on
// fill, so the victim is always the way with the smallest stamp. Invalid ways
// have stamp 0 and are therefore filled first, as real TLBs and QEMU's cache
// plugin do.

import { POLICY_FIFO } from "../abi";

/** Tag of an invalid way; valid tags never have the top bit set. */
export const NO_TAG: u64 = 0xffff_ffff_ffff_ffff;

export class Tlb {
  sets: u64;
  ways: usize;
  setMask: u64;   // sets - 1 when sets is a power of two
  pow2: bool;
  fifo: bool;
  tags: usize;    // u64[sets * ways]
  stamps: usize;  // u64[sets * ways]
  pfns: usize;    // u64[sets * ways]
  clock: u64 = 0;
  lookups: u64 = 0;
  misses: u64 = 0;

  constructor(entries: u32, ways: u32, policy: u32) {
    this.sets = <u64>(entries / ways);
    this.ways = <usize>ways;
    this.pow2 = (this.sets & (this.sets - 1)) == 0;
    this.setMask = this.sets - 1;
    this.fifo = policy == POLICY_FIFO;
    let bytes = <usize>entries * 8;
    this.tags = heap.alloc(bytes);
    this.stamps = heap.alloc(bytes);
    this.pfns = heap.alloc(bytes);
    this.flush();
  }

  // @ts-ignore: decorator
  @inline private setBase(vpn: u64): usize {
    let set = this.pow2 ? vpn & this.setMask : vpn % this.sets;
    return <usize>set * this.ways;
  }

  /** The PFN the entry maps, or -1 on a miss. Counts the lookup. */
  lookup(tag: u64, vpn: u64): i64 {
    this.lookups++;
    let base = this.setBase(vpn);
    let t = this.tags + (base << 3);
    for (let w: usize = 0; w < this.ways; w++) {
      if (load<u64>(t + (w << 3)) == tag) {
        let slot = (base + w) << 3;
        if (!this.fifo) store<u64>(this.stamps + slot, ++this.clock);
        return load<i64>(this.pfns + slot);
      }
    }
    this.misses++;
    return -1;
  }

  fill(tag: u64, vpn: u64, pfn: u64): void {
    let base = this.setBase(vpn);
    let s = this.stamps + (base << 3);
    let victim: usize = 0;
    let oldest = load<u64>(s);
    for (let w: usize = 1; w < this.ways && oldest != 0; w++) {
      let stamp = load<u64>(s + (w << 3));
      if (stamp < oldest) { oldest = stamp; victim = w; }
    }
    let slot = (base + victim) << 3;
    store<u64>(this.tags + slot, tag);
    store<u64>(this.stamps + slot, ++this.clock);
    store<u64>(this.pfns + slot, pfn);
  }

  /** Invalidates the entry with this tag, if present. */
  invalidate(tag: u64, vpn: u64): void {
    let base = this.setBase(vpn);
    for (let w: usize = 0; w < this.ways; w++) {
      let slot = (base + w) << 3;
      if (load<u64>(this.tags + slot) == tag) {
        store<u64>(this.tags + slot, NO_TAG);
        store<u64>(this.stamps + slot, 0);
      }
    }
  }

  flush(): void {
    let bytes = <usize>(this.sets * <u64>this.ways) << 3;
    memory.fill(this.tags, 0xff, bytes);
    memory.fill(this.stamps, 0, bytes);
  }
}
