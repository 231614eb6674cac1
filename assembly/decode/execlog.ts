// QEMU contrib/plugins/execlog, one line per executed instruction:
//   0, 0x4002826770, 0xe78955, "pushq %rbp", store, 0x400280ae50
// then zero or more ", load|store, 0xADDR", each optionally followed by
// ", REGION" in system mode, where the address is guest-physical and REGION
// names the memory region (RAM, or a device for MMIO). The disassembly may
// contain commas; its closing quote is the last one on the line.

import {
  OP_READ, OP_WRITE, OP_FETCH, FLAG_PHYSICAL, FLAG_MMIO, FLAG_RECORD_START,
  BAD_HEX, BAD_NUMBER, BAD_FIELD, BAD_TRAILING,
} from "../abi";
import { scanHex, scanDec, scanPos, scanOk } from "./scan";
import { emit, countRecord } from "../records";

const SEP_0X: u32 = 0x7830202c;            // ", 0x"
const SEP_QUOTE: u32 = 0x22202c;           // ", \""
const LOW3: u32 = 0xffffff;
const COMMA_SPACE: u16 = 0x202c;           // ", "
const LOAD_0X: u64 = 0x7830202c64616f6c;   // "load, 0x"
const STORE_0: u64 = 0x30202c65726f7473;   // "store, 0" + "x"
const RAM: u32 = 0x4d4152;                 // "RAM"

/** The end of the token at p: the next comma or the end of the line. */
function tokenEnd(p: usize, end: usize): usize {
  while (p < end && load<u8>(p) != 0x2c) p++;
  return p;
}

function isAccessWord(p: usize, q: usize): bool {
  let n = q - p;
  if (n == 4) return load<u32>(p) == 0x64616f6c;                          // "load"
  if (n == 5) return load<u32>(p) == 0x726f7473 && load<u8>(p, 4) == 0x65; // "store"
  return false;
}

export function decodeExeclog(p: usize, end: usize): u32 {
  let cpu = scanDec(p, end);
  if (!scanOk || cpu > 0xffff) return BAD_NUMBER;
  p = scanPos;
  if (end - p < 4 || load<u32>(p) != SEP_0X) return BAD_FIELD;
  let pc = scanHex(p + 4, end);
  if (!scanOk) return BAD_HEX;
  p = scanPos;
  if (end - p < 4 || load<u32>(p) != SEP_0X) return BAD_FIELD;
  scanHex(p + 4, end); // the opcode column: read, validated, not used
  if (!scanOk) return BAD_HEX;
  p = scanPos;
  if (end - p < 3 || (load<u32>(p) & LOW3) != SEP_QUOTE) return BAD_FIELD;
  let open = p + 2;
  let close = end - 1;
  while (close > open && load<u8>(close) != 0x22) close--;
  if (close == open) return BAD_FIELD;
  emit(OP_FETCH, pc, 1, 0, FLAG_RECORD_START, <u32>cpu);
  p = close + 1;
  while (p < end) {
    if (end - p < 2 || load<u16>(p) != COMMA_SPACE) return BAD_TRAILING;
    p += 2;
    let op: u32;
    if (end - p >= 8 && load<u64>(p) == LOAD_0X) {
      op = OP_READ;
      p += 8;
    } else if (end - p >= 9 && load<u64>(p) == STORE_0 && load<u8>(p, 8) == 0x78) {
      op = OP_WRITE;
      p += 9;
    } else {
      return BAD_FIELD;
    }
    let addr = scanHex(p, end);
    if (!scanOk) return BAD_HEX;
    p = scanPos;
    let flags: u32 = 0;
    if (end - p > 2 && load<u16>(p) == COMMA_SPACE) {
      let q = tokenEnd(p + 2, end);
      if (q > p + 2 && !isAccessWord(p + 2, q)) {
        flags = FLAG_PHYSICAL;
        if (!(q - p - 2 == 3 && (load<u32>(p, 2) & LOW3) == RAM)) flags |= FLAG_MMIO;
        p = q;
      }
    }
    emit(op, addr, 1, 0, flags, <u32>cpu);
  }
  countRecord();
  return 0;
}
