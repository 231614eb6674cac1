// Pin's pinatrace tool: "0x<ip>: R|W 0x<address>" with an optional size, and
// "#eof" at the end. Data accesses only: pinatrace records no fetches.

import { OP_READ, OP_WRITE, FLAG_RECORD_START, BAD_HEX, BAD_NUMBER, BAD_SIZE, BAD_TYPE, BAD_FIELD, BAD_TRAILING } from "../abi";
import { scanHex, scanDec, scanPos, scanOk } from "./scan";
import { emit, countRecord } from "../records";
import { LINE_SKIPPED } from "./lines";

export function decodePin(p: usize, end: usize): u32 {
  if (load<u8>(p) == 0x23) return LINE_SKIPPED; // "#eof", comments
  if (end - p < 3 || load<u16>(p) != 0x7830) return BAD_FIELD;
  scanHex(p + 2, end);
  if (!scanOk) return BAD_HEX;
  p = scanPos;
  if (end - p < 4 || load<u16>(p) != 0x203a) return BAD_FIELD; // ": "
  let kind = load<u8>(p, 2);
  let op: u32;
  if (kind == 0x52) op = OP_READ;        // R
  else if (kind == 0x57) op = OP_WRITE;  // W
  else return BAD_TYPE;
  p += 3;
  if (end - p < 4 || load<u8>(p) != 0x20 || load<u16>(p, 1) != 0x7830) return BAD_FIELD; // " 0x"
  let addr = scanHex(p + 3, end);
  if (!scanOk) return BAD_HEX;
  p = scanPos;
  let size: u64 = 1;
  if (p < end) {
    if (load<u8>(p) != 0x20) return BAD_TRAILING;
    size = scanDec(p + 1, end);
    if (!scanOk) return BAD_NUMBER;
    if (scanPos != end) return BAD_TRAILING;
    if (size > 4096) return BAD_SIZE;
  }
  emit(op, addr, <u32>size, 0, FLAG_RECORD_START, 0);
  countRecord();
  return 0;
}
