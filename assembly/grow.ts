// Growing a heap buffer: the stub runtime has no realloc.

/** A new buffer of `bytes`, holding the first `keepBytes` of `old` (0: none yet), which is freed. */
export function regrow(old: usize, keepBytes: usize, bytes: usize): usize {
  let grown = heap.alloc(bytes);
  if (old != 0) {
    memory.copy(grown, old, keepBytes);
    heap.free(old);
  }
  return grown;
}
