// tlbscope's QEMU-plugin dialect (the seed format):
//   [MEM] VA=0x7ffdf000, size=4, type=READ[, PA=0x…][, vcpu=N][, key=value…]
//   [CR3] 0x…   [INVLPG] VA=0x…   [TLB_FLUSH]   [PAGE_FAULT] VA=0x… | Reason: …
// The [MEM] prefix and field names are compared as little-endian words: this
// is the hot path of a text replay.

import {
  OP_READ, OP_WRITE, OP_FETCH, OP_CR3, OP_INVLPG, OP_FLUSH, OP_PAGE_FAULT,
  FLAG_HAS_PA, FLAG_RECORD_START, BAD_UNKNOWN, BAD_HEX, BAD_NUMBER, BAD_SIZE, BAD_TYPE, BAD_FIELD, BAD_TRAILING,
} from "../abi";
import { scanHex, scanDec, scanPos, scanOk, matchLit, hexField, hexCount } from "./scan";
import { emit, countRecord, putEvent, commitFast, batchPtr, batchCount, EVENT_BYTES, BATCH_CAPACITY } from "../records";
import { lineEnd, findNewline, trimEnd } from "./lines";
import { directAccesses, deliverAccess } from "../dispatch";
import { observeFault } from "../machine/mmu";
import { internReason, unknownReason } from "../observers/faults";

const MEM_VA: u64 = 0x4156205d4d454d5b;     // "[MEM] VA"
const EQ_0X: u32 = 0x78303d;                // "=0x"
const SIZE_EQ: u64 = 0x3d657a6973202c;      // ", size="
const TYPE_EQ: u64 = 0x3d65707974202c;      // ", type="
const READ: u32 = 0x44414552;               // "READ"
const WRIT: u32 = 0x54495257;               // "WRIT" + "E"
const FETC: u32 = 0x43544546;               // "FETC" + "H"
const LOW3: u32 = 0xffffff;
const LOW7: u64 = 0x00ff_ffff_ffff_ffff;
const COMMA_SPACE: u16 = 0x202c;            // ", "
const PA_EQ_0X: u64 = 0x7830_3d41_50;       // "PA=0x"
const LOW5: u64 = 0xff_ffff_ffff;
const WRITE5: u64 = 0x45_5449_5257;         // "WRITE"
const FETCH5: u64 = 0x48_4354_4546;         // "FETCH"
const PAGE_FA: u64 = 0x41465f454741505b;    // "[PAGE_FA"
const ULT_VA: u64 = 0x3d4156205d544c55;     // "ULT] VA="
const ZERO_X: u16 = 0x7830;                 // "0x"
const BAR_REASO: u64 = 0x6f73616552207c20;  // " | Reaso"
const N_COLON: u32 = 0x203a6e;              // "n: "

/**
 * Per access type, by bits 4 and 0 of its first letter (F 0x46: row 0,
 * R 0x52: row 2, W 0x57: row 3): the mask of its letters' bytes, its
 * letters, then u32 op and u32 length; row 1 matches no word.
 */
const TYPES = memory.data<u64>([
  LOW5, FETCH5, <u64>OP_FETCH | (<u64>5 << 32), 0,
  0, 1, 0, 0,
  0xffff_ffff, <u64>READ, <u64>OP_READ | (<u64>4 << 32), 0,
  LOW5, WRITE5, <u64>OP_WRITE | (<u64>5 << 32), 0,
]);

export let sizeShift = false;

export function setSizeShift(on: bool): void {
  sizeShift = on;
}

// Lines are followed by at least 64 readable bytes (the window has slack), so
// word loads may run past `end`; every compare first checks the length.

/**
 * Decodes consecutive common lines, `[MEM] VA=0x…, size=N, type=T` then the
 * newline, from p: locals only, and no search for the newline. It also takes
 * `[PAGE_FAULT] VA=0x… | Reason: …` lines (pageFaultLine). Stops at the
 * first other line (decodeMem reads every form and names every error), at a
 * line whose newline is not before `end`, or when the batch is nearly full.
 * Returns where it stopped. Reads may pass `end` (the window has slack), but
 * a line is only taken when its newline lies before `end`.
 */
export function memLines(p: usize, end: usize): usize {
  return directAccesses() ? memLinesDirect(p, end) : memLinesBatched(p, end);
}

// Two copies of the loop, so that constant `direct` folds away in each. As
// two arms of one expression, the optimizer merged them into one loop that
// tests `direct` on every line.
function memLinesDirect(p: usize, end: usize): usize {
  return memLinesTo(p, end, true);
}

function memLinesBatched(p: usize, end: usize): usize {
  return memLinesTo(p, end, false);
}

/** memLines, its accesses handed to the machine (direct) or appended to the batch. */
// @ts-ignore: decorator
@inline function memLinesTo(p: usize, end: usize, direct: bool): usize {
  let e = batchPtr + <usize>batchCount * EVENT_BYTES;
  let stop = batchPtr + <usize>(BATCH_CAPACITY - 1) * EVENT_BYTES;
  let taken: u64 = 0;
  let faults: u64 = 0;
  let shift = sizeShift;
  // Handed straight to the machine, nothing fills the batch.
  while (direct || e < stop) {
    let q = p;
    let head = load<u64>(q);
    if (head != MEM_VA || (load<u32>(q, 8) & LOW3) != EQ_0X) {
      // A trace that says where it faulted has one before every page's first touch.
      if (head != PAGE_FA) break;
      let next = pageFaultLine(q, end, e, direct);
      if (next == 0) break;
      if (!direct) e += EVENT_BYTES;
      faults++;
      p = next;
      continue;
    }
    q += 11;
    let va = hexField(q, end);
    let n = hexCount;
    if (n - 1 >= 16) break;
    q += n;
    if ((load<u64>(q) & LOW7) != SIZE_EQ) break;
    q += 7;
    // 1 to 4 digits, unrolled: a loop would check the stack on every digit.
    let size = <u32>load<u8>(q) - 48;
    if (size > 9) break;
    let d = <u32>load<u8>(++q) - 48;
    if (d <= 9) {
      size = size * 10 + d;
      d = <u32>load<u8>(++q) - 48;
      if (d <= 9) {
        size = size * 10 + d;
        d = <u32>load<u8>(++q) - 48;
        if (d <= 9) {
          size = size * 10 + d;
          q++;
        }
      }
    }
    if ((load<u64>(q) & LOW7) != TYPE_EQ) break;
    q += 7;
    // The access type without a branch on it (it is as unpredictable as the
    // trace): its first letter picks its row of TYPES, and the word must match.
    let word = load<u64>(q);
    let c = <usize>word;
    let type = TYPES + ((((c >> 3) & 2) | (c & 1)) << 5);
    if ((word & load<u64>(type)) != load<u64>(type, 8)) break;
    let op = load<u32>(type, 16);
    q += <usize>load<u32>(type, 20);
    let next = lineEnd(q, end);
    if (next == 0) break;
    if (shift && op != OP_FETCH) {
      if (size > 12) break;
      size = 1 << size;
    } else if (size > 4096) {
      break;
    }
    if (direct) {
      deliverAccess(op, va, size);
    } else {
      putEvent(e, op, va, size, FLAG_RECORD_START);
      e += EVENT_BYTES;
    }
    taken++;
    p = next;
  }
  commitFast(e, taken, faults);
  return p;
}

/** The longest [PAGE_FAULT] line pageFaultLine() takes: decodeLine() reports lines too long for a batch. */
const FAULT_LINE_MAX: usize = 4096;

/**
 * A `[PAGE_FAULT] VA=0x… | Reason: …` line at p (its first word known) in
 * the form decodeControl() reads first: its fault observed (direct) or its
 * event stored at e. Returns where the next line starts, or 0 for any other
 * form, or a line whose newline is not before `end`: decodeControl() then
 * decodes it, with the same result.
 */
function pageFaultLine(p: usize, end: usize, e: usize, direct: bool): usize {
  if (!isPageFault(p)) return 0;
  let q = p + 18;
  let va = hexField(q, end);
  let n = hexCount;
  if (n - 1 >= 16) return 0;
  q += n;
  let nl = findNewline(q, min<usize>(end, p + FAULT_LINE_MAX));
  if (nl >= end || load<u8>(nl) != 10) return 0;
  let last = trimEnd(q, nl);
  if (!reasonFollows(q, last)) return 0;
  let reason = internReason(q + 11, last - q - 11);
  if (direct) observeFault(reason);
  else putEvent(e, OP_PAGE_FAULT, va, reason, 0);
  return nl + 1;
}

export function decodeMem(p: usize, end: usize): u32 {
  if (end - p >= 11 && load<u64>(p) == MEM_VA && (load<u32>(p, 8) & LOW3) == EQ_0X) {
    return decodeAccess(p + 11, end);
  }
  return decodeControl(p, end);
}

function decodeAccess(p: usize, end: usize): u32 {
  let va = scanHex(p, end);
  if (!scanOk) return BAD_HEX;
  p = scanPos;
  if (end - p < 7 || (load<u64>(p) & LOW7) != SIZE_EQ) return BAD_FIELD;
  let size = scanDec(p + 7, end);
  if (!scanOk) return BAD_NUMBER;
  p = scanPos;
  if (end - p < 7 || (load<u64>(p) & LOW7) != TYPE_EQ) return BAD_FIELD;
  p += 7;
  let op: u32;
  if (end - p >= 4 && load<u32>(p) == READ) {
    op = OP_READ;
    p += 4;
  } else if (end - p >= 5 && load<u32>(p) == WRIT && load<u8>(p, 4) == 0x45) {
    op = OP_WRITE;
    p += 5;
  } else if (end - p >= 5 && load<u32>(p) == FETC && load<u8>(p, 4) == 0x48) {
    op = OP_FETCH;
    p += 5;
  } else {
    return BAD_TYPE;
  }
  if (sizeShift && op != OP_FETCH) {
    if (size > 12) return BAD_SIZE;
    size = <u64>1 << size;
  } else if (size > 4096) {
    return BAD_SIZE;
  }
  let pa: u64 = 0;
  let flags: u32 = 0;
  let cpu: u32 = 0;
  while (p < end) {
    if (end - p < 2 || load<u16>(p) != COMMA_SPACE) return BAD_TRAILING;
    p += 2;
    if (matchLit(p, end, "PA=")) {
      if (end - p < 5 || (load<u64>(p) & LOW5) != PA_EQ_0X) return BAD_HEX;
      pa = scanHex(p + 5, end);
      if (!scanOk) return BAD_HEX;
      flags |= FLAG_HAS_PA;
      p = scanPos;
    } else if (matchLit(p, end, "vcpu=")) {
      let v = scanDec(p + 5, end);
      if (!scanOk || v > 0xffff) return BAD_NUMBER;
      cpu = <u32>v;
      p = scanPos;
    } else {
      // An unknown key=value field: skipped.
      let q = p;
      while (q < end && load<u8>(q) != 0x3d && load<u8>(q) != 0x2c) q++;
      if (q == p || q == end || load<u8>(q) != 0x3d) return BAD_FIELD;
      q++;
      let v = q;
      while (q < end && load<u8>(q) != 0x2c) q++;
      if (q == v) return BAD_FIELD;
      p = q;
    }
    if (p < end && load<u8>(p) != 0x2c) return BAD_TRAILING;
  }
  emit(op, va, <u32>size, pa, flags | FLAG_RECORD_START, cpu);
  countRecord();
  return 0;
}

// The CPU a control line names with a `, vcpu=N` suffix (`[TLB_FLUSH] vcpu=N`)
// from p, 0 without one; -1 when the rest of the line is anything else.
function controlCpu(p: usize, end: usize, lead: usize): i32 {
  if (p == end) return 0;
  if (p + lead + 5 > end || !matchLit(p + lead, end, "vcpu=")) return -1;
  if (lead == 2 && (load<u8>(p) != 0x2c || load<u8>(p + 1) != 0x20)) return -1;
  if (lead == 1 && load<u8>(p) != 0x20) return -1;
  let v = scanDec(p + lead + 5, end);
  if (!scanOk || scanPos != end || v > 0xffff) return -1;
  return <i32>v;
}

function decodeControl(p: usize, end: usize): u32 {
  // The commonest control line first, by words: a trace that says where it
  // faulted has one before every page's first touch.
  if (end - p >= 18 && isPageFault(p)) {
    let va = scanHex(p + 18, end);
    if (!scanOk) return BAD_HEX;
    emit(OP_PAGE_FAULT, va, faultReason(scanPos, end), 0, 0, 0);
    return 0;
  }
  if (matchLit(p, end, "[CR3] 0x")) {
    let cr3 = scanHex(p + 8, end);
    if (!scanOk) return BAD_HEX;
    let cpu = controlCpu(scanPos, end, 2);
    if (cpu < 0) return BAD_TRAILING;
    emit(OP_CR3, cr3, 0, 0, 0, <u32>cpu);
    return 0;
  }
  if (matchLit(p, end, "[INVLPG] VA=0x")) {
    let va = scanHex(p + 14, end);
    if (!scanOk) return BAD_HEX;
    let cpu = controlCpu(scanPos, end, 2);
    if (cpu < 0) return BAD_TRAILING;
    emit(OP_INVLPG, va, 0, 0, 0, <u32>cpu);
    return 0;
  }
  if (matchLit(p, end, "[TLB_FLUSH]")) {
    let cpu = controlCpu(p + 11, end, 1);
    if (cpu < 0) return BAD_TRAILING;
    emit(OP_FLUSH, 0, 0, 0, 0, <u32>cpu);
    return 0;
  }
  return BAD_UNKNOWN;
}

/** Whether the line at p starts `[PAGE_FAULT] VA=0x` (18 bytes). */
// @ts-ignore: decorator
@inline function isPageFault(p: usize): bool {
  return load<u64>(p) == PAGE_FA && load<u64>(p, 8) == ULT_VA && load<u16>(p, 16) == ZERO_X;
}

/** Whether [p, end) is ` | Reason: ` (11 bytes) and then a reason. */
// @ts-ignore: decorator
@inline function reasonFollows(p: usize, end: usize): bool {
  return end - p > 11 && load<u64>(p) == BAR_REASO && (load<u32>(p, 8) & LOW3) == N_COLON;
}

/** The reason of a [PAGE_FAULT] line: the text after " | Reason: ", else "unknown". */
function faultReason(p: usize, end: usize): u32 {
  // Usually right after the address.
  if (reasonFollows(p, end)) return internReason(p + 11, end - p - 11);
  for (let q = p; q + 10 <= end; q++) {
    if (load<u8>(q) == 0x20 && matchLit(q, end, " | Reason: ")) {
      let text = q + 11;
      return text < end ? internReason(text, end - text) : unknownReason();
    }
  }
  return unknownReason();
}
