// The decoded event batch: the one interface between decoders and the machine.
// Decoders append events; the machine consumes a whole batch at a time, so a
// batch could as well feed several machines or a writer.
//
// Event layout (24 bytes, little-endian):
//   0  u64  va (or the CR3 value for OP_CR3)
//   8  u64  pa (valid with FLAG_HAS_PA)
//   16 u32  size in bytes
//   20 u8   op (OP_*)
//   21 u8   flags (FLAG_*; FLAG_RECORD_START on a record's first event)
//   22 u16  cpu

import { EVENT_BYTES as EVENT_SIZE } from "./abi";

export const EVENT_BYTES: usize = <usize>EVENT_SIZE;
export const BATCH_CAPACITY: i32 = 8192;

export let batchPtr: usize = 0;
export let batchCount: i32 = 0;
/** Access lines decoded (a record may emit several events, or none). */
export let records: u64 = 0;

export function initBatch(): void {
  batchPtr = heap.alloc(<usize>BATCH_CAPACITY * EVENT_BYTES);
  batchCount = 0;
}

export function setBatchCount(count: i32): void {
  batchCount = count;
}

/** Moves the (empty) batch: convert mode keeps it at the output's end (dispatch.ts). */
export function setBatchPtr(ptr: usize): void {
  batchPtr = ptr;
}

// @ts-ignore: decorator
@inline export function countRecord(): void {
  records++;
}

export function countRecords(n: u64): void {
  records += n;
}

/** Lines the last fast loop took: its records and the control lines it knows. */
export let fastLines: u64 = 0;

/** Takes the results of a decoder's fast loop, which kept its cursor in locals. */
export function commitFast(cursor: usize, fastRecords: u64, otherLines: u64): void {
  batchCount = <i32>((cursor - batchPtr) / EVENT_BYTES);
  records += fastRecords;
  fastLines = fastRecords + otherLines;
}

/** An event without a physical address or cpu, for the decoders' fast loops. */
// @ts-ignore: decorator
@inline export function putEvent(e: usize, op: u32, va: u64, size: u32, flags: u32): void {
  store<u64>(e, va);
  store<u64>(e, 0, 8);
  store<u32>(e, size, 16);
  store<u32>(e, op | (flags << 8), 20); // op, flags, cpu 0
}

// @ts-ignore: decorator
@inline export function emit(op: u32, va: u64, size: u32, pa: u64, flags: u32, cpu: u32): void {
  let e = batchPtr + <usize>batchCount * EVENT_BYTES;
  store<u64>(e, va);
  store<u64>(e, pa, 8);
  store<u32>(e, size, 16);
  store<u8>(e, <u8>op, 20);
  store<u8>(e, <u8>flags, 21);
  store<u16>(e, <u16>cpu, 22);
  batchCount++;
}

/** An access's last byte: a size of 0 touches one byte, as 1 does (docs/metrics.md, crossings). */
// @ts-ignore: decorator
@inline export function lastByte(va: u64, size: u32): u64 {
  return va + <u64>(size == 0 ? 0 : size - 1);
}
