// The machine: consumes event batches, translating every page an access
// touches through the L1 dTLB/iTLB, the optional unified L2 and the page
// tables, and keeps the address-space state. Semantics: docs/metrics.md.

import {
  OP_WRITE, OP_FETCH, OP_CR3, OP_INVLPG, OP_FLUSH, OP_PAGE_FAULT,
  FLAG_PHYSICAL, FLAG_MMIO, FLAG_HAS_PA, PFN_READS, PFN_FETCHES, POLICY_FIFO,
} from "../abi";
import { countRecordStart, intervalsOn } from "../observers/intervals";
import { countPhysical } from "../observers/physical";
import { countObservedFault } from "../observers/faults";
import { settleFrameCounts, countTotalsOnly, frameColumns } from "../observers/pfn";
import { EVENT_BYTES, lastByte } from "../records";
import { Tlb, NO_TAG, KNOWN_L1, KNOWN_NOT_L1, KNOWN_STAMPED, KNOWN_SETTLED } from "./tlb";
import { walk, walk4k, walk4kPlain, translatable, translatable4k, fourLevelsUncached, configurePaging, vpnBits, ensureRoot, KERNEL_TREE } from "./pagetable";
import { SpaceNames } from "./spaces";
import { flushPwc, savePwc, loadPwc, newPwc, PWC_STATE_BYTES } from "./pwc";
import { tracking, track, traceFrames, setFaultFrame, limit as frameLimit } from "./frames";
import {
  layout, inKernelHalf, inKernelText, linearFrame, anyMaps, mapFor, regionPermissions, regionShift,
  anyHugeRegion, PERM_READ, PERM_WRITE, PERM_EXEC,
} from "./layout";
import { LAYOUT_FLAT, OP_READ } from "../abi";

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
// With huge regions (a maps file's, in a run of 4 KiB pages) a page's size
// is its region's: its tag then holds its first 4 KiB page, unique because an
// address has one page size in an address space, and its TLB set is still
// its page number at its own size.
let pageShift: u64 = 12;
export let hugeShift: u64 = 0;

export let l1d: Tlb | null = null;
export let l1i: Tlb | null = null;
export let l2: Tlb | null = null;
let pcid = false;
let kpti = false;
// A kernel layout or region maps: every translation is checked first (the slow path).
let checking = false;
/** The tag space of global (kernel-half) entries: the largest space id a tag can hold. */
let kernelTag: u64 = 0;
// The mode of the current access (1 = kernel); -1 before the first access.
let mode: i32 = -1;
let lastFetchMode: i32 = -1;   // the mode of the last fetch, -1 before the first
export let invalidAccesses: u64 = 0;
/** Protection faults by kind: read, write, exec, user (u64[4]). */
export const protectionFaults = memory.data(32, 8);
export let kptiSwitches: u64 = 0;

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
export const spaceNames = new SpaceNames();
/** Space ids in the order of their first access (the reports number spaces so). */
export let accessOrder: Array<u32> = [];
let spaceUsed: Array<bool> = [false];
let currentSpace: u32 = 0;
let currentUsed = false;     // spaceUsed[currentSpace], hoisted for the hot path
let spaceCr3: Array<u64> = [0];    // the CR3 value naming each space (0: unnamed)
let anyAccess = false;
let spaceMaps: Array<i32> = [-1];
let currentMap: i32 = -1;
let rooted: Array<bool> = [false];
let currentRooted = false;

// CPUs: the live globals above (TLBs, current space, mode, page-walk caches)
// are the active CPU's; an event of another CPU swaps them.
export const MAX_CPUS: u32 = 64;
class Cpu {
  l1d: Tlb | null = null;
  l1i: Tlb | null = null;
  l2: Tlb | null = null;
  space: u32 = 0;
  mode: i32 = -1;
  lastFetchMode: i32 = -1;
  pwc: usize = heap.alloc(PWC_STATE_BYTES);
}
export let cpus: Array<Cpu | null> = new Array<Cpu | null>(MAX_CPUS);
let activeCpu: u32 = 0;
let cpuSeed: u64 = 0;
let geometry = new Array<u32>(9); // l1d, l1i, l2: entries, ways, policy

/** `seed` starts each level's random generator at seed + 1, + 2, + 3. */
export function configureMachine(
  l1dEntries: u32, l1dWays: u32, l1dPolicy: u32, l1iEntries: u32, l1iWays: u32, l1iPolicy: u32,
  l2Entries: u32, l2Ways: u32, l2Policy: u32, seed: u64, paging: u32, withPcid: bool, shift: u32,
): void {
  pageShift = <u64>shift;
  hugeShift = <u64>shift - 12;
  configurePaging(paging);
  tagShift = vpnBits;
  tagMask = (<u64>1 << vpnBits) - 1;
  kernelTag = (<u64>1 << (63 - tagShift)) - 1;
  l1d = newL1(l1dEntries, l1dWays, l1dPolicy, seed + 1, PFN_READS);
  l1i = newL1(l1iEntries, l1iWays, l1iPolicy, seed + 2, PFN_FETCHES);
  l2 = l2Entries == 0 ? null : new Tlb(l2Entries, l2Ways, l2Policy, false, seed + 3);
  pcid = withPcid;
  cpuSeed = seed;
  let g = [l1dEntries, l1dWays, l1dPolicy, l1iEntries, l1iWays, l1iPolicy, l2Entries, l2Ways, l2Policy];
  for (let i = 0; i < 9; i++) geometry[i] = g[i];
  cpus[0] = new Cpu();
}

/** An L1 that counts each frame's translations by op, or their totals once the per-PFN observer keeps one column (countTranslationTotals). */
function newL1(entries: u32, ways: u32, policy: u32, seed: u64, column: u32): Tlb {
  let tlb = new Tlb(entries, ways, policy, true, seed, column);
  if (frameColumns() == 1) tlb.countTotals();
  return tlb;
}

/** Per-frame translations without the split by op, for a replay that writes no per-frame table: before the first event. */
export function countTranslationTotals(): void {
  countTotalsOnly();
  l1d!.countTotals();
  l1i!.countTotals();
}

/** Makes CPU c the active one (creating it on first use): its TLBs, space, mode and caches go live. */
function switchCpu(c: u32): void {
  if (c >= MAX_CPUS) abort("more than 64 CPUs");
  let out = cpus[activeCpu]!;
  out.l1d = l1d;
  out.l1i = l1i;
  out.l2 = l2;
  out.space = currentSpace;
  out.mode = mode;
  out.lastFetchMode = lastFetchMode;
  savePwc(out.pwc);
  let cpu = cpus[c];
  if (cpu == null) {
    let made = new Cpu();
    let seed = cpuSeed + 3 * <u64>c;
    made.l1d = newL1(geometry[0], geometry[1], geometry[2], seed + 1, PFN_READS);
    made.l1i = newL1(geometry[3], geometry[4], geometry[5], seed + 2, PFN_FETCHES);
    made.l2 = geometry[6] == 0 ? null : new Tlb(geometry[6], geometry[7], geometry[8], false, seed + 3);
    newPwc(made.pwc);
    cpus[c] = made;
    cpu = made;
  }
  activeCpu = c;
  l1d = cpu.l1d;
  l1i = cpu.l1i;
  l2 = cpu.l2;
  currentSpace = cpu.space;
  currentUsed = spaceUsed[currentSpace];
  currentRooted = rooted[currentSpace];
  currentMap = spaceMaps[currentSpace];
  mode = cpu.mode;
  lastFetchMode = cpu.lastFetchMode;
  loadPwc(cpu.pwc);
}

export function isCpuMade(c: u32): bool {
  return c < MAX_CPUS && cpus[c] != null;
}

/** Every CPU's TLB of a level (0 l1d, 1 l1i, 2 l2), the active one's live. */
function tlbOf(cpu: u32, level: u32): Tlb | null {
  if (cpu == activeCpu) return level == 0 ? l1d : level == 1 ? l1i : l2;
  let c = cpus[cpu];
  if (c == null) return null;
  return level == 0 ? c.l1d : level == 1 ? c.l1i : c.l2;
}

/** A level's (0 l1d, 1 l1i, 2 l2) lookups, or misses, summed over the CPUs. */
export function levelTotal(level: u32, misses: bool): u64 {
  let total: u64 = 0;
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    let t = tlbOf(c, level);
    if (t) total += misses ? t.misses : t.lookups;
  }
  return total;
}

/** The CPUs made, and u64 lookups and misses of each level per CPU at `out` (6 per CPU, by CPU number). */
export function cpuTotals(out: usize): u32 {
  let made: u32 = 0;
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    for (let level: u32 = 0; level < 3; level++) {
      let t = tlbOf(c, level);
      store<u64>(out + ((<usize>c * 6 + <usize>level * 2) << 3), t ? t.lookups : 0);
      store<u64>(out + ((<usize>c * 6 + <usize>level * 2 + 1) << 3), t ? t.misses : 0);
    }
    if (cpus[c] != null) made++;
  }
  return made;
}

/** Call after configureMachine and the layout and maps: turns the checked path on if needed. */
export function configureChecks(withKpti: bool): void {
  kpti = withKpti;
  checking = layout != <u32>LAYOUT_FLAT || anyMaps();
}

function flushAll(): void {
  flushPwc();
  l1d!.flush();
  l1i!.flush();
  if (l2) l2!.flush();
}

/** A context switch without PCID: global (kernel-half) entries stay, unless KPTI made none global. */
function flushForSwitch(): void {
  if (layout == <u32>LAYOUT_FLAT || kpti) {
    flushAll();
    return;
  }
  flushPwc();
  let globals = kernelTag << tagShift;
  l1d!.flushBelow(globals);
  l1i!.flushBelow(globals);
  if (l2) l2!.flushBelow(globals);
}

function switchTo(cr3: u64): void {
  // The space id sits above the VPN in a tag, below the top bit (NO_TAG);
  // KPTI doubles the ids, and the largest tag space is the kernel's.
  let selected = spaceNames.select(cr3, kernelTag >> 1);
  if (selected < 0) return;
  let id = <u32>selected;
  if (id == <u32>spaceUsed.length) {
    spaceUsed.push(false);
    spaceCr3.push(cr3);
    spaceMaps.push(-1);
    rooted.push(false);
  }
  if (id == currentSpace) return;
  contextSwitches++;
  currentSpace = id;
  // A page number names an entry only in its space (PCID keeps the entries).
  l1d!.forgetRows();
  l1i!.forgetRows();
  currentUsed = spaceUsed[id];
  currentRooted = rooted[id];
  currentMap = spaceMaps[id];
  if (!pcid) flushForSwitch();
}

function firstAccessOfSpace(): void {
  if (!anyAccess) {
    anyAccess = true;
    spaceNames.start();
    spaceCr3[0] = spaceNames.startCr3;
  }
  spaceUsed[currentSpace] = true;
  currentUsed = true;
  accessOrder.push(currentSpace);
  contexts++;
  // The start space without a CR3 goes by 0x0 in --maps.
  currentMap = mapFor(spaceCr3[currentSpace], true);
  spaceMaps[currentSpace] = currentMap;
}

/** The space's root table (and its KPTI user root) on its first translation. */
function makeRoot(): void {
  ensureRoot(currentSpace, kpti);
  rooted[currentSpace] = true;
  currentRooted = true;
}

function translate(l1: Tlb, vpn: u64, op: u32): void {
  if (!translatable(vpn << hugeShift)) {
    nonCanonical++;
    return;
  }
  if (!currentRooted) makeRoot();
  let tag = tagOf(vpn);
  let pfn = resolve(l1, vpn, tag, currentSpace, <u64>currentSpace, entryCount(l1, op), pageShift);
  if (tracking) track(<u64>pfn, op == OP_WRITE, tag);
}

/** The frame of a page (number vpn at size 2^shift) through the L1, the L2 and the walk, filling the levels that missed. */
// @ts-ignore: decorator
@inline function resolve(l1: Tlb, vpn: u64, tag: u64, tree: u32, keySpace: u64, count: usize, shift: u64): i64 {
  if (l1.hitLast(tag, count)) return l1.lastPfn();
  return resolvePastLastCall(l1, vpn, tag, tree, keySpace, count, shift);
}

/**
 * resolvePastLast() out of line, so that a loop whose common case is a
 * repeat of the page keeps its registers.
 */
function resolvePastLastCall(l1: Tlb, vpn: u64, tag: u64, tree: u32, keySpace: u64, count: usize, shift: u64): i64 {
  return resolvePastLast(l1, vpn, tag, tree, keySpace, count, shift);
}

/** resolve() past the L1's last-entry shortcut. */
// @ts-ignore: decorator
@inline function resolvePastLast(l1: Tlb, vpn: u64, tag: u64, tree: u32, keySpace: u64, count: usize, shift: u64, known: u32 = 0): i64 {
  let pfn = l1.lookupSet(tag, vpn, count, known | KNOWN_L1);
  if (pfn < 0) {
    let second = l2;
    // The set scan alone: the L2's last entry is rarely the page the L1 just missed.
    if (second) pfn = second.lookupSet(tag, vpn, 0, known | KNOWN_NOT_L1);
    if (pfn < 0) {
      if (known & KNOWN_4K) pfn = <i64>walk4kPlain(tree, vpn);
      else pfn = <i64>(shift == 12 && keySpace == <u64>tree ? walk4k(tree, vpn) : walk(tree, vpn << (shift - 12), keySpace, shift));
      if (second) second.fill(tag, <u64>pfn, 0, known | KNOWN_NOT_L1);
    }
    l1.fill(tag, <u64>pfn, count, known | KNOWN_L1);
  }
  return pfn;
}

/**
 * The plain machine's 4 KiB pages of a process in x86-64's four levels
 * without page-walk caches: a miss checks and walks them with constants
 * (walk4kPlain). The TLBs' KNOWN_* bits are tlb.ts's.
 */
const KNOWN_4K: u32 = 1 << 16;
/** What the fast copy of the miss path takes as known: the default machine's. */
const KNOWN_FAST: u32 = KNOWN_STAMPED | KNOWN_SETTLED | KNOWN_4K;
/** Whether this run's misses may take the fast copy (KNOWN_FAST), as configured before its first input window. */
let fastMisses = false;

/**
 * Called before each input window: the configuration is complete then.
 * Only the plain machine takes the fast copy, and a frame limit already
 * makes a machine other than plain (frames.ts tracks its translations): the
 * limit's test here keeps KNOWN_SETTLED true should that change.
 */
export function refreshFastMisses(): void {
  // Every CPU's TLBs have the active one's policies.
  let policy = max(l1d!.policy, l1i!.policy);
  if (l2) policy = max(policy, l2!.policy);
  fastMisses = policy <= <u32>POLICY_FIFO && frameLimit == 0 && pageShift == 12 && fourLevelsUncached();
}

/** Which of the L1 entry's two counts a translation adds to: the L1d's writes are its second (unless the TLB counts totals), reads (and the L1i's fetches) its first. */
// @ts-ignore: decorator
@inline function entryCount(l1: Tlb, op: u32): usize {
  return <usize>(op & 1) * l1.writeCount;
}

/**
 * A TLB tag with its tag space replaced by the address space that owns the
 * entry (under KPTI the process, whatever its mode); the kernel's global
 * entries keep the kernel's tag space. The per-page observer keys rows so.
 */
export function ownerTag(tag: u64): u64 {
  if (!kpti) return tag;
  return (tag & tagMask) | ((tag >> tagShift >> 1) << tagShift);
}

/** The address space of an owner tag's space (-1: the kernel's global entries, shared by all). */
export function ownerSpace(space: u64): i64 {
  return space == kernelTag && layout != <u32>LAYOUT_FLAT && !kpti ? -1 : <i64>space;
}

/** The tag space of a page's entries: the process, the kernel's global space, or under KPTI (process, mode). */
// @ts-ignore: decorator
@inline function tagSpace(kernelPage: bool, m: i32): u64 {
  if (kpti) return <u64>currentSpace * 2 + <u64>m;
  return kernelPage ? kernelTag : <u64>currentSpace;
}

/**
 * translate() under a kernel layout or region maps: the page's half, the
 * mode and the permissions decide whether it is looked up, and in which
 * table and tag space. `address` is the first byte the access touches in
 * the page, vpn its number at its size 2^shift.
 */
function translateChecked(l1: Tlb, vpn: u64, shift: u64, op: u32, address: u64): void {
  let first4k = vpn << (shift - 12);
  if (!translatable(first4k)) {
    nonCanonical++;
    return;
  }
  let kernelPage = inKernelHalf(first4k << 12);
  if (kernelPage) {
    if (mode == 0) {
      store<u64>(protectionFaults + 24, load<u64>(protectionFaults + 24) + 1);
      return;
    }
    if (op == OP_WRITE && inKernelText(address)) {
      store<u64>(protectionFaults + 8, load<u64>(protectionFaults + 8) + 1);
      return;
    }
  } else if (currentMap >= 0) {
    let perms = regionPermissions(currentMap, address);
    if (perms < 0) {
      invalidAccesses++;
      return;
    }
    let needed = op == OP_READ ? PERM_READ : op == OP_WRITE ? PERM_WRITE : PERM_EXEC;
    if ((perms & needed) == 0) {
      let kind = <usize>op << 3; // read, write, exec: the op's own slot
      store<u64>(protectionFaults + kind, load<u64>(protectionFaults + kind) + 1);
      return;
    }
  }
  if (!currentRooted) makeRoot();
  let space = tagSpace(kernelPage, mode);
  let tagVpn = (first4k >> hugeShift) & tagMask;
  let tag = tagVpn | (space << tagShift);
  let pfn = resolve(l1, vpn, tag, kernelPage ? KERNEL_TREE : currentSpace, space, entryCount(l1, op), shift);
  // A linear page's frame is outside the pool: nothing to track but the pre-pass's record,
  // which names a page by its table (the kernel's or the process's), whatever the mode.
  if (tracking) {
    let page = tagVpn | ((kernelPage ? kernelTag : <u64>currentSpace) << tagShift);
    track(kernelPage && linearFrame(first4k << 12) >= 0 ? 0 : <u64>pfn, op == OP_WRITE, page);
  }
}

/**
 * Invalidates the evicted page (its table: a space or the kernel's; 4 KiB
 * page vpn) in every TLB, under every tag space its entries can have; true
 * if some TLB held it.
 */
export function shootDown(tree: u32, vpn: u64): bool {
  let page = vpn >> hugeShift;
  if (!kpti) return invalidateEverywhere(page, tree == KERNEL_TREE ? kernelTag : <u64>tree);
  if (tree != KERNEL_TREE) {
    let user = invalidateEverywhere(page, <u64>tree * 2);
    return invalidateEverywhere(page, <u64>tree * 2 + 1) || user;
  }
  let held = false;
  for (let p: u64 = 0; p < <u64>spaceUsed.length; p++) held = invalidateEverywhere(page, p * 2 + 1) || held;
  return held;
}

function invalidateEverywhere(page: u64, space: u64): bool {
  let tag = (page & tagMask) | (space << tagShift);
  let held = false;
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    for (let level: u32 = 0; level < 3; level++) {
      let t = tlbOf(c, level);
      if (t) held = t.invalidate(tag, page) || held;
    }
  }
  return held;
}

/** Makes the per-PFN counts complete (the L1s hold some back). */
export function drainTranslationCounts(): void {
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    for (let level: u32 = 0; level < 2; level++) {
      let t = tlbOf(c, level);
      if (t) t.drainCounts();
    }
  }
  settleFrameCounts();
}

/** Counts an access by its op: indexed rather than branched on, as the op is as unpredictable as the trace. */
// @ts-ignore: decorator
@inline function countAccess(op: u32): void {
  let count = accessCounts + (<usize>op << 3);
  store<u64>(count, load<u64>(count) + 1);
}

function access(op: u32, va: u64, size: u32, flags: u32, pa: u64): void {
  // Before anything counts: a snapshot due at this record's start sees the counters as they stand.
  if (intervalsOn) countRecordStart(flags);
  if (!currentUsed) firstAccessOfSpace();
  countAccess(op);
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
  let end = lastByte(va, size);
  if (traceFrames) {
    accessTraced(l1, op, va, end, pa, (flags & FLAG_HAS_PA) != 0);
    return;
  }
  if (checking) {
    accessChecked(l1, op, va, end);
    return;
  }
  let first = va >> pageShift;
  let last = end >> pageShift;
  translate(l1, first, op);
  if (last != first) {
    crossings++;
    translate(l1, last, op);
  }
}

/** --alloc trace: the first page's fault may take the access's own frame; the second page's has none. */
function accessTraced(l1: Tlb, op: u32, va: u64, end: u64, pa: u64, hasPa: bool): void {
  setFaultFrame(pa >> 12, hasPa);
  if (checking) {
    accessChecked(l1, op, va, end);
  } else {
    let first = va >> pageShift;
    let last = end >> pageShift;
    translate(l1, first, op);
    setFaultFrame(0, false);
    if (last != first) {
      crossings++;
      translate(l1, last, op);
    }
  }
  setFaultFrame(0, false);
}

/** The size (log2) of the page holding address in the current space: its region's, or the run's. */
function shiftAt(address: u64): u64 {
  if (!anyHugeRegion || currentMap < 0 || inKernelHalf(address)) return pageShift;
  return regionShift(currentMap, address, pageShift);
}

/** `end`: the access's last byte. */
function accessChecked(l1: Tlb, op: u32, va: u64, end: u64): void {
  // The mode follows the last fetch; before any fetch, the access's own address.
  let kernel: i32 = inKernelHalf(va) ? 1 : 0;
  let m = op == OP_FETCH || lastFetchMode < 0 ? kernel : lastFetchMode;
  if (op == OP_FETCH) lastFetchMode = kernel;
  if (kpti && mode >= 0 && m != mode) {
    kptiSwitches++;
    if (!pcid) flushAll();
  }
  mode = m;
  let firstShift = shiftAt(va);
  let lastShift = shiftAt(end);
  let first = va >> firstShift;
  let last = end >> lastShift;
  translateChecked(l1, first, firstShift, op, va);
  // The second page's fault must not take the first page's trace frame.
  setFaultFrame(0, false);
  if (last != first || lastShift != firstShift) {
    crossings++;
    translateChecked(l1, last, lastShift, op, last << lastShift);
  }
}

function invlpg(va: u64): void {
  invlpgs++;
  let shift = checking ? shiftAt(va) : pageShift;
  let vpn = va >> shift;
  flushPwc(); // INVLPG empties the page-walk caches, as on Intel
  let first4k = vpn << (shift - 12);
  if (!translatable(first4k)) return;
  // The entry a translation of the page would use now (in the last access's mode).
  let tagVpn = (first4k >> hugeShift) & tagMask;
  let tag = checking ? tagVpn | (tagSpace(inKernelHalf(va), max<i32>(mode, 0)) << tagShift) : tagOf(vpn);
  l1d!.invalidate(tag, vpn);
  l1i!.invalidate(tag, vpn);
  if (l2) l2!.invalidate(tag, vpn);
}

/** No kernel layout or maps, no frame tracking, no interval snapshots (none of which an event can turn on): no per-access checks. */
// @ts-ignore: decorator
@inline function plainMachine(): bool {
  return !checking && !traceFrames && !tracking && !intervalsOn;
}

export function runBatch(batch: usize, count: i32): void {
  let end = batch + <usize>count * EVENT_BYTES;
  if (plainMachine()) runPlain(batch, end);
  else runAny(batch, end);
}

/** translate() for the plain machine (no tracking). */
// @ts-ignore: decorator
@inline function translatePlain(l1: Tlb, vpn: u64, op: u32, known: u32 = 0): void {
  if (known & KNOWN_4K ? !translatable4k(vpn) : !translatable(vpn << hugeShift)) {
    nonCanonical++;
    return;
  }
  // No row check: the callers made their own (accessPlain, countHits), and the set scan is exact anyway.
  if (!currentRooted) makeRoot();
  resolvePastLast(l1, vpn, tagOf(vpn), currentSpace, <u64>currentSpace, entryCount(l1, op), pageShift, known);
}

// runPlain counts a hit on its set's newest entry (most accesses: the TLB's
// rows name these entries, tlb.ts) in a loop without calls (countHits): the
// entry's count goes straight to memory, and the lookups and accesses into
// one local, HIT_BITS per op, handed over (addHits) before anything else can
// read them or another CPU takes over.
const HIT_BITS: u64 = 21;
const HIT_MASK: u64 = (<u64>1 << HIT_BITS) - 1;
/** Events per span, so that no op's count can reach HIT_MASK. */
const HIT_SPAN: usize = (<usize>1 << 20) * EVENT_BYTES;

/** Hands over the hits runPlain counted: each op's accesses and its L1's lookups. */
function addHits(hits: u64): void {
  let reads = hits & HIT_MASK;
  let writes = (hits >> HIT_BITS) & HIT_MASK;
  let fetches = hits >> (2 * HIT_BITS);
  store<u64>(accessCounts, load<u64>(accessCounts) + reads);
  store<u64>(accessCounts, load<u64>(accessCounts, 8) + writes, 8);
  store<u64>(accessCounts, load<u64>(accessCounts, 16) + fetches, 16);
  l1d!.lookups += reads + writes;
  l1i!.lookups += fetches;
}

/** runAny() for the plain machine: an ordinary access needs none of the checks. */
function runPlain(batch: usize, end: usize): void {
  for (let span = batch; span < end; span += HIT_SPAN) {
    runPlainSpan(span, min<usize>(span + HIT_SPAN, end));
  }
}

function runPlainSpan(batch: usize, end: usize): void {
  let e = batch;
  loadHitRows();
  for (;;) {
    e = countHits(e, end);
    if (e >= end) break;
    if (rowMissOp != NO_ROW_MISS) {
      // Most of countHits' stops on a miss-heavy trace: the event is read already.
      accessPlainPages(select<Tlb>(l1i!, l1d!, rowMissOp == OP_FETCH), rowMissOp, rowMissPage, rowMissPage);
      rowMissOp = NO_ROW_MISS;
      e += EVENT_BYTES;
      continue;
    }
    let word = load<u32>(e, 20);
    let op = word & 0xff;
    let mine = (word >> 16) == activeCpu;
    if (mine && op <= <u32>OP_FETCH && (word & ((FLAG_PHYSICAL | FLAG_HAS_PA) << 8)) == 0) {
      // A miss, a crossing, or a hit on an entry that was not its set's newest
      // (its TLB's rows then name it): the pending hits keep.
      let va = load<u64>(e);
      let last = lastByte(va, load<u32>(e, 16)) >> pageShift;
      accessPlainPages(select<Tlb>(l1i!, l1d!, op == OP_FETCH), op, va >> pageShift, last);
    } else if (mine && op == <u32>OP_PAGE_FAULT) {
      // Touches no TLB and no counter of the hits: they keep, and so do the rows.
      observeFault(load<u32>(e, 16));
    } else {
      if (pendingHits != 0) {
        addHits(pendingHits);
        pendingHits = 0;
      }
      runPlainEvent(e, word);
      loadHitRows();
    }
    e += EVENT_BYTES;
  }
  if (pendingHits != 0) {
    addHits(pendingHits);
    pendingHits = 0;
  }
}

/** Hits counted by countHits() and not yet handed over (runPlainSpan's). */
let pendingHits: u64 = 0;
/**
 * Where countHits() stopped at a one-page access of the active CPU that its
 * L1's row did not name: its op and page; else NO_ROW_MISS. That is op 3,
 * no access: an event of op 3 finds no row (NO_ROWS), so it leaves it too.
 */
const NO_ROW_MISS: u32 = OP_CR3;
let rowMissOp: u32 = NO_ROW_MISS;
let rowMissPage: u64 = 0;

/**
 * Counts the events from e on that hit their set's newest entry in their
 * L1 on the active CPU, up to the first that does not (or end), which it
 * returns. No call inside the loop, so that V8 keeps its values in registers.
 */
function countHits(e: usize, end: usize): usize {
  // Per op (read, write, fetch; none for 3), what the loop needs of its L1
  // in memory rather than in locals (so that V8 keeps the loop's values in
  // registers): HIT_ROWS.
  let hits = pendingHits;
  for (; e < end; e += EVENT_BYTES) {
    let word = load<u32>(e, 20); // op, flags, cpu
    let op = <usize>(word & 3) << 5;
    // Nonzero: another CPU, a physical address, or op 4 and up (op 3 finds no row).
    let other = (word & PLAIN_BITS) ^ load<u32>(op, HIT_ROWS + 24);
    let va = load<u64>(e);
    let shift = <u64>load<u32>(op, HIT_ROWS + 28);
    let page = va >> shift;
    // A size of 0 at a page's start leaves the loop: the slow path knows it.
    let crossing = ((va + <u64>load<u32>(e, 16) - 1) >> shift) ^ page;
    if ((other | <u32>crossing) != 0) break;
    let row = <usize>load<u32>(op, HIT_ROWS + 16) + (<usize>(page & load<u64>(op, HIT_ROWS)) << 4);
    if (load<u64>(row) != page) {
      rowMissPage = page;
      rowMissOp = <u32>op >> 5;
      break;
    }
    let count = <usize>load<u32>(op, HIT_ROWS + 20) + <usize>load<u32>(row, 8);
    store<u64>(count, load<u64>(count) + 1);
    hits += load<u64>(op, HIT_ROWS + 8);
  }
  pendingHits = hits;
  return e;
}

/**
 * countHits()' view of each op: u64 its L1's row mask, u64 one in `hits`,
 * u32 the L1's rows, u32 its first count of this op, u32 the active CPU's
 * bits, u32 the page shift; 32 bytes each.
 */
const HIT_ROWS = memory.data(4 * 32, 32);
/** An event's op, flags and cpu (bytes 20-23) with these bits equal to the active CPU's may be counted by countHits(). */
const PLAIN_BITS: u32 = 0xffff_0000 | ((FLAG_PHYSICAL | FLAG_HAS_PA) << 8) | 0xfc;
/** The rows of op 3, which is no access: one, naming no page. */
const NO_ROWS = memory.data<u64>([NO_TAG, 0]);

/** Sets countHits()' view of the active CPU's L1s. */
function loadHitRows(): void {
  let d = l1d!;
  let i = l1i!;
  setHitRow(0, d.rows, d.rowMask, d.counts, 1);
  setHitRow(1, d.rows, d.rowMask, d.counts + d.writeCount, <u64>1 << HIT_BITS);
  setHitRow(2, i.rows, i.rowMask, i.counts, <u64>1 << (2 * HIT_BITS));
  setHitRow(3, NO_ROWS, 0, 0, 0);
}

// @ts-ignore: decorator
@inline function setHitRow(op: usize, rows: usize, mask: u64, counts: usize, one: u64): void {
  let at = HIT_ROWS + (op << 5);
  store<u64>(at, mask);
  store<u64>(at, one, 8);
  store<u32>(at, <u32>rows, 16);
  store<u32>(at, <u32>counts, 20);
  store<u32>(at, activeCpu << 16, 24);
  store<u32>(at, <u32>pageShift, 28);
}

/** runPlain's events other than a plain access on the active CPU. */
function runPlainEvent(e: usize, word: u32): void {
  let cpu = word >> 16;
  if (cpu != activeCpu) switchCpu(cpu);
  let op = word & 0xff;
  let va = load<u64>(e);
  if (op <= <u32>OP_FETCH) {
    let flags = (word >> 8) & 0xff;
    if (flags & (FLAG_PHYSICAL | FLAG_HAS_PA)) {
      access(op, va, load<u32>(e, 16), flags, load<u64>(e, 8));
    } else {
      accessPlain(op, va, load<u32>(e, 16));
    }
  } else {
    control(op, va, e);
  }
}

/** A fault the trace reports (a [PAGE_FAULT] line), by its reason's id. */
export function observeFault(reason: u32): void {
  observedFaults++;
  countObservedFault(reason);
}

/** Whether the machine is plain (runPlain) and on CPU 0: a decoder may then hand it accesses itself (accessPlain). */
export function plainOnCpu0(): bool {
  return plainMachine() && activeCpu == 0;
}

/**
 * access() on the plain machine, for an access without a physical address.
 * Only the common case is inline: one page, its set's newest entry, known
 * by its row (no translatable check, no tag, no set scan). The rest is out
 * of line, so that the caller's loop keeps its registers.
 */
// @ts-ignore: decorator
@inline export function accessPlain(op: u32, va: u64, size: u32): void {
  let l1 = select<Tlb>(l1i!, l1d!, op == OP_FETCH);
  let first = va >> pageShift;
  let last = lastByte(va, size) >> pageShift;
  if (first == last && l1.hitRow(first, entryCount(l1, op))) {
    countAccess(op);
  } else {
    accessPlainPages(l1, op, first, last);
  }
}

/** accessPlain() past its shortcut: the one call an access makes, the miss path inline in it once. */
function accessPlainPages(l1: Tlb, op: u32, first: u64, last: u64): void {
  if (!currentUsed) firstAccessOfSpace();
  countAccess(op);
  if (last == first) {
    // Two copies of the miss path: the default machine's without the tests that its configuration answers.
    if (fastMisses) translatePlain(l1, first, op, KNOWN_FAST);
    else translatePlain(l1, first, op);
  } else {
    // A crossing: rare, so out of line, and the one-page case needs no loop.
    crossings++;
    translatePlainCall(l1, first, op);
    translatePlainCall(l1, last, op);
  }
}

function translatePlainCall(l1: Tlb, vpn: u64, op: u32): void {
  translatePlain(l1, vpn, op);
}

// @ts-ignore: decorator
@inline function control(op: u32, va: u64, e: usize): void {
  if (op == OP_CR3) {
    switchTo(va);
  } else if (op == OP_INVLPG) {
    invlpg(va);
  } else if (op == OP_FLUSH) {
    flushes++;
    flushAll();
  } else if (op == OP_PAGE_FAULT) {
    observeFault(load<u32>(e, 16));
  }
}

function runAny(batch: usize, end: usize): void {
  for (let e = batch; e < end; e += EVENT_BYTES) {
    let cpu = <u32>load<u16>(e, 22);
    if (cpu != activeCpu) switchCpu(cpu);
    let op = <i32>load<u8>(e, 20);
    let va = load<u64>(e);
    if (op <= OP_FETCH) {
      access(<u32>op, va, load<u32>(e, 16), <u32>load<u8>(e, 21), load<u64>(e, 8));
    } else {
      control(<u32>op, va, e);
    }
  }
}
