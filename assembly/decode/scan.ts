// Number and literal scanning shared by the text decoders. Every scanner reads
// within [p, end) and leaves the position after what it read in `scanPos`
// (AssemblyScript has no cheap multiple returns); a failed scan sets scanOk.

export let scanPos: usize = 0;
export let scanOk: bool = true;

// 0-15 for hex digits, 0xff for anything else.
const HEX_VALUE = memory.data<u8>([
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  0,1,2,3,4,5,6,7,8,9,255,255,255,255,255,255,
  255,10,11,12,13,14,15,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,10,11,12,13,14,15,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
  255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,
]);

/** 1 to 16 hex digits; more would not fit 64 bits, so they are an error. */
// @ts-ignore: decorator
@inline export function scanHex(p: usize, end: usize): u64 {
  let v: u64 = 0;
  let start = p;
  while (p < end) {
    let d = load<u8>(HEX_VALUE + <usize>load<u8>(p));
    if (d == 255) break;
    v = (v << 4) | <u64>d;
    p++;
  }
  scanOk = p > start && p - start <= 16;
  scanPos = p;
  return v;
}

/** 1 to 10 decimal digits. */
// @ts-ignore: decorator
@inline export function scanDec(p: usize, end: usize): u64 {
  let v: u64 = 0;
  let start = p;
  while (p < end) {
    let d = <u32>load<u8>(p) - 48;
    if (d > 9) break;
    v = v * 10 + <u64>d;
    p++;
  }
  scanOk = p > start && p - start <= 10;
  scanPos = p;
  return v;
}

/** Whether the bytes at p equal the ASCII string `lit` (kept for rare lines). */
export function matchLit(p: usize, end: usize, lit: string): bool {
  let n = <usize>lit.length;
  if (end - p < n) return false;
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

// @ts-ignore: decorator
@inline export function isSpace(c: u32): bool {
  return c == 32 || c == 9;
}
