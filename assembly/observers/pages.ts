// Per-virtual-page counts: reads, writes and fetches per (address space,
// virtual page, frame), for the VPN heatmap and the PFN -> VPN map of the
// reports. Like the per-PFN counts they arrive in batches from the L1 TLBs'
// entries (at eviction, invalidation, flush and read-out), keyed by the
// entry's tag (space and VPN bits) and frame. A page that gets another frame
// (after an eviction, once memory can be limited) is a second row, so the
// key carries the frame too. Open addressing, linear probing; a row is
// 5 u64: tag, pfn + 1 (0: empty), then the PFN_COLUMNS counts.

import { PFN_COLUMNS, PAGE_ROW_FIELDS, SPACE_ROW_FIELDS } from "../abi";
import { vpnBits } from "../machine/pagetable";
import { spaceNames, accessOrder, ownerTag, ownerSpace, hugeShift } from "../machine/mmu";

const SLOT_BYTES: usize = (2 + <usize>PFN_COLUMNS) * 8;

/** Off unless the driver asks (trackPages): the reports that need it turn it on. */
export let tracking = false;
let table: usize = 0;
let capacity: u32 = 0;
let size: u32 = 0;
let rows: usize = 0;
let spaces: usize = 0;

export function setTracking(on: bool): void {
  tracking = on;
}

function slotFor(base: usize, mask: u32, tag: u64, key: u64): usize {
  let i = <u32>(((tag ^ (key * 0xff51afd7ed558ccd)) * 0x9e3779b97f4a7c15) >> 32) & mask;
  while (true) {
    let slot = base + <usize>i * SLOT_BYTES;
    let k = load<u64>(slot, 8);
    if (k == 0 || (k == key && load<u64>(slot) == tag)) return slot;
    i = (i + 1) & mask;
  }
  return 0;
}

function grow(): void {
  let old = table;
  let oldCapacity = capacity;
  capacity = capacity == 0 ? 1024 : capacity * 2;
  table = heap.alloc(<usize>capacity * SLOT_BYTES);
  memory.fill(table, 0, <usize>capacity * SLOT_BYTES);
  for (let i: u32 = 0; i < oldCapacity; i++) {
    let from = old + <usize>i * SLOT_BYTES;
    let key = load<u64>(from, 8);
    if (key == 0) continue;
    memory.copy(slotFor(table, capacity - 1, load<u64>(from), key), from, SLOT_BYTES);
  }
  if (old != 0) heap.free(old);
}

/** Adds n counts of kind `column` and w of kind `column + 1` to (tag, pfn). */
export function addPageCounts(entryTag: u64, pfn: u64, column: u32, n: u64, w: u64): void {
  if ((size + 1) * 2 > capacity) grow();
  let tag = ownerTag(entryTag);
  let key = pfn + 1;
  let slot = slotFor(table, capacity - 1, tag, key);
  if (load<u64>(slot, 8) == 0) {
    store<u64>(slot, tag);
    store<u64>(slot, key, 8);
    size++;
  }
  let counts = slot + 16 + (<usize>column << 3);
  store<u64>(counts, load<u64>(counts) + n);
  if (w != 0) store<u64>(counts, load<u64>(counts, 8) + w, 8);
}

/** Where each space id stands in the order of first access (-1: never accessed). */
function spaceOrders(): Array<i32> {
  let order = new Array<i32>(0);
  for (let k = 0; k < accessOrder.length; k++) {
    let id = <i32>accessOrder[k];
    while (order.length <= id) order.push(-1);
    order[id] = k;
  }
  return order;
}

/**
 * Writes the page rows (PAGE_ROW_FIELDS u64 each; the VPN sign-extended back
 * to the 52 bits of va >> 12) and returns how many; read them at pageRowsPtr().
 * Complete only after the L1s were drained (counters()).
 */
export function pageRows(): u32 {
  let order = spaceOrders();
  if (rows != 0) heap.free(rows);
  rows = heap.alloc(<usize>max<u32>(size, 1) * PAGE_ROW_FIELDS * 8);
  let mask: u64 = (<u64>1 << vpnBits) - 1;
  // 64-bit modes keep the low vpnBits of a canonical VPN; its top bit tells the rest.
  let signed = vpnBits > 20;
  let high: u64 = ((<u64>1 << 52) - 1) & ~mask;
  let out = rows;
  for (let i: u32 = 0; i < capacity; i++) {
    let slot = table + <usize>i * SLOT_BYTES;
    let key = load<u64>(slot, 8);
    if (key == 0) continue;
    let tag = load<u64>(slot);
    // A huge page's row names its first 4 KiB page.
    let vpn = ((tag & mask) << hugeShift) & mask;
    if (signed && (vpn >> (vpnBits - 1)) != 0) vpn |= high;
    let id = ownerSpace(tag >> vpnBits);
    store<u64>(out, <u64>(id >= 0 && id < <i64>order.length ? order[<i32>id] : -1));
    store<u64>(out, vpn, 8);
    store<u64>(out, key - 1, 16);
    memory.copy(out + 24, slot + 16, <usize>PFN_COLUMNS * 8);
    out += PAGE_ROW_FIELDS * 8;
  }
  return size;
}

export function pageRowsPtr(): usize {
  return rows;
}

/** Writes one row per accessed space (SPACE_ROW_FIELDS u64 each) and returns how many. */
export function spaceRows(): u32 {
  let order = spaceOrders();
  let count = accessOrder.length;
  if (spaces != 0) heap.free(spaces);
  spaces = heap.alloc(<usize>max<i32>(count, 1) * SPACE_ROW_FIELDS * 8);
  memory.fill(spaces, 0, <usize>max<i32>(count, 1) * SPACE_ROW_FIELDS * 8);
  for (let k = 0; k < count; k++) store<u64>(spaces + <usize>k * SPACE_ROW_FIELDS * 8, <u64>k);
  let ids = spaceNames.ids;
  let names = ids.keys();
  for (let j = 0; j < names.length; j++) {
    let id = <i32>ids.get(names[j]);
    if (id >= order.length || order[id] < 0) continue;
    let row = spaces + <usize>order[id] * SPACE_ROW_FIELDS * 8;
    store<u64>(row, 1, 8);
    store<u64>(row, names[j], 16);
  }
  return <u32>count;
}

export function spaceRowsPtr(): usize {
  return spaces;
}
