// A plain file read one chunk ahead on libuv's thread pool: while this
// thread works on a chunk, the kernel copies the next one out of the page
// cache (about 36 ms per 240 MB on these machines) into a buffer of ours,
// and handing it over costs only a copy out of that buffer (about 10 ms).

import { read as readAsync } from 'node:fs';
import type { ByteSource } from './source.js';
import { UserError } from '../errors.js';

const CHUNK_BYTES = 4 << 20;

/** Settles with the bytes read or the error: never rejects, as nobody may be waiting for it yet. */
function readAt(fd: number, into: Buffer, position: number): Promise<number | Error> {
  return new Promise((resolve) => readAsync(fd, into, 0, into.length, position, (err, n) => resolve(err ?? n)));
}

export class ReadAheadSource implements ByteSource {
  private position = 0; // of the file, read or being read
  private delivered = 0;
  private ready: Buffer<ArrayBufferLike> = Buffer.alloc(0); // read, not yet handed out
  private spare: Buffer;
  private next: Promise<number | Error> | null;
  private nextBuffer: Buffer;
  private closed = false;

  /** Reads the open file `fd` from its start; onClose closes it (once no read is in flight). */
  constructor(
    readonly name: string,
    private readonly fd: number,
    readonly sizeOnDisk: number,
    private readonly onClose: () => void,
    chunkBytes = CHUNK_BYTES,
  ) {
    this.spare = Buffer.allocUnsafe(chunkBytes);
    this.nextBuffer = Buffer.allocUnsafe(chunkBytes);
    this.next = readAt(fd, this.nextBuffer, 0);
  }

  async read(into: Uint8Array): Promise<number> {
    if (this.ready.length === 0 && !(await this.advance())) return 0;
    const n = Math.min(into.length, this.ready.length);
    this.ready.copy(into, 0, 0, n);
    this.ready = this.ready.subarray(n);
    this.delivered += n;
    return n;
  }

  /** Takes the chunk in flight and starts reading the one after it; false at the end. */
  private async advance(): Promise<boolean> {
    if (!this.next) return false;
    const n = await this.next;
    if (n instanceof Error) throw new UserError(`${this.name}: cannot read: ${n.message}`);
    if (n === 0) {
      this.next = null;
      return false;
    }
    const filled = this.nextBuffer;
    this.nextBuffer = this.spare;
    this.spare = filled;
    this.position += n;
    this.ready = filled.subarray(0, n);
    this.next = readAt(this.fd, this.nextBuffer, this.position);
    return true;
  }

  diskPosition(): number {
    return this.delivered;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A read may still be in flight: close once it is done.
    const pending = this.next;
    this.next = null;
    if (pending) void pending.then(() => this.onClose());
    else this.onClose();
  }
}
