// The machine: consumes event batches, translating every page an access
// touches through the L1 dTLB/iTLB, the optional unified L2 and the page
// tables, and keeps the address-space state. Semantics: docs/metrics.md.

import {
  OP_WRITE, OP_FETCH, OP_CR3, OP_INVLPG, OP_FLUSH, OP_PAGE_FAULT,
  FLAG_PHYSICAL, FLAG_MMIO, FLAG_HAS_PA,
} from "../abi";
import { countPhysical } from "../observers/physical";
import { countObservedFault } from "../observers/faults";
import { EVENT_BYTES } from "../records";
import { Tlb } from "./tlb";
import { walk, translatable, configurePaging, vpnBits } from "./pagetable";
import { flushPwc } from "./pwc";
import { limit, touchFrame, countTranslation } from "./frames";

// Tags keep the significant bits of a translatable VPN (vpnBits: 20, 36 or
// 45 by paging mode) and the address space above them, so entries of
// different spaces never match.
let tagShift: u64 = 36;
let tagMask: u64 = (<u64>1 << 36) - 1;

// @ts-ignore: decorator
@inline function tagOf(vpn: u64): u64 {
  return (vpn & tagMask) | (<u64>currentSpace << tagShift);
}

// Page numbers are va >> pageShift (12, or 21/22/30 for huge pages); a
// translatable page is checked by its first 4 KiB page, vpn << hugeShift.
let pageShift: u64 = 12;
let hugeShift: u64 = 0;

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
let spaceIds = new Map<u64, u32>();
let spaceUsed: Array<bool> = [false];
let currentSpace: u32 = 0;
let currentUsed = false;     // spaceUsed[currentSpace], hoisted for the hot path
let anyAccess = false;
let startName: u64 = 0;      // the CR3 that named the starting space, if any
let startNamed = false;

/** `seed` starts each level's random generator at seed + 1, + 2, + 3. */
export function configureMachine(
  l1dEntries: u32, l1dWays: u32, l1dPolicy: u32, l1iEntries: u32, l1iWays: u32, l1iPolicy: u32,
  l2Entries: u32, l2Ways: u32, l2Policy: u32, seed: u64, paging: u32, withPcid: bool, shift: u32,
): void {
  pageShift = <u64>shift;
  hugeShift = <u64>shift - 12;
  configurePaging(paging, shift);
  tagShift = vpnBits;
  tagMask = (<u64>1 << vpnBits) - 1;
  l1d = new Tlb(l1dEntries, l1dWays, l1dPolicy, true, seed + 1);
  l1i = new Tlb(l1iEntries, l1iWays, l1iPolicy, true, seed + 2);
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
  contexts++;
}

function translate(l1: Tlb, vpn: u64, op: u32): void {
  if (!translatable(vpn << hugeShift)) {
    nonCanonical++;
    return;
  }
  let tag = tagOf(vpn);
  let pfn = l1.lookup(tag, vpn);
  if (pfn < 0) {
    let second = l2;
    if (second) pfn = second.lookup(tag, vpn);
    if (pfn < 0) {
      pfn = <i64>walk(currentSpace, vpn << hugeShift);
      if (second) second.fill(tag, <u64>pfn);
    }
    l1.fill(tag, <u64>pfn);
  }
  if (limit != 0) touchFrame(<u64>pfn, op == OP_WRITE);
  countTranslation(tag);
}

/**
 * Invalidates the evicted page (space, 4 KiB page vpn) in every TLB, under
 * its own address space's tag; true if some TLB held it.
 */
export function shootDown(space: u32, vpn: u64): bool {
  let page = vpn >> hugeShift;
  let tag = (page & tagMask) | (<u64>space << tagShift);
  let held = l1d!.invalidate(tag, page);
  held = l1i!.invalidate(tag, page) || held;
  if (l2) held = l2!.invalidate(tag, page) || held;
  return held;
}

/** Makes the per-PFN counts complete (the L1s hold some back). */
export function drainTranslationCounts(): void {
  l1d!.drainCounts();
  l1i!.drainCounts();
}

function access(op: u32, va: u64, size: u32, flags: u32, pa: u64): void {
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
  let first = va >> pageShift;
  let last = (va + <u64>(size == 0 ? 0 : size - 1)) >> pageShift;
  translate(l1, first, op);
  if (last != first) {
    crossings++;
    translate(l1, last, op);
  }
}

function invlpg(va: u64): void {
  invlpgs++;
  let vpn = va >> pageShift;
  flushPwc(); // INVLPG empties the page-walk caches, as on Intel
  if (!translatable(vpn << hugeShift)) return;
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
