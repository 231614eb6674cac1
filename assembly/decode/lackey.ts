// Valgrind lackey --trace-mem=yes:
//   I  0401ab70,3      fetch
//    L 1ffefff8b8,8    load
//    S 1ffefff8b8,8    store
//    M 1ffefff8b8,8    modify: one record, a load then a store
//   ==16706== …        banner, skipped

import { OP_READ, OP_WRITE, OP_FETCH, BAD_UNKNOWN, BAD_HEX, BAD_NUMBER, BAD_SIZE, BAD_FIELD, BAD_TRAILING } from "../abi";
import { scanHex, scanDec, scanPos, scanOk } from "./scan";
import { emit, countRecord } from "../records";

/** Returns 0, a BAD_* reason, or LACKEY_BANNER. */
export const LACKEY_BANNER: u32 = 0xff;

export function decodeLackey(p: usize, end: usize): u32 {
  if (end - p >= 2 && load<u16>(p) == 0x3d3d) return LACKEY_BANNER; // "=="
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
    emit(OP_FETCH, addr, s, 0, 0, 0);
  } else if (kind == 0x4c) {    // L
    emit(OP_READ, addr, s, 0, 0, 0);
  } else if (kind == 0x53) {    // S
    emit(OP_WRITE, addr, s, 0, 0, 0);
  } else if (kind == 0x4d) {    // M
    emit(OP_READ, addr, s, 0, 0, 0);
    emit(OP_WRITE, addr, s, 0, 0, 0);
  } else {
    return BAD_UNKNOWN;
  }
  countRecord();
  return 0;
}
