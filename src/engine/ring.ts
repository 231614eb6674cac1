// A single-producer, single-consumer ring of byte slots in a
// SharedArrayBuffer: the decoding thread writes event bytes, the simulating
// thread reads them. Atomics wait and notify on two counters, so neither
// thread spins.

const WRITTEN = 0; // slots written so far
const READ = 1; // slots read so far
const STATE = 2; // RUNNING, DONE or FAILED
const HEADER_INTS = 4;


/** How long a reader blocks on an empty ring before it lets its event loop run (ms). */
export const READ_WAIT_MS = 20;

export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;

export interface RingShape {
  slots: number;
  slotBytes: number;
}

export function createRing({ slots, slotBytes }: RingShape): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * (HEADER_INTS + slots) + slots * slotBytes);
}

class Ring {
  protected readonly header: Int32Array;
  protected readonly lengths: Int32Array;
  // A Buffer, for copy(): out of shared memory it runs about twice as fast
  // as TypedArray.set (measured 16 against 8 GB/s on these machines).
  protected readonly data: Buffer;
  constructor(buffer: SharedArrayBuffer, protected readonly shape: RingShape) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.lengths = new Int32Array(buffer, 4 * HEADER_INTS, shape.slots);
    this.data = Buffer.from(buffer, 4 * (HEADER_INTS + shape.slots));
  }
  protected slotStart(index: number): number {
    return (index % this.shape.slots) * this.shape.slotBytes;
  }
}

export class RingWriter extends Ring {
  private pending = 0; // bytes in the slot being filled

  /** Copies bytes in, handing over every slot that fills; blocks while the ring is full. */
  write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const written = Atomics.load(this.header, WRITTEN);
      this.waitForRoom(written);
      const n = Math.min(bytes.length - done, this.shape.slotBytes - this.pending);
      this.data.set(bytes.subarray(done, done + n), this.slotStart(written) + this.pending);
      this.pending += n;
      done += n;
      if (this.pending === this.shape.slotBytes) this.handOver();
    }
  }

  // Waits on the very value the check saw: loading READ again for the wait
  // let the reader empty the ring in between and the writer sleep forever.
  private waitForRoom(written: number): void {
    for (let read = Atomics.load(this.header, READ); written - read >= this.shape.slots; read = Atomics.load(this.header, READ)) {
      Atomics.wait(this.header, READ, read);
    }
  }

  private handOver(): void {
    const written = Atomics.load(this.header, WRITTEN);
    this.lengths[written % this.shape.slots] = this.pending;
    this.pending = 0;
    Atomics.store(this.header, WRITTEN, written + 1);
    Atomics.notify(this.header, WRITTEN);
  }

  /** Hands over the partial slot now, so the reader need not wait for it to fill. */
  flush(): void {
    if (this.pending === 0) return;
    this.waitForRoom(Atomics.load(this.header, WRITTEN));
    this.handOver();
  }

  /** Hands over the last, partial slot and marks the end (or a failure). */
  close(state: typeof DONE | typeof FAILED): void {
    if (this.pending > 0 && state === DONE) {
      this.waitForRoom(Atomics.load(this.header, WRITTEN));
      this.handOver();
    }
    Atomics.store(this.header, STATE, state);
    Atomics.notify(this.header, WRITTEN);
  }
}

export class RingReader extends Ring {
  private offset = 0; // bytes of the current slot already read

  /**
   * Fills `into` from the written slots, waiting up to `timeoutMs` for the
   * first: the byte count, 0 at the end, or null when nothing came in time
   * (so the caller can look around).
   */
  read(into: Uint8Array, timeoutMs: number): number | null {
    const first = this.readSlot(into, timeoutMs);
    if (!first) return first;
    let filled = first;
    // Take whatever else is ready without waiting.
    while (filled < into.length && Atomics.load(this.header, WRITTEN) !== Atomics.load(this.header, READ)) {
      filled += this.readSlot(into.subarray(filled), 0)!;
    }
    return filled;
  }

  private readSlot(into: Uint8Array, timeoutMs: number): number | null {
    const read = Atomics.load(this.header, READ);
    if (Atomics.load(this.header, WRITTEN) === read) {
      if (Atomics.load(this.header, STATE) !== RUNNING && Atomics.load(this.header, WRITTEN) === read) return 0;
      Atomics.wait(this.header, WRITTEN, read, timeoutMs);
      if (Atomics.load(this.header, WRITTEN) === read) {
        return Atomics.load(this.header, STATE) !== RUNNING ? 0 : null;
      }
    }
    const length = this.lengths[read % this.shape.slots];
    const n = Math.min(into.length, length - this.offset);
    const from = this.slotStart(read) + this.offset;
    this.data.copy(into, 0, from, from + n);
    this.offset += n;
    if (this.offset === length) {
      this.offset = 0;
      Atomics.store(this.header, READ, read + 1);
      Atomics.notify(this.header, READ);
    }
    return n;
  }

  failed(): boolean {
    return Atomics.load(this.header, STATE) === FAILED;
  }
}
