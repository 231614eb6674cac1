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

function valid(e: usize): bool {
  let op = <u32>load<u8>(e, 20);
  let flags = <u32>load<u8>(e, 21);
  if (op > <u32>OP_PAGE_FAULT || (flags & ~<u32>FLAGS_KNOWN) != 0) return false;
  // A page fault's reason id: the reason table comes after the events, so
  // only its range is checked here.
  return op != <u32>OP_PAGE_FAULT || load<u32>(e, 16) <= <u32>REASON_CAPACITY + 1;
}

/**
 * Checks and delivers the whole events of [p, end); a bad event is reported
 * (its "line" is its 1-based index) and skipped. Returns the end of the last
 * whole event; returns 0 to stop when `strict` met a bad event.
 */
export function decodeEvents(p: usize, end: usize, strict: bool): usize {
  let run = p;
  let records: u64 = 0;
  let stop = p + (end - p) / EVENT_BYTES * EVENT_BYTES;
  for (let e = p; e < stop; e += EVENT_BYTES) {
    eventsRead++;
    if (valid(e)) {
      if (load<u8>(e, 21) & FLAG_RECORD_START) records++;
      continue;
    }
    deliver(run, <i32>((e - run) / EVENT_BYTES));
    reportBad(eventsRead, e, e + EVENT_BYTES, BAD_EVENT);
    run = e + EVENT_BYTES;
    if (strict) {
      countRecords(records);
      return 0;
    }
  }
  deliver(run, <i32>((stop - run) / EVENT_BYTES));
  countRecords(records);
  return stop;
}
