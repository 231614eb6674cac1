// Faults the guest observed ([PAGE_FAULT] lines), counted by reason. Reasons
// are interned by the decoders (an event carries 1 + the reason's index) and
// counted by the machine, so a converted trace keeps them.

import { REASON_CAPACITY, REASON_BYTES } from "../abi";

// Entry i: u32 length, then REASON_BYTES bytes of text.
const ENTRY_BYTES: usize = 4 + <usize>REASON_BYTES;
const reasonTable = memory.data(<i32>(ENTRY_BYTES * <usize>REASON_CAPACITY), 8);
// counts[0] unused, counts[1..CAPACITY] per reason, counts[CAPACITY + 1] "other".
const reasonCounts = memory.data((REASON_CAPACITY + 2) * 8, 8);
export let reasonCount: u32 = 0;

/** Reason id of id-less observed faults. */
export const OTHER_REASON: u32 = <u32>REASON_CAPACITY + 1;

let lastReason: u32 = 0; // the id the last call returned: runs of one reason are common

/** The id (1-based) of the reason text [p, p + n), interned if new. */
export function internReason(p: usize, n: usize): u32 {
  if (n > <usize>REASON_BYTES) n = <usize>REASON_BYTES;
  if (lastReason != 0 && isEntry(lastReason - 1, p, n)) return lastReason;
  for (let i: u32 = 0; i < reasonCount; i++) {
    if (isEntry(i, p, n)) return (lastReason = i + 1);
  }
  if (reasonCount == <u32>REASON_CAPACITY) return OTHER_REASON;
  let entry = reasonTable + <usize>reasonCount * ENTRY_BYTES;
  store<u32>(entry, <u32>n);
  memory.copy(entry + 4, p, n);
  return (lastReason = ++reasonCount);
}

/**
 * Whether entry i holds the text [p, p + n): eight bytes at a time (loads
 * need no alignment), the last eight overlapping the ones before.
 */
function isEntry(i: u32, p: usize, n: usize): bool {
  let entry = reasonTable + <usize>i * ENTRY_BYTES;
  if (<usize>load<u32>(entry) != n) return false;
  let q = entry + 4;
  if (n < 8) {
    for (let k: usize = 0; k < n; k++) if (load<u8>(p + k) != load<u8>(q + k)) return false;
    return true;
  }
  for (let k: usize = 0; k + 8 < n; k += 8) if (load<u64>(p + k) != load<u64>(q + k)) return false;
  return load<u64>(p + n - 8) == load<u64>(q + n - 8);
}

const UNKNOWN = memory.data<u8>([0x75, 0x6e, 0x6b, 0x6e, 0x6f, 0x77, 0x6e]); // "unknown"

export function unknownReason(): u32 {
  return internReason(UNKNOWN, 7);
}

export function countObservedFault(id: u32): void {
  if (id == 0) id = unknownReason();
  let slot = reasonCounts + (<usize>id << 3);
  store<u64>(slot, load<u64>(slot) + 1);
}

export function reasonTablePtr(): usize {
  return reasonTable;
}

export function reasonCountsPtr(): usize {
  return reasonCounts;
}
