// Radix page tables, one tree per address space, in the paging mode's shape
// (x86-32 2 levels of 10 bits, PAE 2+9+9, x86-64 4x9, LA57 5x9), kept as real
// nodes so that page-walk caches and huge pages can walk the same structure.
// A node has room for the widest level (1024 entries in x86-32, else 512).
//
// An entry is a u32: 0 when not present, EVICTED for a page given up under
// memory pressure, else the child node (upper levels) or the data frame's
// PFN (the leaf level: the PT, or the PD/PDPT for huge pages). Four bytes rather than a real PTE's eight
// halve the cache lines a walk misses on; PTE bits, when the model needs
// them, belong in a parallel array that only faults and fills read.

import { regrow } from "../grow";
import { allocDataFrame, allocTableFrame, noteLinearFrame } from "./frames";
import { linearFrame } from "./layout";
import { probePwc, fillPwc, pwcLevels } from "./pwc";
import { PAGING_X86_32, PAGING_PAE, PAGING_LA57 } from "../abi";

export let levels: u32 = 4;
/** A leaf entry of an evicted page; no frame has PFN 1 (frames start at FIRST_PFN). */
const EVICTED: u32 = 1;
let nodeBytes: usize = 512 * 4;
// Per level (0 = the PT): where its index starts in the VPN, and its mask.
const shifts = memory.data(5 * 4, 4);
const masks = memory.data(5 * 4, 4);
// A page is translatable when vpn >> topShift is 0 or topOnes.
let topShift: u64 = 35;
let topOnes: u64 = 0x1ffff;
/** VPN bits a translatable page can have: the width of a TLB tag's VPN. */
export let vpnBits: u64 = 36;

export function configurePaging(mode: u32): void {
  let bits: u32 = 9;
  if (mode == <u32>PAGING_X86_32) {
    levels = 2;
    bits = 10;
  } else if (mode == <u32>PAGING_PAE) {
    levels = 3;
  } else {
    levels = mode == <u32>PAGING_LA57 ? 5 : 4;
  }
  for (let level: u32 = 0; level < levels; level++) {
    store<u32>(shifts + (<usize>level << 2), level * bits);
    store<u32>(masks + (<usize>level << 2), (1 << bits) - 1);
  }
  if (mode == <u32>PAGING_PAE) store<u32>(masks + 8, 3); // the PDPT: address bits 31-30
  nodeBytes = (<usize>1 << bits) * 4;
  vpnBits = mode <= <u32>PAGING_PAE ? 20 : mode == <u32>PAGING_LA57 ? 45 : 36;
  topShift = mode <= <u32>PAGING_PAE ? 20 : vpnBits - 1;
  // No VPN has bits 63-52 set, so the 32-bit modes accept only top == 0.
  topOnes = mode <= <u32>PAGING_PAE ? 0xffff_ffff_ffff_ffff : (<u64>1 << (52 - topShift)) - 1;
}

/** translatable() of a 4 KiB page in x86-64's four levels: its 36-bit VPN sign-extended to bit 51. */
// @ts-ignore: decorator
@inline export function translatable4k(vpn: u64): bool {
  return (((vpn >> 35) + 1) & 0x1ffff) <= 1;
}

/** Whether the mode can translate this page (canonical, or below 4 GiB). */
// @ts-ignore: decorator
@inline export function translatable(vpn: u64): bool {
  let top = vpn >> topShift;
  return top == 0 || top == topOnes;
}

let nodes: usize = 0;       // the node pool; node 0 is unused so 0 means "none"
let nodeCount: u32 = 1;
let nodeCapacity: u32 = 0;
let roots: usize = 0;       // u32 root node per address space, 0 until its first translation
let rootCapacity: u32 = 0;
/** The tree of the kernel half, shared by every address space (a kernel layout's). */
export const KERNEL_TREE: u32 = 0xffff_ffff;
let kernelRoot: u32 = 0;

export let walks: u64 = 0;
export let walkRefs: u64 = 0;
export let minorFaults: u64 = 0;
export let majorFaults: u64 = 0;

function newNode(): u32 {
  if (nodeCount >= nodeCapacity) {
    let capacity = nodeCapacity == 0 ? 64 : nodeCapacity * 2;
    nodes = regrow(nodes, <usize>nodeCount * nodeBytes, <usize>capacity * nodeBytes);
    nodeCapacity = capacity;
  }
  let node = nodeCount++;
  memory.fill(nodes + <usize>node * nodeBytes, 0, nodeBytes);
  allocTableFrame();
  return node;
}

function rootOf(asid: u32): u32 {
  if (asid == KERNEL_TREE) {
    if (kernelRoot == 0) kernelRoot = newNode();
    return kernelRoot;
  }
  if (asid >= rootCapacity) {
    let capacity = max<u32>(asid + 1, rootCapacity * 2);
    let grown = heap.alloc(<usize>capacity * 4);
    memory.fill(grown, 0, <usize>capacity * 4);
    if (roots != 0) {
      memory.copy(grown, roots, <usize>rootCapacity * 4);
      heap.free(roots);
    }
    roots = grown;
    rootCapacity = capacity;
  }
  let slot = roots + (<usize>asid << 2);
  let root = load<u32>(slot);
  if (root == 0) {
    root = newNode();
    store<u32>(slot, root);
  }
  return root;
}

// @ts-ignore: decorator
@inline function slotOf(node: u32, vpn: u64, level: u32): usize {
  let at = <usize>level << 2;
  let index = <usize>(vpn >> load<u32>(shifts + at)) & <usize>load<u32>(masks + at);
  return nodes + <usize>node * nodeBytes + (index << 2);
}

/** An address space's root on its first translation; under KPTI, then its user table's root. */
export function ensureRoot(asid: u32, kpti: bool): void {
  rootOf(asid);
  if (kpti) allocTableFrame(); // shares the user half's tables: a frame, no node
}

/** The level whose entries map pages of 2^pageShift bytes: 0 (PT) for 4 KiB, 1 (PD) for 2M/4M, 2 (PDPT) for 1G. */
// @ts-ignore: decorator
@inline function leafOf(pageShift: u64): u32 {
  return pageShift == 12 ? 0 : pageShift == 30 ? 2 : 1;
}

/**
 * Walks asid's tables for the page of 2^pageShift bytes holding 4 KiB page
 * vpn (the driver checks that the mode maps that size) and returns its data
 * frame. A page that is not mapped is a minor fault (a major one if it was
 * evicted): the missing tables are allocated top-down, then the data frames,
 * and the walk completes. Page-walk caches decide how many entries the walk
 * reads.
 */
export function walk(asid: u32, vpn: u64, keySpace: u64, pageShift: u64): u64 {
  walks++;
  let leaf = leafOf(pageShift);
  let hit: u32 = 0;
  if (pwcLevels() != 0) {
    // Each upper level's key: the address space and the bits that select its entry.
    let significant = vpn & ((<u64>1 << vpnBits) - 1);
    for (let k: u32 = 1; k < levels; k++) {
      store<u64>(pwcKeys + (<usize>(k - 1) << 3), (significant >> load<u32>(shifts + (<usize>k << 2))) | (keySpace << vpnBits));
    }
    hit = probePwc(pwcKeys, leaf);
  }
  walkRefs += (hit != 0 ? hit : levels) - leaf;
  // A linear page is mapped from boot: no tables of ours, no fault.
  let linear = asid == KERNEL_TREE ? linearFrame(vpn << 12) : -1;
  let pfn = linear >= 0 ? noteLinearFrame(<u64>linear) : descend(asid, vpn, leaf, <u64>1 << (pageShift - 12));
  if (pwcLevels() != 0) fillPwc(pwcKeys, hit != 0 ? hit : levels, leaf);
  return pfn;
}

const pwcKeys = memory.data(4 * 8, 8);

/**
 * walk() for a process's 4 KiB page in x86-64's four levels without
 * page-walk caches (the default machine): the shifts and the node size are
 * constants, so a walk of mapped tables is four loads. A missing page whose
 * tables are there is mapped at once (mapPage); a missing table takes
 * descend(), which allocates the tables and the page from the root.
 */
export function walk4k(asid: u32, vpn: u64): u64 {
  if (!fourLevelsUncached() || asid == KERNEL_TREE) return walk(asid, vpn, <u64>asid, 12);
  return walk4kBody(asid, vpn);
}

/** x86-64's four levels without page-walk caches: a process's 4 KiB pages may take walk4kPlain(). */
export function fourLevelsUncached(): bool {
  return levels == 4 && pwcLevels() == 0;
}

/** walk4k() for a caller that knows its conditions hold (a process's page, fourLevelsUncached()). */
export function walk4kPlain(asid: u32, vpn: u64): u64 {
  return walk4kBody(asid, vpn);
}

// @ts-ignore: decorator
@inline function walk4kBody(asid: u32, vpn: u64): u64 {
  walks++;
  walkRefs += 4;
  let node = asid < rootCapacity ? load<u32>(roots + (<usize>asid << 2)) : 0;
  if (node != 0) node = load<u32>(entryOf4k(node, vpn >> 27));
  if (node != 0) node = load<u32>(entryOf4k(node, vpn >> 18));
  if (node != 0) node = load<u32>(entryOf4k(node, vpn >> 9));
  if (node != 0) {
    let pfn = load<u32>(entryOf4k(node, vpn));
    if (pfn > EVICTED) return <u64>pfn;
    // Only the page is missing (most faults): its tables are there, no need to walk them again.
    return mapPage(asid, vpn, node, 0, 1, pfn);
  }
  return descend(asid, vpn, 0, 1);
}

/** slotOf() in x86-64 paging: 512 entries of 4 bytes per node; `bits`' low 9 are the index. */
// @ts-ignore: decorator
@inline function entryOf4k(node: u32, bits: u64): usize {
  return nodes + (<usize>node << 11) + ((<usize>bits & 511) << 2);
}

/** `frames`: the 4 KiB frames of a data page mapped at level `leaf`. */
function descend(asid: u32, vpn: u64, leaf: u32, frames: u64): u64 {
  let node = rootOf(asid);
  for (let level: u32 = levels - 1; level > leaf; level--) {
    let child = load<u32>(slotOf(node, vpn, level));
    if (child == 0) {
      child = newNode(); // may move the pool, so the slot is taken again
      store<u32>(slotOf(node, vpn, level), child);
    }
    node = child;
  }
  let pfn = load<u32>(slotOf(node, vpn, leaf));
  if (pfn > EVICTED) return <u64>pfn;
  return mapPage(asid, vpn, node, leaf, frames, pfn);
}

/** The fault of a data page whose entry in `node` (at level `leaf`) is `entry`: 0, or EVICTED (a major fault). */
function mapPage(asid: u32, vpn: u64, node: u32, leaf: u32, frames: u64, entry: u32): u64 {
  if (entry == EVICTED) majorFaults++;
  else minorFaults++;
  // Taking a frame may evict a page (never a table), so the node stays put.
  let frame = allocDataFrame(asid, vpn, frames);
  store<u32>(slotOf(node, vpn, leaf), <u32>frame);
  return frame;
}

/** Marks the evicted 4 KiB page (asid, vpn) not present; its tables stay (eviction needs 4 KiB pages). */
export function unmapEvicted(asid: u32, vpn: u64): void {
  let leaf: u32 = 0;
  let node = asid == KERNEL_TREE ? kernelRoot : load<u32>(roots + (<usize>asid << 2));
  for (let level: u32 = levels - 1; level > leaf; level--) node = load<u32>(slotOf(node, vpn, level));
  store<u32>(slotOf(node, vpn, leaf), EVICTED);
}
