// The input window and line framing: the driver reads raw bytes into the
// window, feed() decodes every complete line in place and carries a partial
// last line over to the window's start for the next read. The binary format
// is framed in whole events instead.

import {
  FORMAT_MEM, FORMAT_LACKEY, FORMAT_EXECLOG, FORMAT_MEMCSV, FORMAT_DIN, FORMAT_PIN, FORMAT_TLBT,
  BAD_TOO_LONG, BAD_TRUNCATED, FEED_STOPPED,
} from "./abi";
import { decodeMem, memLines } from "./decode/mem";
import { decodeLackey, lackeyLines } from "./decode/lackey";
import { decodeExeclog } from "./decode/execlog";
import { decodeMemcsv } from "./decode/memcsv";
import { decodeDin } from "./decode/din";
import { decodePin } from "./decode/pin";
import { decodeEvents, eventsRead } from "./decode/tlbt";
import { LINE_SKIPPED, LINE_IGNORED, findNewline, trimEnd } from "./decode/lines";
import { batchCount, setBatchCount, BATCH_CAPACITY, fastLines } from "./records";
import { flushBatch } from "./dispatch";
import { reportBad } from "./badlines";

/** Readable bytes past the window, so decoders may load words past a line's end. */
const SLACK: usize = 64;
const PAGE: usize = 65536;

export let windowPtr: usize = 0;
export let windowSize: u32 = 0;
let format: u32 = FORMAT_MEM;
let strict = false;

export let lines: u64 = 0;
export let ignoredLines: u64 = 0;
let skipping = false;   // inside an overlong line, already reported

export function initInput(strictMode: bool, window: u32): void {
  strict = strictMode;
  windowSize = window;
  // Page-aligned: reads into a misaligned window measured 4-5x slower.
  let raw = heap.alloc(<usize>window + SLACK + PAGE);
  windowPtr = (raw + PAGE - 1) & ~(PAGE - 1);
}

/** The format of the input that follows (a replay may join several inputs). */
export function setFormat(fmt: u32): void {
  format = fmt;
  skipping = false;
}

/** Decodes one line [p, end) (without its newline); returns false to stop. */
function decodeLine(p: usize, end: usize): bool {
  end = trimEnd(p, end);
  if (end == p) return true;
  // Room for every event the line could emit (at least 8 bytes each), so a
  // bad line can be taken back by resetting the batch count.
  let room = <i32>((end - p) >> 3) + 2;
  if (room > BATCH_CAPACITY) {
    reportBad(lines, p, end, BAD_TOO_LONG);
    return !strict;
  }
  if (batchCount + room > BATCH_CAPACITY) flushBatch();
  let mark = batchCount;
  let reason: u32;
  if (format == FORMAT_MEM) reason = decodeMem(p, end);
  else if (format == FORMAT_LACKEY) reason = decodeLackey(p, end);
  else if (format == FORMAT_EXECLOG) reason = decodeExeclog(p, end);
  else if (format == FORMAT_MEMCSV) reason = decodeMemcsv(p, end);
  else if (format == FORMAT_DIN) reason = decodeDin(p, end);
  else reason = decodePin(p, end);
  if (reason == 0 || reason == LINE_SKIPPED) return true;
  if (reason == LINE_IGNORED) {
    ignoredLines++;
    return true;
  }
  setBatchCount(mark);
  reportBad(lines, p, end, reason);
  return !strict;
}

function feedLines(len: u32, eof: bool): i32 {
  let p = windowPtr;
  let end = windowPtr + <usize>len;
  while (p < end) {
    if (!skipping && (format == FORMAT_MEM || format == FORMAT_LACKEY)) {
      // Most lines take a decoder's fast loop, which needs no newline search.
      let next = format == FORMAT_MEM ? memLines(p, end) : lackeyLines(p, end);
      lines += fastLines;
      if (next != p) {
        p = next;
        if (batchCount >= BATCH_CAPACITY - 2) flushBatch();
        continue;
      }
    }
    let nl = findNewline(p, end);
    if (nl == end && !eof) break;
    if (skipping) {
      skipping = false;
    } else {
      lines++;
      if (!decodeLine(p, nl)) {
        flushBatch();
        return FEED_STOPPED;
      }
    }
    p = nl + 1;
  }
  flushBatch();
  if (p >= end) return 0;
  let carry = end - p;
  if (carry == <usize>windowSize) {
    // No newline in a whole window: report the line once, then skip to its end.
    if (!skipping) {
      lines++;
      reportBad(lines, p, end, BAD_TOO_LONG);
      skipping = true;
      if (strict) return FEED_STOPPED;
    }
    return 0;
  }
  memory.copy(windowPtr, p, carry);
  return <i32>carry;
}

function feedEvents(len: u32, eof: bool): i32 {
  let end = windowPtr + <usize>len;
  let stop = decodeEvents(windowPtr, end, strict);
  if (stop == 0) return FEED_STOPPED;
  let carry = end - stop;
  if (eof && carry != 0) {
    reportBad(eventsRead + 1, stop, end, BAD_TRUNCATED);
    return strict ? FEED_STOPPED : 0;
  }
  memory.copy(windowPtr, stop, carry);
  return <i32>carry;
}

/**
 * Decodes every complete line (or event) of the first `len` bytes of the
 * window, all of them at end of input. Returns how many bytes of a partial
 * last line were moved to the window's start, or FEED_STOPPED.
 */
export function feed(len: u32, eof: bool): i32 {
  return format == FORMAT_TLBT ? feedEvents(len, eof) : feedLines(len, eof);
}
