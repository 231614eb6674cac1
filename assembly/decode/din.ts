// Dinero IV's din format: "<label> <hex address>" and optional further
// fields. Labels 0 read, 1 write, 2 instruction fetch; Dinero's other labels
// (3 unknown access, 4 cache flush, ...) carry nothing to simulate.

import { OP_READ, OP_WRITE, OP_FETCH, FLAG_RECORD_START, BAD_HEX, BAD_NUMBER, BAD_FIELD } from "../abi";
import { scanHex, scanDec, scanPos, scanOk, isSpace } from "./scan";
import { emit, countRecord } from "../records";
import { LINE_IGNORED } from "./lines";

export function decodeDin(p: usize, end: usize): u32 {
  let label = scanDec(p, end);
  if (!scanOk) return BAD_NUMBER;
  p = scanPos;
  if (p == end || !isSpace(load<u8>(p))) return BAD_FIELD;
  while (p < end && isSpace(load<u8>(p))) p++;
  if (end - p >= 2 && load<u16>(p) == 0x7830) p += 2; // "0x"
  let addr = scanHex(p, end);
  if (!scanOk) return BAD_HEX;
  p = scanPos;
  if (p != end && !isSpace(load<u8>(p))) return BAD_HEX;
  if (label > 2) return LINE_IGNORED;
  let op = label == 0 ? OP_READ : label == 1 ? OP_WRITE : OP_FETCH;
  emit(op, addr, 1, 0, FLAG_RECORD_START, 0);
  countRecord();
  return 0;
}
