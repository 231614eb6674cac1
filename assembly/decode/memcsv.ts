// QEMU tests/tcg/plugins/mem with print-accesses=on (QEMU >= 9.1):
//   insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value
//   0xfe05b,,0xf61c8,0xf61c8,32,load,0x00000000
// access_size is in bits; a non-zero mem_hwaddr is the guest-physical address.
// The symbol may hold commas, so the last five fields are found from the end.

import {
  OP_READ, OP_WRITE, FLAG_HAS_PA, FLAG_RECORD_START,
  BAD_HEX, BAD_NUMBER, BAD_SIZE, BAD_TYPE, BAD_FIELD,
} from "../abi";
import { scanHex, scanDec, scanPos, scanOk, matchLit } from "./scan";
import { emit, countRecord } from "../records";
import { LINE_SKIPPED } from "./lines";

const HEADER = "insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value";

/** A field [p, end) that is exactly 0x and 1 to 16 hex digits; sets scanOk. */
function hexField(p: usize, end: usize): u64 {
  if (end - p < 3 || load<u16>(p) != 0x7830) { // "0x"
    scanOk = false;
    return 0;
  }
  let v = scanHex(p + 2, end);
  if (scanPos != end) scanOk = false;
  return v;
}

/** The last comma in (from, end), or `from` when there is none. */
function lastComma(from: usize, end: usize): usize {
  let q = end;
  while (q > from + 1) {
    q--;
    if (load<u8>(q) == 0x2c) return q;
  }
  return from;
}

export function decodeMemcsv(p: usize, end: usize): u32 {
  if (end - p == <usize>HEADER.length && matchLit(p, end, HEADER)) return LINE_SKIPPED;
  // The first comma ends insn_vaddr; the last five commas end the symbol and
  // the four fields after it.
  let first = p;
  while (first < end && load<u8>(first) != 0x2c) first++;
  let c5 = lastComma(first, end);
  let c4 = lastComma(first, c5);
  let c3 = lastComma(first, c4);
  let c2 = lastComma(first, c3);
  let c1 = lastComma(first, c2);
  if (first == end || c1 == first) return BAD_FIELD;
  hexField(p, first);
  if (!scanOk) return BAD_HEX;
  let va = hexField(c1 + 1, c2);
  if (!scanOk) return BAD_HEX;
  let pa = hexField(c2 + 1, c3);
  if (!scanOk) return BAD_HEX;
  let bits = scanDec(c3 + 1, c4);
  if (!scanOk || scanPos != c4) return BAD_NUMBER;
  if (bits == 0 || (bits & 7) != 0 || bits > 32768) return BAD_SIZE;
  let op: u32;
  let typeLength = c5 - c4 - 1;
  if (typeLength == 4 && matchLit(c4 + 1, c5, "load")) op = OP_READ;
  else if (typeLength == 5 && matchLit(c4 + 1, c5, "store")) op = OP_WRITE;
  else return BAD_TYPE;
  let flags = FLAG_RECORD_START | (pa != 0 ? FLAG_HAS_PA : 0);
  emit(op, va, <u32>(bits >> 3), pa, flags, 0);
  countRecord();
  return 0;
}
