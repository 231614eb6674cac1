// x86-64 four-level page tables (PML4 -> PDPT -> PD -> PT, 9 index bits per
// level), one radix tree per address space, kept as real 512-entry nodes so
// that page-walk caches and huge pages can walk the same structure.
//
// An entry is a u32: 0 when not present, else the child node (upper levels)
// or the data frame's PFN (the PT). Four bytes rather than a real PTE's eight
// halve the cache lines a walk misses on; PTE bits, when the model needs
// them, belong in a parallel array that only faults and fills read.

import { allocDataFrame, allocTableFrame } from "./frames";

export const LEVELS: u32 = 4;
const ENTRIES_PER_NODE: usize = 512;
const NODE_BYTES: usize = ENTRIES_PER_NODE * 4;

let nodes: usize = 0;       // the node pool; node 0 is unused so 0 means "none"
let nodeCount: u32 = 1;
let nodeCapacity: u32 = 0;
let roots: usize = 0;       // u32 root node per address space, 0 until its first walk
let rootCapacity: u32 = 0;

export let walks: u64 = 0;
export let walkRefs: u64 = 0;
export let minorFaults: u64 = 0;

function newNode(): u32 {
  if (nodeCount >= nodeCapacity) {
    let capacity = nodeCapacity == 0 ? 64 : nodeCapacity * 2;
    let grown = heap.alloc(<usize>capacity * NODE_BYTES);
    if (nodes != 0) {
      memory.copy(grown, nodes, <usize>nodeCount * NODE_BYTES);
      heap.free(nodes);
    }
    nodes = grown;
    nodeCapacity = capacity;
  }
  let node = nodeCount++;
  memory.fill(nodes + <usize>node * NODE_BYTES, 0, NODE_BYTES);
  allocTableFrame();
  return node;
}

function rootOf(asid: u32): u32 {
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
  return nodes + <usize>node * NODE_BYTES + ((<usize>(vpn >> (9 * level)) & 511) << 2);
}

/**
 * Walks asid's tables for vpn and returns the data frame. A page that is not
 * mapped is a minor fault: the missing tables are allocated top-down, then
 * the data frame, and the walk completes.
 */
export function walk(asid: u32, vpn: u64): u64 {
  walks++;
  walkRefs += LEVELS;
  let node = rootOf(asid);
  for (let level: u32 = LEVELS - 1; level > 0; level--) {
    let child = load<u32>(slotOf(node, vpn, level));
    if (child == 0) {
      child = newNode(); // may move the pool, so the slot is taken again
      store<u32>(slotOf(node, vpn, level), child);
    }
    node = child;
  }
  let pte = slotOf(node, vpn, 0);
  let pfn = load<u32>(pte);
  if (pfn != 0) return <u64>pfn;
  minorFaults++;
  let frame = allocDataFrame();
  store<u32>(pte, <u32>frame);
  return frame;
}
