// The machine: consumes event batches, translating every page an access
// touches through the L1 dTLB/iTLB, the optional unified L2 and the page
// tables, and keeps the address-space state. Semantics: docs/metrics.md.

import {
  OP_FETCH, OP_CR3, OP_INVLPG, OP_FLUSH, OP_PAGE_FAULT,
  FLAG_PHYSICAL, FLAG_MMIO, FLAG_HAS_PA, PFN_READS, PFN_FETCHES,
} from "../abi";
import { countRecordStart } from "../observers/intervals";
import { countPhysical } from "../observers/physical";
import { countObservedFault } from "../observers/faults";
import { EVENT_BYTES } from "../records";
import { Tlb } from "./tlb";
import { walk, translatable, configurePaging, vpnBits } from "./pagetable";
import { flushPwc } from "./pwc";

// Tags keep the significant bits of a translatable VPN (vpnBits: 20, 36 or
// 45 by paging mode) and the address space above them, so entries of
// different spaces never match.
let tagShift: u64 = 36;
let tagMask: u64 = (<u64>1 << 36) - 1;

// @ts-ignore: decorator
@inline function tagOf(vpn: u64): u64 {
  return (vpn & tagMask) | (<u64>currentSpace << tagShift);
}

export let l1d: Tlb | null = null;
export let l1i: Tlb | null = null;
export let l2: Tlb | null = null;
let pcid = false;

/** Accesses by op: u64[3], indexed by OP_READ, OP_WRITE, OP_FETCH. */
export const accessCounts = memory.data(24, 8);
export let physical: u64 = 0;
export let mmio: u64 = 0;
export let crossings: u64 = 0;
export let nonCanonical: u64 = 0;
export let observedFaults: u64 = 0;
export let invlpgs: u64 = 0;
export let flushes: u64 = 0;
export let contexts: u64 = 0;
export let contextSwitches: u64 = 0;

// Address spaces: dense ids, named by CR3 values.
export let spaceIds = new Map<u64, u32>();
/** Space ids in the order of their first access (the reports number spaces so). */
export let accessOrder: Array<u32> = [];
let spaceUsed: Array<bool> = [false];
let currentSpace: u32 = 0;
let currentUsed = false;     // spaceUsed[currentSpace], hoisted for the hot path
let anyAccess = false;
let startName: u64 = 0;      // the CR3 that named the starting space, if any
let startNamed = false;

/** `seed` starts each level's random generator at seed + 1, + 2, + 3. */
export function configureMachine(
  l1dEntries: u32, l1dWays: u32, l1dPolicy: u32, l1iEntries: u32, l1iWays: u32, l1iPolicy: u32,
  l2Entries: u32, l2Ways: u32, l2Policy: u32, seed: u64, paging: u32, withPcid: bool,
): void {
  configurePaging(paging);
  tagShift = vpnBits;
  tagMask = (<u64>1 << vpnBits) - 1;
  l1d = new Tlb(l1dEntries, l1dWays, l1dPolicy, true, seed + 1, PFN_READS);
  l1i = new Tlb(l1iEntries, l1iWays, l1iPolicy, true, seed + 2, PFN_FETCHES);
  l2 = l2Entries == 0 ? null : new Tlb(l2Entries, l2Ways, l2Policy, false, seed + 3);
  pcid = withPcid;
}

function flushAll(): void {
  flushPwc();
  l1d!.flush();
  l1i!.flush();
  if (l2) l2!.flush();
}

function switchTo(cr3: u64): void {
  if (!anyAccess) {
    // Before the first access a CR3 only names the space the trace starts in.
    startName = cr3;
    startNamed = true;
    return;
  }
  let id: u32;
  if (spaceIds.has(cr3)) {
    id = spaceIds.get(cr3);
  } else {
    id = <u32>spaceUsed.length;
    // The space id sits above the VPN in a tag, below the top bit (NO_TAG).
    if (<u64>id >> (63 - tagShift) != 0) abort("too many address spaces for a TLB tag");
    spaceIds.set(cr3, id);
    spaceUsed.push(false);
  }
  if (id == currentSpace) return;
  contextSwitches++;
  currentSpace = id;
  currentUsed = spaceUsed[id];
  if (!pcid) flushAll();
}

function firstAccessOfSpace(): void {
  if (!anyAccess) {
    anyAccess = true;
    if (startNamed) spaceIds.set(startName, 0);
  }
  spaceUsed[currentSpace] = true;
  currentUsed = true;
  accessOrder.push(currentSpace);
  contexts++;
}

/** `count`: which of the L1 entry's two counts this translation adds to (Tlb.lookup). */
function translate(l1: Tlb, vpn: u64, count: usize): void {
  if (!translatable(vpn)) {
    nonCanonical++;
    return;
  }
  let tag = tagOf(vpn);
  let pfn = l1.lookup(tag, vpn, count);
  if (pfn < 0) {
    let second = l2;
    if (second) pfn = second.lookup(tag, vpn, 0);
    if (pfn < 0) {
      pfn = <i64>walk(currentSpace, vpn);
      if (second) second.fill(tag, <u64>pfn, 0);
    }
    l1.fill(tag, <u64>pfn, count);
  }
}

/** Makes the per-PFN counts complete (the L1s hold some back). */
export function drainTranslationCounts(): void {
  l1d!.drainCounts();
  l1i!.drainCounts();
}

function access(op: u32, va: u64, size: u32, flags: u32, pa: u64): void {
  // Before anything counts: a snapshot due at this record's start sees the counters as they stand.
  countRecordStart(flags);
  if (!currentUsed) firstAccessOfSpace();
  // Indexed rather than branched on: the op is as unpredictable as the trace.
  let count = accessCounts + (<usize>op << 3);
  store<u64>(count, load<u64>(count) + 1);
  if (flags & (FLAG_PHYSICAL | FLAG_HAS_PA)) {
    if (flags & FLAG_HAS_PA) countPhysical(pa);
    if (flags & FLAG_PHYSICAL) {
      physical++;
      if (flags & FLAG_MMIO) mmio++;
      else countPhysical(va);
      return;
    }
  }
  let l1 = select<Tlb>(l1i!, l1d!, op == OP_FETCH);
  // The L1d counts writes in its second count, reads (and the L1i fetches) in the first.
  let entryCount = <usize>(op & 1) * l1.countBytes;
  let first = va >> 12;
  let last = (va + <u64>(size == 0 ? 0 : size - 1)) >> 12;
  translate(l1, first, entryCount);
  if (last != first) {
    crossings++;
    translate(l1, last, entryCount);
  }
}

function invlpg(va: u64): void {
  invlpgs++;
  let vpn = va >> 12;
  flushPwc(); // INVLPG empties the page-walk caches, as on Intel
  if (!translatable(vpn)) return;
  let tag = tagOf(vpn);
  l1d!.invalidate(tag, vpn);
  l1i!.invalidate(tag, vpn);
  if (l2) l2!.invalidate(tag, vpn);
}

export function runBatch(batch: usize, count: i32): void {
  let end = batch + <usize>count * EVENT_BYTES;
  for (let e = batch; e < end; e += EVENT_BYTES) {
    let op = <i32>load<u8>(e, 20);
    let va = load<u64>(e);
    if (op <= OP_FETCH) {
      access(<u32>op, va, load<u32>(e, 16), <u32>load<u8>(e, 21), load<u64>(e, 8));
    } else if (op == OP_CR3) {
      switchTo(va);
    } else if (op == OP_INVLPG) {
      invlpg(va);
    } else if (op == OP_FLUSH) {
      flushes++;
      flushAll();
    } else if (op == OP_PAGE_FAULT) {
      observedFaults++;
      countObservedFault(load<u32>(e, 16));
    }
  }
}
