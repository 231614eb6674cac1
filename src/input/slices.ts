// A plain (uncompressed) text file cut into slices of whole lines, so that
// two threads can decode different parts of it. A slice is nominally a byte
// range [start, end); it holds the lines that *start* in that range, so it
// really runs from the first line start at or after `start` to the first at
// or after `end`. Both edges follow the same rule, so the slices of a file
// hold each of its lines exactly once, whoever reads them.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ByteSource } from './source.js';
import { UserError } from '../errors.js';

/** Nominal byte ranges of `sliceBytes` each covering a file of `size` bytes. */
export function planSlices(size: number, sliceBytes: number): Array<[start: number, end: number]> {
  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < size; start += sliceBytes) ranges.push([start, Math.min(size, start + sliceBytes)]);
  if (ranges.length === 0) ranges.push([0, 0]);
  return ranges;
}

const SCAN_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** The first line start at or after byte `at`: just past a newline at or after at - 1 (or the file's end). */
function lineStartAt(fd: number, at: number, size: number): number {
  if (at <= 0) return 0;
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
    const n = readSync(this.fd, into, 0, want, this.position);
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

/** The lines starting in [start, end) of a plain file, read by position (any thread may open any slice). */
export function openSlice(path: string, start: number, end: number): ByteSource {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new UserError(`${path}: cannot open: ${(err as Error).message}`);
  }
  const size = fstatSync(fd).size;
  return new SliceSource(path, fd, lineStartAt(fd, start, size), lineStartAt(fd, end, size));
}
