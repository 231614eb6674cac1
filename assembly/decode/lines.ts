// Line ends for the decoders' fast paths.

/**
 * Where the next line starts when the line ends exactly at p ("\n" or
 * "\r\n") with its newline before `end`; otherwise 0.
 */
// @ts-ignore: decorator
@inline export function lineEnd(p: usize, end: usize): usize {
  let c = load<u8>(p);
  if (c == 10) return p < end ? p + 1 : 0;
  if (c == 13 && load<u8>(p, 1) == 10) return p + 1 < end ? p + 2 : 0;
  return 0;
}

/** The first newline in [p, end), or end. */
export function findNewline(p: usize, end: usize): usize {
  let nl = i8x16.splat(10);
  while (p + 16 <= end) {
    let mask = i8x16.bitmask(i8x16.eq(v128.load(p), nl));
    if (mask != 0) return p + <usize>ctz(mask);
    p += 16;
  }
  while (p < end && load<u8>(p) != 10) p++;
  return p;
}

/** The end of [p, end) without its trailing CRs, spaces and tabs: a line's end as decoders see it. */
// @ts-ignore: decorator
@inline export function trimEnd(p: usize, end: usize): usize {
  while (end > p) {
    let c = load<u8>(end - 1);
    if (c != 13 && c != 32 && c != 9) break;
    end--;
  }
  return end;
}

// What a decoder returns for a line besides 0 (decoded) and a BAD_* reason.
/** Not data: a banner, header or comment. Neither a record nor a bad line. */
export const LINE_SKIPPED: u32 = 0xff;
/** A known form that carries nothing to simulate: counted in ignoredLines. */
export const LINE_IGNORED: u32 = 0xfe;
