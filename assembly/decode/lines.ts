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
