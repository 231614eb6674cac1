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

// Lane i of IOTA is i.
const IOTA = memory.data<u8>([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

// The SIMD constants, 16 bytes each, read from memory: V8 builds a splat
// anew on every loop iteration (three instructions), while a load folds into
// the instruction that uses it.
const K = memory.data<u8>([
  0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,0x30,
  0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,0x20,
  0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,0x61,
  9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,
  5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
  10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,
  0x0f,0,0x0f,0,0x0f,0,0x0f,0,0x0f,0,0x0f,0,0x0f,0,0x0f,0,
  0xf0,0,0xf0,0,0xf0,0,0xf0,0,0xf0,0,0xf0,0,0xf0,0,0xf0,0,
], 16);
// Offsets into K: '0', the ASCII case bit, 'a', then 9, 5 and 10, then each 16-bit lane's low and high nibble masks.
const CHAR_0: usize = 0, CASE_BIT: usize = 16, CHAR_A: usize = 32, NINE: usize = 48, FIVE: usize = 64, TEN: usize = 80;
const LOW_NIBBLES: usize = 96, HIGH_NIBBLES: usize = 112;

/** How many hex digits the last hexField() found: 0 to 16, or 17 for "more than 16" (too many for 64 bits). */
export let hexCount: usize = 0;

/**
 * The hex digits that start at p, up to end: their count in hexCount, and
 * their value when there are 1 to 16 (garbage otherwise). SIMD: 16 bytes
 * classified once, then one swizzle reverses the digits into little-endian
 * nibble order and nibble pairs are packed into bytes. Needs 17 readable
 * bytes at p (the input window has slack past its end).
 */
// @ts-ignore: decorator
@inline export function hexField(p: usize, end: usize): u64 {
  let c = v128.load(p);
  let digit = i8x16.sub(c, v128.load(K, CHAR_0));
  let letter = i8x16.sub(v128.or(c, v128.load(K, CASE_BIT)), v128.load(K, CHAR_A));
  // le_u rather than lt_u: V8 has no unsigned compare, and le_u (min, eq) needs no negation.
  let isDigit = i8x16.le_u(digit, v128.load(K, NINE));
  let isLetter = i8x16.le_u(letter, v128.load(K, FIVE));
  let n = <usize>ctz(~i8x16.bitmask(v128.or(isDigit, isLetter)) | 0x10000);
  let room = end - p;
  if (n >= room) n = room;
  else if (n == 16 && load<u8>(HEX_VALUE + <usize>load<u8>(p, 16)) != 255) n = 17;
  hexCount = n;
  let nibbles = v128.bitselect(digit, i8x16.add(letter, v128.load(K, TEN)), isDigit);
  // Lane i takes digit n-1-i, the i-th least significant; lanes past n get 0
  // (an index of 16 and up, or a negative one, read as >= 0x10: swizzle gives 0).
  let le = i8x16.swizzle(nibbles, i8x16.sub(i8x16.splat(<i8>(n - 1)), v128.load(IOTA)));
  // 16-bit lane k holds nibbles 2k (low byte) and 2k+1 (high byte).
  let pairs = v128.or(
    v128.and(le, v128.load(K, LOW_NIBBLES)),
    v128.and(i16x8.shr_u(le, 4), v128.load(K, HIGH_NIBBLES)),
  );
  return i64x2.extract_lane(i8x16.narrow_i16x8_u(pairs, pairs), 0);
}

/** 1 to 16 hex digits, position in scanPos; for the paths that are not hot. */
export function scanHex(p: usize, end: usize): u64 {
  let value = hexField(p, end);
  let n = hexCount;
  scanOk = n - 1 < 16;
  scanPos = p + n;
  return scanOk ? value : 0;
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
  // The literal's UTF-16 units read directly: charCodeAt checks bounds on every call.
  let units = changetype<usize>(lit);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(p + i) != <u32>load<u16>(units + (i << 1))) return false;
  }
  return true;
}

// @ts-ignore: decorator
@inline export function isSpace(c: u32): bool {
  return c == 32 || c == 9;
}
