// Policies without the stack property (FIFO, random, tree-PLRU; LRU too when
// asked for one geometry alone): one real TLB per configuration, the very
// Tlb class a replay uses, so a row equals that replay by construction.

import { Tlb } from "../machine/tlb";

export class DirectTlb {
  tlb: Tlb;
  threshold: u64;

  constructor(entries: u32, ways: u32, policy: u32, randomState: u64, threshold: u64) {
    this.tlb = new Tlb(entries, ways, policy, false, randomState);
    this.threshold = threshold;
  }

  // @ts-ignore: decorator
  @inline access(tag: u64, page: u64): void {
    // The frame number is never read back: 0 stands for it.
    if (this.tlb.lookup(tag, page, 0) < 0) this.tlb.fill(tag, 0, 0);
  }
}
