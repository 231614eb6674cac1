// The sweep consumer (MODE_SWEEP): turns every event batch into the lookups
// one TLB level would see in a replay, and hands each lookup to every
// structure of that level's stream: LRU stacks (every size, or every
// associativity of a set count, at once) and one real TLB per other
// configuration. One pass over the trace, whatever the number of rows.
//
// The lookups are exactly those machine/mmu.ts makes (docs/metrics.md):
// each page an access touches, lower first; physical accesses and pages the
// paging mode cannot translate make none; tags are (address space, page);
// a [CR3] switch flushes unless --pcid, with the same "a CR3 before the
// first access only names the starting space" rule; [INVLPG] invalidates the
// page in every TLB, [TLB_FLUSH] flushes all. Address spaces are named as the
// machine names them (machine/spaces.ts); a sweep runs without the machine.
//
// A stream is one (level, page size). `l2` streams run the two L1 TLBs in
// front and see only their misses; `unified` is one TLB fed by everything.

import {
  OP_FETCH, OP_CR3, OP_INVLPG, OP_FLUSH, FLAG_PHYSICAL,
  SWEEP_L1D, SWEEP_L1I, SWEEP_L2,
} from "../abi";
import { EVENT_BYTES, lastByte } from "../records";
import { Tlb, NO_TAG } from "../machine/tlb";
import { SpaceNames } from "../machine/spaces";
import { translatable, vpnBits } from "../machine/pagetable";
import { PageIds, mix64, POSITION_OFFSET } from "./ids";
import { FullStack } from "./stackdist";
import { SetStacks } from "./setstacks";
import { DirectTlb } from "./direct";

/** Sampling threshold that takes every page: hashes are 32 bits. */
export const ALL_PAGES: u64 = <u64>1 << 32;

class Stream {
  level: u32;
  shift: u64;
  /** 4K pages per page of this size, as a shift: translatable() takes 4K page numbers. */
  toSmall: u64;
  l1d: Tlb | null = null;
  l1i: Tlb | null = null;
  ids: PageIds = new PageIds();
  fulls: Array<FullStack> = [];
  sets: Array<SetStacks> = [];
  /** usize per set structure: its set for the lookup at hand. */
  bases: usize = 0;
  directs: Array<DirectTlb> = [];
  /** Pages hashing at or above this need no id: no LRU structure samples them. */
  idThreshold: u64 = 0;
  sampling: bool = false;
  lookups: u64 = 0;
  lastTag: u64 = NO_TAG;
  lastId: u32 = 0;
  /** Lookups of the previous lookup's page, not shown to the LRU structures (not sampling). */
  repeats: u64 = 0;

  constructor(level: u32, shift: u32) {
    this.level = level;
    this.shift = <u64>shift;
    this.toSmall = <u64>shift - 12;
  }

  // @ts-ignore: decorator
  @inline wants(op: u32): bool {
    if (this.level == SWEEP_L1D) return op != OP_FETCH;
    if (this.level == SWEEP_L1I) return op == OP_FETCH;
    return true;
  }

  translate(page: u64, op: u32): void {
    if (!translatable(page << this.toSmall)) return;
    let tag = (page & tagMask) | (<u64>currentSpace << tagShift);
    if (this.level == SWEEP_L2) {
      let l1 = op == OP_FETCH ? this.l1i! : this.l1d!;
      if (l1.lookup(tag, page, 0) >= 0) return;
      this.feed(tag, page);
      l1.fill(tag, 0, 0);
      return;
    }
    this.feed(tag, page);
  }

  private feed(tag: u64, page: u64): void {
    this.lookups++;
    let directs = this.directs;
    if (tag == this.lastTag && !this.sampling) {
      // The previous lookup's page is on top of every LRU stack and stays
      // there: one count stands for a depth-0 hit in each (structureResult).
      this.repeats++;
      for (let i = 0, n = directs.length; i < n; i++) unchecked(directs[i]).access(tag, page);
      return;
    }
    let hash: u64 = this.sampling ? mix64(page) >> 32 : 0;
    // Every structure's set first, touched by loads that depend on nothing
    // but the page: their cache misses overlap instead of coming one after
    // another, and with the id lookup's.
    let sets = this.sets;
    let bases = this.bases;
    let touched: u32 = this.ids.touch(tag);
    for (let i = 0, n = sets.length; i < n; i++) {
      let base = unchecked(sets[i]).base(page);
      store<usize>(bases + (<usize>i << 2), base);
      touched ^= load<u32>(base);
    }
    sink = touched;
    let id: u32 = 0;
    if (hash < this.idThreshold) {
      if (tag == this.lastTag) {
        id = this.lastId;
      } else {
        id = this.ids.intern(tag);
        this.lastTag = tag;
        this.lastId = id;
      }
    }
    let position = this.ids.slot + POSITION_OFFSET;
    let fulls = this.fulls;
    for (let i = 0, n = fulls.length; i < n; i++) {
      let f = unchecked(fulls[i]);
      if (hash < f.threshold) f.access(id, position);
    }
    for (let i = 0, n = sets.length; i < n; i++) {
      let s = unchecked(sets[i]);
      if (hash < s.threshold) s.access(id, load<usize>(bases + (<usize>i << 2)));
    }
    for (let i = 0, n = directs.length; i < n; i++) {
      let d = unchecked(directs[i]);
      if (hash < d.threshold) d.access(tag, page);
    }
  }

  invalidate(va: u64): void {
    let page = va >> this.shift;
    if (!translatable(page << this.toSmall)) return;
    let tag = (page & tagMask) | (<u64>currentSpace << tagShift);
    this.lastTag = NO_TAG;
    if (this.l1d) {
      this.l1d!.invalidate(tag, page);
      this.l1i!.invalidate(tag, page);
    }
    let id = this.ids.find(tag);
    if (id != 0) {
      let position = this.ids.slot + POSITION_OFFSET;
      for (let i = 0; i < this.fulls.length; i++) unchecked(this.fulls[i]).invalidate(position);
      for (let i = 0; i < this.sets.length; i++) {
        let t = unchecked(this.sets[i]);
        t.invalidate(id, t.base(page));
      }
    }
    for (let i = 0; i < this.directs.length; i++) unchecked(this.directs[i]).tlb.invalidate(tag, page);
  }

  flush(): void {
    this.lastTag = NO_TAG;
    if (this.l1d) {
      this.l1d!.flush();
      this.l1i!.flush();
    }
    for (let i = 0; i < this.fulls.length; i++) unchecked(this.fulls[i]).flush();
    for (let i = 0; i < this.sets.length; i++) unchecked(this.sets[i]).flush();
    for (let i = 0; i < this.directs.length; i++) unchecked(this.directs[i]).tlb.flush();
  }
}

let streams: Array<Stream> = [];
/** Keeps the loads that touch the sets ahead of time from being optimized away. */
let sink: u32 = 0;
let pcid = false;
let tagShift: u64 = 36;
let tagMask: u64 = (<u64>1 << 36) - 1;

/** Accesses by op (u64[3], OP_READ, OP_WRITE, OP_FETCH), then physical ones (u64). */
export const sweepAccessCounts = memory.data(32, 8);

// Address spaces, as machine/mmu.ts keeps them.
let spaces = new SpaceNames();
let currentSpace: u32 = 0;
let anyAccess = false;

/** After init(): the paging mode is set, so tags take its width. */
export function configureSweep(withPcid: bool): void {
  pcid = withPcid;
  tagShift = vpnBits;
  tagMask = (<u64>1 << vpnBits) - 1;
}

export function addStream(
  level: u32, pageShift: u32,
  l1dEntries: u32, l1dWays: u32, l1dPolicy: u32, l1iEntries: u32, l1iWays: u32, l1iPolicy: u32, seed: u64,
): i32 {
  let s = new Stream(level, pageShift);
  if (level == SWEEP_L2) {
    s.l1d = new Tlb(l1dEntries, l1dWays, l1dPolicy, false, seed + 1);
    s.l1i = new Tlb(l1iEntries, l1iWays, l1iPolicy, false, seed + 2);
  }
  streams.push(s);
  return streams.length - 1;
}

function noteThreshold(s: Stream, threshold: u64): void {
  if (threshold < ALL_PAGES) s.sampling = true;
}

function addFull(stream: i32, maxDepth: u32, threshold: u64): void {
  let s = streams[stream];
  let f = new FullStack(s.ids, maxDepth, threshold);
  s.fulls.push(f);
  s.idThreshold = max<u64>(s.idThreshold, threshold);
  noteThreshold(s, threshold);
}

function addSets(stream: i32, sets: u32, depth: u32, threshold: u64): void {
  let s = streams[stream];
  let t = new SetStacks(sets, depth, threshold);
  s.sets.push(t);
  let bases = heap.alloc(<usize>s.sets.length << 2);
  if (s.bases != 0) heap.free(s.bases);
  s.bases = bases;
  s.idThreshold = max<u64>(s.idThreshold, threshold);
  noteThreshold(s, threshold);
}

function addDirect(stream: i32, entries: u32, ways: u32, policy: u32, randomState: u64, threshold: u64): void {
  let s = streams[stream];
  let d = new DirectTlb(entries, ways, policy, randomState, threshold);
  s.directs.push(d);
  noteThreshold(s, threshold);
}

export function streamLookups(stream: i32): u64 {
  return streams[stream].lookups;
}

function flushAll(): void {
  for (let i = 0; i < streams.length; i++) unchecked(streams[i]).flush();
}

function switchTo(cr3: u64): void {
  let selected = spaces.select(cr3, <u64>1 << (63 - tagShift));
  if (selected < 0) return;
  let id = <u32>selected;
  if (id == currentSpace) return;
  currentSpace = id;
  if (!pcid) flushAll();
}

function access(op: u32, va: u64, size: u32, flags: u32): void {
  if (!anyAccess) {
    anyAccess = true;
    spaces.start();
  }
  let count = sweepAccessCounts + (<usize>op << 3);
  store<u64>(count, load<u64>(count) + 1);
  if (flags & FLAG_PHYSICAL) {
    store<u64>(sweepAccessCounts, load<u64>(sweepAccessCounts, 24) + 1, 24);
    return;
  }
  let end = lastByte(va, size);
  for (let i = 0, n = streams.length; i < n; i++) {
    let s = unchecked(streams[i]);
    if (!s.wants(op)) continue;
    let first = va >> s.shift;
    let last = end >> s.shift;
    s.translate(first, op);
    if (last != first) s.translate(last, op);
  }
}

export function runSweepBatch(batch: usize, count: i32): void {
  let end = batch + <usize>count * EVENT_BYTES;
  for (let e = batch; e < end; e += EVENT_BYTES) {
    let op = <i32>load<u8>(e, 20);
    let va = load<u64>(e);
    // Replay gives each CPU its own TLBs; a sweep's rows are one TLB's.
    let cpu = load<u16>(e, 22);
    if (cpu != 0) abort("sweep models one CPU, and the trace names CPU " + cpu.toString() + " (replay it, or keep one CPU's lines)");
    if (op <= OP_FETCH) {
      access(<u32>op, va, load<u32>(e, 16), <u32>load<u8>(e, 21));
    } else if (op == OP_CR3) {
      switchTo(va);
    } else if (op == OP_INVLPG) {
      for (let i = 0; i < streams.length; i++) unchecked(streams[i]).invalidate(va);
    } else if (op == OP_FLUSH) {
      flushAll();
    }
  }
}

// Structures by the id the driver knows them by: kind and index in its stream.
const KIND_FULL: u32 = 0;
const KIND_SETS: u32 = 1;
const KIND_DIRECT: u32 = 2;
let structureStream: Array<i32> = [];
let structureKind: Array<u32> = [];
let structureIndex: Array<i32> = [];
let resultBlock: usize = 0;
let resultCapacity: usize = 0;

function register(stream: i32, kind: u32, index: i32): i32 {
  structureStream.push(stream);
  structureKind.push(kind);
  structureIndex.push(index);
  return structureStream.length - 1;
}

export function registerFull(stream: i32, maxDepth: u32, threshold: u64): i32 {
  addFull(stream, maxDepth, threshold);
  return register(stream, KIND_FULL, streams[stream].fulls.length - 1);
}

export function registerSets(stream: i32, sets: u32, depth: u32, threshold: u64): i32 {
  addSets(stream, sets, depth, threshold);
  return register(stream, KIND_SETS, streams[stream].sets.length - 1);
}

export function registerDirect(stream: i32, entries: u32, ways: u32, policy: u32, randomState: u64, threshold: u64): i32 {
  addDirect(stream, entries, ways, policy, randomState, threshold);
  return register(stream, KIND_DIRECT, streams[stream].directs.length - 1);
}

function blockOf(values: usize): usize {
  if (values > resultCapacity) {
    resultCapacity = max<usize>(values, 64);
    resultBlock = heap.alloc(resultCapacity << 3);
  }
  return resultBlock;
}

/**
 * A structure's counts as f64: lookups, then for a stack its histogram
 * (depth + 1 bins, the last "that deep or more, or absent"), for a TLB its
 * misses.
 */
export function structureResult(structure: i32): usize {
  let s = streams[structureStream[structure]];
  let kind = structureKind[structure];
  let index = structureIndex[structure];
  if (kind == KIND_DIRECT) {
    let tlb = s.directs[index].tlb;
    let out = blockOf(2);
    store<f64>(out, <f64>tlb.lookups);
    store<f64>(out, <f64>tlb.misses, 8);
    return out;
  }
  let lookups: u64;
  let hist: usize;
  let bins: usize;
  if (kind == KIND_FULL) {
    let f = s.fulls[index];
    lookups = f.lookups;
    hist = f.hist;
    bins = <usize>f.maxDepth + 1;
  } else {
    let t = s.sets[index];
    lookups = 0;
    for (let i: u32 = 0; i <= t.depth; i++) lookups += load<u64>(t.hist + (<usize>i << 3));
    hist = t.hist;
    bins = <usize>t.depth + 1;
  }
  let out = blockOf(bins + 1);
  store<f64>(out, <f64>(lookups + s.repeats));
  for (let i: usize = 0; i < bins; i++) store<f64>(out + ((i + 1) << 3), <f64>load<u64>(hist + (i << 3)));
  store<f64>(out, <f64>load<u64>(hist) + <f64>s.repeats, 8);
  return out;
}
