// Where decoded events go: into the machine (replay), or into an output
// buffer that the driver writes to a .tlbt file (convert).

import { regrow } from "./grow";
import { MODE_REPLAY, MODE_SWEEP, MODE_CONVERT, EVENT_BYTES as EVENT_SIZE } from "./abi";
import { batchPtr, batchCount, setBatchCount, setBatchPtr, BATCH_CAPACITY } from "./records";
import { runBatch, plainOnCpu0, accessPlain } from "./machine/mmu";
import { runSweepBatch } from "./sweep/sweep";

const EVENT_BYTES: usize = <usize>EVENT_SIZE;

let mode: u32 = MODE_REPLAY;
export let output: usize = 0;
export let outputEvents: u64 = 0;
let outputCapacity: u64 = 0;

export function setMode(m: u32): void {
  mode = m;
  if (mode == MODE_CONVERT) placeBatch();
}

// Convert mode decodes straight into the output: the batch is the output's
// free end, so a delivered batch is in place already, and only moves on.
// Copying every event from the batch to the output cost the decoding worker
// of a two-thread replay a pass over all its events.

/** Puts the (empty) batch at the output's end, with room for a whole batch. */
function placeBatch(): void {
  reserve(outputEvents + <u64>BATCH_CAPACITY);
  setBatchPtr(output + <usize>(outputEvents * <u64>EVENT_BYTES));
}

function reserve(events: u64): void {
  if (events <= outputCapacity) return;
  let capacity = max<u64>(events, max<u64>(outputCapacity * 2, 65536));
  output = regrow(output, <usize>(outputEvents * <u64>EVENT_BYTES), <usize>(capacity * <u64>EVENT_BYTES));
  outputCapacity = capacity;
}

function append(events: usize, count: i32): void {
  if (events != batchPtr) {
    // Events from elsewhere (a .tlbt input's) follow the batch's.
    if (batchCount != 0) flushBatch();
    reserve(outputEvents + <u64>count + <u64>BATCH_CAPACITY); // and the batch's room after them
    memory.copy(output + <usize>(outputEvents * <u64>EVENT_BYTES), events, <usize>count * EVENT_BYTES);
  }
  outputEvents += <u64>count;
  placeBatch();
}

/** Hands `count` events at `events` on, without copying them when replaying. */
export function deliver(events: usize, count: i32): void {
  if (count == 0) return;
  if (mode == MODE_REPLAY) runBatch(events, count);
  else if (mode == MODE_SWEEP) runSweepBatch(events, count);
  else append(events, count);
}

export function flushBatch(): void {
  deliver(batchPtr, batchCount);
  setBatchCount(0);
}

/** The driver has written the output buffer out (the batch is empty: it was delivered). */
export function clearOutput(): void {
  outputEvents = 0;
  if (mode == MODE_CONVERT) placeBatch();
}

/**
 * Whether a decoder's fast loop may hand its plain accesses (no physical
 * address, CPU 0) straight to the machine with deliverAccess, rather than
 * through the batch: when replaying on the plain machine. The batch is
 * delivered first, so events stay in order; the decoder must ask again
 * after it emits any event.
 */
export function directAccesses(): bool {
  if (mode != MODE_REPLAY) return false;
  if (batchCount != 0) flushBatch();
  return plainOnCpu0();
}

// @ts-ignore: decorator
@inline export function deliverAccess(op: u32, va: u64, size: u32): void {
  accessPlain(op, va, size);
}
