// Valgrind lackey --trace-mem=yes:
//   I  0401ab70,3      fetch
//    L 1ffefff8b8,8    load
//    S 1ffefff8b8,8    store
//    M 1ffefff8b8,8    modify: one record, a load then a store
//   ==16706== …        banner, skipped

import { OP_READ, OP_WRITE, OP_FETCH, FLAG_RECORD_START, BAD_UNKNOWN, BAD_HEX, BAD_NUMBER, BAD_SIZE, BAD_FIELD, BAD_TRAILING } from "../abi";
import { scanHex, scanDec, scanPos, scanOk, hexField, hexCount } from "./scan";
import { lineEnd, LINE_SKIPPED } from "./lines";
import { emit, countRecord, putEvent, commitFast, batchPtr, batchCount, EVENT_BYTES, BATCH_CAPACITY } from "../records";
import { directAccesses, deliverAccess } from "../dispatch";


export function decodeLackey(p: usize, end: usize): u32 {
  if (end - p >= 2 && load<u16>(p) == 0x3d3d) return LINE_SKIPPED; // "=="
  while (p < end && load<u8>(p) == 0x20) p++;
  if (p == end) return BAD_UNKNOWN;
  let kind = <u32>load<u8>(p++);
  if (p == end || load<u8>(p) != 0x20) return BAD_UNKNOWN;
  while (p < end && load<u8>(p) == 0x20) p++;
  let addr = scanHex(p, end);
  if (!scanOk) return BAD_HEX;
  p = scanPos;
  if (p == end || load<u8>(p) != 0x2c) return BAD_FIELD;
  let size = scanDec(p + 1, end);
  if (!scanOk) return BAD_NUMBER;
  if (size > 4096) return BAD_SIZE;
  if (scanPos != end) return BAD_TRAILING;
  let s = <u32>size;
  if (kind == 0x49) {           // I
    emit(OP_FETCH, addr, s, 0, FLAG_RECORD_START, 0);
  } else if (kind == 0x4c) {    // L
    emit(OP_READ, addr, s, 0, FLAG_RECORD_START, 0);
  } else if (kind == 0x53) {    // S
    emit(OP_WRITE, addr, s, 0, FLAG_RECORD_START, 0);
  } else if (kind == 0x4d) {    // M
    emit(OP_READ, addr, s, 0, FLAG_RECORD_START, 0);
    emit(OP_WRITE, addr, s, 0, 0, 0);
  } else {
    return BAD_UNKNOWN;
  }
  countRecord();
  return 0;
}

/**
 * Decodes consecutive lines of the forms lackey prints, `I  ADDR,SIZE` and
 * ` K ADDR,SIZE`, with locals only (see memLines).
 */
export function lackeyLines(p: usize, end: usize): usize {
  return directAccesses() ? lackeyLinesDirect(p, end) : lackeyLinesBatched(p, end);
}

// Two copies of the loop, as memLines has (and for the same reason, functions).
function lackeyLinesDirect(p: usize, end: usize): usize {
  return lackeyLinesTo(p, end, true);
}

function lackeyLinesBatched(p: usize, end: usize): usize {
  return lackeyLinesTo(p, end, false);
}

/** lackeyLines, its accesses handed to the machine (direct) or appended to the batch. */
// @ts-ignore: decorator
@inline function lackeyLinesTo(p: usize, end: usize, direct: bool): usize {
  let e = batchPtr + <usize>batchCount * EVENT_BYTES;
  let stop = batchPtr + <usize>(BATCH_CAPACITY - 2) * EVENT_BYTES;
  let taken: u64 = 0;
  while (e < stop) {
    let q = p;
    let head = load<u32>(q) & 0xffffff;
    let kind: u32 = 0;
    if (head == 0x202049) {                                  // "I  "
      kind = 0x49;
    } else if ((head & 0xff00ff) == 0x200020) {              // " K "
      kind = (head >> 8) & 0xff;
      if (kind != 0x4c && kind != 0x53 && kind != 0x4d) break;
    } else {
      break;
    }
    q += 3;
    let addr = hexField(q, end);
    let n = hexCount;
    if (n - 1 >= 16) break;
    q += n;
    if (load<u8>(q) != 0x2c) break;
    q++;
    let size: u32 = 0;
    let digits = q;
    for (let d = <u32>load<u8>(q) - 48; d <= 9 && q - digits < 4; d = <u32>load<u8>(++q) - 48) size = size * 10 + d;
    if (q == digits || size > 4096) break;
    let next = lineEnd(q, end);
    if (next == 0) break;
    // M: one record, a load then a store.
    let op = kind == 0x49 ? OP_FETCH : kind == 0x53 ? OP_WRITE : OP_READ;
    if (direct) {
      deliverAccess(op, addr, size);
      if (kind == 0x4d) deliverAccess(OP_WRITE, addr, size);
    } else {
      putEvent(e, op, addr, size, FLAG_RECORD_START);
      e += EVENT_BYTES;
      if (kind == 0x4d) {
        putEvent(e, OP_WRITE, addr, size, 0);
        e += EVENT_BYTES;
      }
    }
    taken++;
    p = next;
  }
  commitFast(e, taken, 0);
  return p;
}
