// splitmix64 as docs/metrics.md gives it (the random TLB policy's and the
// shuffled allocator's generator), on unsigned 64-bit BigInts.

const U64 = (1n << 64n) - 1n;

export class SplitMix64 {
  private state: bigint;

  /** `state` is taken mod 2^64. */
  constructor(state: bigint) {
    this.state = state & U64;
  }

  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & U64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64;
    return z ^ (z >> 31n);
  }
}

/** `--seed` (default 1) as an unsigned 64-bit start, plus `offset` (mod 2^64). */
export function seedState(seed: number | undefined, offset: bigint): bigint {
  const s = seed ?? 1;
  if (!Number.isSafeInteger(s)) throw new Error(`bad seed ${s}: must be an integer`);
  return (BigInt(s) + offset) & U64;
}
