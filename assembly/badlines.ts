// Bad input: every bad line (or bad binary event) is counted; the first
// BAD_LOG_CAPACITY are kept with their line number, reason and text for the
// driver to report as FILE:LINE: reason: text.

import { BAD_LOG_CAPACITY, BAD_TEXT_BYTES } from "./abi";

export let badLines: u64 = 0;

// Entries: f64 line, u32 reason, u32 text length, text bytes.
export const BAD_ENTRY_BYTES: usize = 16 + <usize>BAD_TEXT_BYTES;
export const badLog = memory.data(<i32>(BAD_ENTRY_BYTES * <usize>BAD_LOG_CAPACITY), 8);

export function reportBad(line: u64, start: usize, end: usize, reason: u32): void {
  badLines++;
  if (badLines > <u64>BAD_LOG_CAPACITY) return;
  let entry = badLog + <usize>(badLines - 1) * BAD_ENTRY_BYTES;
  let n = min<usize>(end - start, <usize>BAD_TEXT_BYTES);
  store<f64>(entry, <f64>line);
  store<u32>(entry, reason, 8);
  store<u32>(entry, <u32>n, 12);
  memory.copy(entry + 16, start, n);
}
