// A plain (uncompressed) text file cut into slices of whole lines, so that
// two threads can decode different parts of it. Each slice holds the lines
// that start in its nominal byte range [k * sliceBytes, (k + 1) * sliceBytes):
// its edges are the first line starts at or after those bytes, found once, in
// order, when the file is planned (so a line longer than many slices is
// scanned once, and leaves the slices inside it empty, hence dropped).

import { closeSync, openSync, readSync } from 'node:fs';
import { openError, type ByteSource } from './source.js';
import { UserError } from '../errors.js';

/** The slices of a plain file of `size` bytes, as byte ranges [start, end) of whole lines, in order; none when empty. */
export function planSlices(path: string, size: number, sliceBytes: number): Array<[start: number, end: number]> {
  const slices: Array<[number, number]> = [];
  withFile(path, (fd) => {
    let start = 0;
    while (start < size) {
      const nominal = (Math.floor(start / sliceBytes) + 1) * sliceBytes;
      const end = nominal >= size ? size : lineStartAt(fd, nominal, size);
      slices.push([start, end]);
      start = end;
    }
  });
  return slices;
}

const SCAN_BYTES = 4096;
const NEWLINE = 0x0a;

/** The first line start at or after byte `at` (> 0): just past a newline at or after at - 1, or the file's end. */
function lineStartAt(fd: number, at: number, size: number): number {
  const buffer = new Uint8Array(SCAN_BYTES);
  for (let pos = at - 1; pos < size; ) {
    const n = readSync(fd, buffer, 0, Math.min(SCAN_BYTES, size - pos), pos);
    if (n === 0) break;
    const i = buffer.subarray(0, n).indexOf(NEWLINE);
    if (i >= 0) return pos + i + 1;
    pos += n;
  }
  return size;
}

function openFile(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw openError(path, err);
  }
}

/** Runs `use` on the open file, closing it whatever happens; errors become one line naming the file. */
function withFile<T>(path: string, use: (fd: number) => T): T {
  const fd = openFile(path);
  try {
    return use(fd);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot read: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Reads the lines of one slice of a plain file. */
class SliceSource implements ByteSource {
  readonly sizeOnDisk: number;
  private position: number;
  constructor(readonly name: string, private fd: number, private readonly start: number, private readonly end: number) {
    this.position = start;
    this.sizeOnDisk = end - start;
  }
  async read(into: Uint8Array): Promise<number> {
    const want = Math.min(into.length, this.end - this.position);
    if (want <= 0) return 0;
    let n: number;
    try {
      n = readSync(this.fd, into, 0, want, this.position);
    } catch (err) {
      throw new UserError(`${this.name}: cannot read: ${(err as Error).message}`);
    }
    if (n === 0) throw new UserError(`${this.name}: the file got shorter while it was read`);
    this.position += n;
    return n;
  }
  diskPosition(): number {
    return this.position - this.start;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** The bytes [start, end) of a plain file, one slice planSlices() made (any thread may open any slice). */
export function openSlice(path: string, start: number, end: number): ByteSource {
  return new SliceSource(path, openFile(path), start, end);
}
