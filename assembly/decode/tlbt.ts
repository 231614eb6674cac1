// tlbscope's binary replay format (docs/formats.md): the window holds whole
// 24-byte events, already in the batch layout, so after a check they go to the
// machine where they lie, without a copy.

import {
  OP_PAGE_FAULT, FLAG_RECORD_START, FLAGS_KNOWN, BAD_EVENT, REASON_CAPACITY, EVENT_BYTES as EVENT_SIZE,
} from "../abi";
import { countRecords } from "../records";
import { deliver } from "../dispatch";
import { reportBad } from "../badlines";

const EVENT_BYTES: usize = <usize>EVENT_SIZE;

export let eventsRead: u64 = 0;

/** Whether the event at e is well formed; `word` is its op and flags (bytes 20, 21). */
// @ts-ignore: decorator
@inline function valid(e: usize, word: u32): bool {
  if (((word >> 8) & ~<u32>FLAGS_KNOWN) != 0) return false;
  let op = word & 0xff;
  if (op < <u32>OP_PAGE_FAULT) return true;
  // A page fault's reason id: the reason table comes after the events, so
  // only its range is checked here.
  return op == <u32>OP_PAGE_FAULT && load<u32>(e, 16) <= <u32>REASON_CAPACITY + 1;
}

/** The op and the unknown flags: below OP_PAGE_FAULT, an event is valid. */
const USUAL_BITS: u32 = 0xff | ((~<u32>FLAGS_KNOWN & 0xff) << 8);
const RECORD_START_BIT: u32 = 8 + <u32>ctz(FLAG_RECORD_START);
const RECORD_START: u32 = <u32>FLAG_RECORD_START << 8;

/** Negative (as i32) when the event's op and flags (`word`) are usual. */
// @ts-ignore: decorator
@inline function usualLess(word: u32): u32 {
  return (word & USUAL_BITS) - <u32>OP_PAGE_FAULT;
}

// Events are checked and delivered a slice at a time, so that the machine
// reads them while they are still in the cache.
const SLICE_BYTES: usize = 1024 * EVENT_BYTES;

/**
 * Checks and delivers the whole events of [p, end); a bad event is reported
 * (its "line" is its 1-based index) and skipped. Returns the end of the last
 * whole event; returns 0 to stop when `strict` met a bad event.
 */
export function decodeEvents(p: usize, end: usize, strict: bool): usize {
  let stop = p + (end - p) / EVENT_BYTES * EVENT_BYTES;
  let before = eventsRead;
  let records: u64 = 0;
  let e = p;
  while (e < stop) {
    let run = e;
    let sliceEnd = min<usize>(e + SLICE_BYTES, stop);
    while (e < sliceEnd) {
      // Four at a time while all are usual: an access or a control event with
      // known flags, below OP_PAGE_FAULT once masked (so minus it, negative).
      while (e + 4 * EVENT_BYTES <= sliceEnd) {
        let w0 = <u32>load<u16>(e, 20);
        let w1 = <u32>load<u16>(e, 20 + EVENT_BYTES);
        let w2 = <u32>load<u16>(e, 20 + 2 * EVENT_BYTES);
        let w3 = <u32>load<u16>(e, 20 + 3 * EVENT_BYTES);
        let usual = usualLess(w0) & usualLess(w1) & usualLess(w2) & usualLess(w3);
        if (<i32>usual >= 0) break;
        records += ((w0 & RECORD_START) + (w1 & RECORD_START) + (w2 & RECORD_START) + (w3 & RECORD_START)) >> RECORD_START_BIT;
        e += 4 * EVENT_BYTES;
      }
      if (e >= sliceEnd) break;
      let word = <u32>load<u16>(e, 20);
      if ((word & USUAL_BITS) >= <u32>OP_PAGE_FAULT) {
        if (!valid(e, word)) break;
      }
      records += (word >> RECORD_START_BIT) & 1;
      e += EVENT_BYTES;
    }
    deliver(run, <i32>((e - run) / EVENT_BYTES));
    if (e < sliceEnd) {
      eventsRead = before + <u64>((e - p) / EVENT_BYTES) + 1;
      reportBad(eventsRead, e, e + EVENT_BYTES, BAD_EVENT);
      e += EVENT_BYTES;
      if (strict) {
        countRecords(records);
        return 0;
      }
    }
  }
  eventsRead = before + <u64>((stop - p) / EVENT_BYTES);
  countRecords(records);
  return stop;
}
