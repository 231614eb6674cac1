// The order in which free frames are handed out (docs/metrics.md, Frame
// allocation): sequentially from PFN 256, or in a seeded shuffled order.

import { UserError } from '../errors.js';
import { FIRST_PFN, SHUFFLED_POOL_FRAMES, type Allocator } from '../model.js';
import { seedState, SplitMix64 } from './splitmix64.js';

/** The shuffled allocator's generator starts from state `seed + 4` (after the TLB levels' + 1, 2, 3). */
const SHUFFLE_OFFSET = 4n;

export interface FrameAllocator {
  /** Frames handed out so far. */
  readonly handedOut: number;
  /** Hands out `count` consecutive frames and returns the first. */
  take(count: number): number;
}

/** PFN 256, 257, ... (or from `first`): no end (the core's own limits are its own). */
export class SequentialAllocator implements FrameAllocator {
  private next: number;

  constructor(private readonly first = FIRST_PFN) {
    this.next = first;
  }

  get handedOut(): number {
    return this.next - this.first;
  }

  take(count: number): number {
    const pfn = this.next;
    this.next += count;
    return pfn;
  }
}

/**
 * The frames 256 .. 256 + M - 1 in the order of a Fisher-Yates shuffle done
 * one step per frame handed out: the k-th frame is a[k] after swapping a[k]
 * with a[k + (z mod (M - k))].
 */
export class ShuffledAllocator implements FrameAllocator {
  private k = 0;
  /** a[i] wherever it is no longer 256 + i (a sparse array: M is 2^20 by default). */
  private readonly moved = new Map<number, number>();
  private readonly draws: SplitMix64;

  constructor(
    readonly poolFrames: number,
    seed: number | undefined,
  ) {
    if (!Number.isSafeInteger(poolFrames) || poolFrames < 1) throw new Error(`bad shuffled pool of ${poolFrames} frames`);
    this.draws = new SplitMix64(seedState(seed, SHUFFLE_OFFSET));
  }

  get handedOut(): number {
    return this.k;
  }

  private at(i: number): number {
    return this.moved.get(i) ?? FIRST_PFN + i;
  }

  /** One frame at a time: huge pages (which need runs of frames) never use this allocator. */
  take(count: number): number {
    if (count !== 1) throw new Error('the shuffled allocator hands out one frame at a time (no huge pages)');
    const { k, poolFrames: m } = this;
    if (k >= m) {
      throw new UserError(`the replay needs more than the shuffled allocator's ${m} frames: give --frames to bound memory`);
    }
    const j = k + Number(this.draws.next() % BigInt(m - k));
    const [ak, aj] = [this.at(k), this.at(j)];
    this.moved.set(k, aj);
    this.moved.set(j, ak);
    this.k++;
    return aj;
  }
}

/** The allocator a machine's config asks for; `frames` (the limit, if any) sizes the shuffled pool. */
export function frameAllocator(
  alloc: Allocator | undefined,
  frames: number | undefined,
  seed: number | undefined,
  traceBase = 0,
): FrameAllocator {
  switch (alloc ?? 'sequential') {
    case 'sequential':
      return new SequentialAllocator();
    case 'shuffled':
      return new ShuffledAllocator(frames ?? SHUFFLED_POOL_FRAMES, seed);
    case 'trace':
      // The frames the trace does not choose: after every frame it names.
      return new SequentialAllocator(Math.max(FIRST_PFN, traceBase));
    default:
      throw new Error(`bad allocator ${String(alloc)}: must be sequential, shuffled or trace`);
  }
}
