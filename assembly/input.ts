// The input window and line framing: the driver reads raw bytes into the
// window, feed() decodes every complete line in place and carries a partial
// last line over to the window's start for the next read. Bad lines are
// counted and the first few kept, with their line numbers, for the driver.

import {
  FORMAT_MEM, FORMAT_LACKEY, FORMAT_EXECLOG, BAD_TOO_LONG, FEED_STOPPED,
  BAD_LOG_CAPACITY, BAD_TEXT_BYTES,
} from "./abi";
import { decodeMem, memLines } from "./decode/mem";
import { decodeLackey, lackeyLines, LACKEY_BANNER } from "./decode/lackey";
import { decodeExeclog } from "./decode/execlog";
import { batchPtr, batchCount, setBatchCount, BATCH_CAPACITY, records } from "./records";
import { runBatch } from "./machine/mmu";

/** Readable bytes past the window, so decoders may load words past a line's end. */
const SLACK: usize = 64;
const PAGE: usize = 65536;

export let windowPtr: usize = 0;
export let windowSize: u32 = 0;
let format: u32 = FORMAT_MEM;
let strict = false;

export let lines: u64 = 0;
export let badLines: u64 = 0;
let skipping = false;   // inside an overlong line, already reported

// Bad-line log entries: f64 line, u32 reason, u32 text length, text bytes.
export const BAD_ENTRY_BYTES: usize = 16 + <usize>BAD_TEXT_BYTES;
export let badLog: usize = 0;

export function initInput(fmt: u32, strictMode: bool, window: u32): void {
  format = fmt;
  strict = strictMode;
  windowSize = window;
  // Page-aligned: reads into a misaligned window measured 4-5x slower.
  let raw = heap.alloc(<usize>window + SLACK + PAGE);
  windowPtr = (raw + PAGE - 1) & ~(PAGE - 1);
  badLog = heap.alloc(BAD_ENTRY_BYTES * <usize>BAD_LOG_CAPACITY);
}

function flushBatch(): void {
  if (batchCount > 0) {
    runBatch(batchPtr, batchCount);
    setBatchCount(0);
  }
}

function findNewline(p: usize, end: usize): usize {
  let nl = i8x16.splat(10);
  while (p + 16 <= end) {
    let mask = i8x16.bitmask(i8x16.eq(v128.load(p), nl));
    if (mask != 0) return p + <usize>ctz(mask);
    p += 16;
  }
  while (p < end && load<u8>(p) != 10) p++;
  return p;
}

function reportBad(start: usize, end: usize, reason: u32): void {
  badLines++;
  if (badLines > <u64>BAD_LOG_CAPACITY) return;
  let entry = badLog + <usize>(badLines - 1) * BAD_ENTRY_BYTES;
  let n = min<usize>(end - start, <usize>BAD_TEXT_BYTES);
  store<f64>(entry, <f64>lines);
  store<u32>(entry, reason, 8);
  store<u32>(entry, <u32>n, 12);
  memory.copy(entry + 16, start, n);
}

/** Decodes one line [p, end) (without its newline); returns false to stop. */
function decodeLine(p: usize, end: usize): bool {
  while (end > p) {
    let c = load<u8>(end - 1);
    if (c != 13 && c != 32 && c != 9) break;
    end--;
  }
  if (end == p) return true;
  // Room for every event the line could emit (at least 8 bytes each), so a
  // bad line can be taken back by resetting the batch count.
  let room = <i32>((end - p) >> 3) + 2;
  if (room > BATCH_CAPACITY) {
    reportBad(p, end, BAD_TOO_LONG);
    return !strict;
  }
  if (batchCount + room > BATCH_CAPACITY) flushBatch();
  let mark = batchCount;
  let reason: u32;
  if (format == FORMAT_MEM) reason = decodeMem(p, end);
  else if (format == FORMAT_LACKEY) reason = decodeLackey(p, end);
  else reason = decodeExeclog(p, end);
  if (reason == 0 || reason == LACKEY_BANNER) return true;
  setBatchCount(mark);
  reportBad(p, end, reason);
  return !strict;
}

/**
 * Decodes and simulates every complete line of the first `len` bytes of the
 * window (all of them at end of input). Returns how many bytes of a partial
 * last line were moved to the window's start, or FEED_STOPPED.
 */
export function feed(len: u32, eof: bool): i32 {
  let p = windowPtr;
  let end = windowPtr + <usize>len;
  while (p < end) {
    if (!skipping && format != FORMAT_EXECLOG) {
      // Most lines take a decoder's fast loop, which needs no newline search.
      let before = records;
      let next = format == FORMAT_MEM ? memLines(p, end) : lackeyLines(p, end);
      lines += records - before;
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
      reportBad(p, end, BAD_TOO_LONG);
      skipping = true;
      if (strict) return FEED_STOPPED;
    }
    return 0;
  }
  memory.copy(windowPtr, p, carry);
  return <i32>carry;
}
