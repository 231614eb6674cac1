// x86-64 four-level page tables (PML4 -> PDPT -> PD -> PT, 9 index bits per
// level), one radix tree per address space, kept as real 512-entry nodes so
// that later page-walk caches and huge pages walk the same structure.
//
// A node entry is (index << 12) | PRESENT, where index is the child node for
// upper levels and the data frame's PFN in the PT, as a real PTE holds a PFN.

import { allocDataFrame, allocTableFrame } from "./frames";

export const LEVELS: u32 = 4;
const ENTRIES_PER_NODE: usize = 512;
const NODE_BYTES: usize = ENTRIES_PER_NODE * 8;
const PRESENT: u64 = 1;

let nodes: usize = 0;       // the node pool; node 0 is unused so 0 means "none"
let nodeCount: u32 = 1;
let nodeCapacity: u32 = 0;
let roots: usize = 0;       // u32 root node per address space
let rootCapacity: u32 = 0;

export let walks: u64 = 0;
export let walkRefs: u64 = 0;
export let minorFaults: u64 = 0;

function newNode(): u32 {
  if (nodeCount >= nodeCapacity) {
    let capacity = nodeCapacity == 0 ? 64 : nodeCapacity * 2;
    let grown = heap.alloc(<usize>capacity * NODE_BYTES);
    if (nodes != 0) memory.copy(grown, nodes, <usize>nodeCount * NODE_BYTES);
    if (nodes != 0) heap.free(nodes);
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
  return nodes + <usize>node * NODE_BYTES + ((<usize>(vpn >> (9 * level)) & 511) << 3);
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
    let entry = load<u64>(slotOf(node, vpn, level));
    if (entry & PRESENT) {
      node = <u32>(entry >> 12);
    } else {
      let child = newNode(); // may move the pool, so the slot is taken again
      store<u64>(slotOf(node, vpn, level), (<u64>child << 12) | PRESENT);
      node = child;
    }
  }
  let pte = slotOf(node, vpn, 0);
  let entry = load<u64>(pte);
  if (entry & PRESENT) return entry >> 12;
  minorFaults++;
  let pfn = allocDataFrame();
  store<u64>(pte, (pfn << 12) | PRESENT);
  return pfn;
}
