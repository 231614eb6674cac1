// Interval snapshots (--interval N): the cumulative counters after every N
// records, taken when record N + 1 starts (records are counted here by the
// FLAG_RECORD_START of their first event), and once more at the end
// (intervalRows). The driver turns them into per-window deltas.

import { regrow } from "../grow";
import {
  FLAG_RECORD_START, INTERVAL_FIELDS, OP_READ, OP_WRITE, OP_FETCH,
  I_RECORDS, I_READS, I_WRITES, I_FETCHES, I_L1D_LOOKUPS, I_L1D_MISSES, I_L1I_LOOKUPS, I_L1I_MISSES,
  I_L2_LOOKUPS, I_L2_MISSES, I_WALKS, I_WALK_REFS, I_FAULTS_MINOR, I_FAULTS_MAJOR, I_FAULTS_NONCANONICAL,
} from "../abi";
import { levelTotal, accessCounts, nonCanonical } from "../machine/mmu";
import { walks, walkRefs, minorFaults, majorFaults } from "../machine/pagetable";

const ROW_BYTES: usize = <usize>INTERVAL_FIELDS * 8;

export let recordsSeen: u64 = 0;
/** Records after which the next snapshot is due; never without --interval. */
export let nextSnapshot: u64 = U64.MAX_VALUE;
let every: u64 = 0;
/** --interval is on: only then does the machine count record starts here (off the plain replay's path). */
export let intervalsOn = false;
let table: usize = 0;
let count: u32 = 0;
let capacity: u32 = 0;

export function setInterval(records: u64): void {
  every = records;
  intervalsOn = records != 0;
  nextSnapshot = records == 0 ? U64.MAX_VALUE : records;
}

/** Counts a record if `flags` starts one, after a snapshot when one is due. */
// @ts-ignore: decorator
@inline export function countRecordStart(flags: u32): void {
  let seen = recordsSeen + <u64>((flags & FLAG_RECORD_START) >> 3);
  if (seen > nextSnapshot) {
    takeSnapshot(nextSnapshot);
    nextSnapshot += every;
  }
  recordsSeen = seen;
}

function reserve(rows: u32): void {
  if (rows <= capacity) return;
  let grown = max<u32>(rows, max<u32>(capacity * 2, 256));
  table = regrow(table, <usize>count * ROW_BYTES, <usize>grown * ROW_BYTES);
  capacity = grown;
}

// @ts-ignore: decorator
@inline function put(row: usize, field: i32, value: u64): void {
  store<u64>(row + (<usize>field << 3), value);
}

/** Writes the counters as they stand into row `count` (without keeping it). */
function writeRow(records: u64): void {
  reserve(count + 1);
  let row = table + <usize>count * ROW_BYTES;
  put(row, I_RECORDS, records);
  put(row, I_READS, load<u64>(accessCounts, OP_READ * 8));
  put(row, I_WRITES, load<u64>(accessCounts, OP_WRITE * 8));
  put(row, I_FETCHES, load<u64>(accessCounts, OP_FETCH * 8));
  put(row, I_L1D_LOOKUPS, levelTotal(0, false));
  put(row, I_L1D_MISSES, levelTotal(0, true));
  put(row, I_L1I_LOOKUPS, levelTotal(1, false));
  put(row, I_L1I_MISSES, levelTotal(1, true));
  put(row, I_L2_LOOKUPS, levelTotal(2, false));
  put(row, I_L2_MISSES, levelTotal(2, true));
  put(row, I_WALKS, walks);
  put(row, I_WALK_REFS, walkRefs);
  put(row, I_FAULTS_MINOR, minorFaults);
  put(row, I_FAULTS_MAJOR, majorFaults);
  put(row, I_FAULTS_NONCANONICAL, nonCanonical);
}

function takeSnapshot(records: u64): void {
  writeRow(records);
  count++;
}

/**
 * The snapshots, and after them the end of the trace when records came since
 * the last one: returns how many rows intervalRowsPtr() holds.
 */
export function intervalRows(): u32 {
  let last: u64 = count == 0 ? 0 : load<u64>(table + <usize>(count - 1) * ROW_BYTES);
  if (every == 0 || recordsSeen == last) return count;
  writeRow(recordsSeen);
  return count + 1;
}

export function intervalRowsPtr(): usize {
  return table;
}
