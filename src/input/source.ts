// Where trace bytes come from: a file, stdin ('-'), gzip-compressed or not.
// A plain file is read with readSync straight into the caller's buffer (the
// WASM window); compressed and piped input arrive as chunks and are copied.

import { closeSync, createReadStream, openSync, readSync, fstatSync } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { UserError } from '../errors.js';

export interface ByteSource {
  /** The name used in messages: the path, or 'stdin'. */
  readonly name: string;
  /** Total bytes on disk when known (a compressed file's compressed size). */
  readonly sizeOnDisk: number | null;
  /** Fills `into` as far as it can; 0 means end of input. */
  read(into: Uint8Array): Promise<number>;
  /** Bytes read from disk so far (a compressed file's compressed bytes), for progress. */
  diskPosition?(): number;
  close(): void;
}

const GZIP_MAGIC = [0x1f, 0x8b];

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

class FileSource implements ByteSource {
  private position = 0;
  constructor(readonly name: string, private fd: number, readonly sizeOnDisk: number) {}
  async read(into: Uint8Array): Promise<number> {
    const n = readSync(this.fd, into, 0, into.length, null);
    this.position += n;
    return n;
  }
  diskPosition(): number {
    return this.position;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Pulls chunks from an async iterable and hands them out in any sizes. */
class StreamSource implements ByteSource {
  private pending: Uint8Array = new Uint8Array(0);
  private iterator: AsyncIterator<Uint8Array>;
  constructor(
    readonly name: string,
    chunks: AsyncIterable<Uint8Array>,
    readonly sizeOnDisk: number | null,
    private describeError: (err: unknown) => string,
    private onClose: () => void = () => {},
    /** Bytes read from disk so far, when the chunks come from a file. */
    readonly diskPosition?: () => number,
  ) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }
  async read(into: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < into.length) {
      if (this.pending.length === 0) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await this.iterator.next();
        } catch (err) {
          throw new UserError(this.describeError(err));
        }
        if (next.done) break;
        this.pending = next.value;
      }
      const n = Math.min(this.pending.length, into.length - filled);
      into.set(this.pending.subarray(0, n), filled);
      this.pending = this.pending.subarray(n);
      filled += n;
    }
    return filled;
  }
  close(): void {
    this.onClose();
  }
}

/** Counts bytes that went into the gunzip stream, to say how far a broken one got. */
function gunzipped(name: string, compressed: Readable, sizeOnDisk: number | null): ByteSource {
  // Large chunks: the defaults (16 KiB) cost more in stream overhead than inflating.
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  let inflated = 0;
  let compressedBytes = 0;
  gunzip.on('data', (chunk: Buffer) => (inflated += chunk.length));
  compressed.on('data', (chunk: Buffer) => (compressedBytes += chunk.length));
  compressed.on('error', (err) => gunzip.destroy(err));
  compressed.pipe(gunzip);
  const describe = (err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'Z_BUF_ERROR' || /unexpected end/i.test(String(err))
      ? 'gzip stream is truncated'
      : `gzip stream is corrupt (${(err as Error).message})`;
    return `${name}: ${why}, after ${inflated} decompressed bytes`;
  };
  return new StreamSource(name, gunzip, sizeOnDisk, describe, () => {
    compressed.destroy();
    gunzip.destroy();
  }, () => compressedBytes);
}

/** An open that failed, in one line naming the file. */
export function openError(path: string, err: unknown): UserError {
  const e = err as NodeJS.ErrnoException;
  const why =
    e.code === 'ENOENT' ? 'no such file'
    : e.code === 'EACCES' ? 'permission denied'
    : e.code === 'EISDIR' ? 'is a directory'
    : e.message;
  return new UserError(`${path}: cannot open: ${why}`);
}

export async function openSource(path: string): Promise<ByteSource> {
  if (path === '-') return openStdin();
  let fd: number;
  try {
    fd = openSync(path, 'r');
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (err) {
    throw openError(path, err);
  }
  const size = fstatSync(fd).size;
  if (!startsGzip(fd)) return new FileSource(path, fd, size);
  const small = size <= SMALL_GZIP_BYTES ? inflateSmall(path, fd, size) : null;
  closeSync(fd);
  return small ?? gunzipped(path, createReadStream(path, { highWaterMark: 1 << 20 }), size);
}

/** A file's size when it can be read in slices (src/input/slices.ts): a plain file, not gzip-compressed; else null. */
export function plainFileSize(path: string): number | null {
  if (path === '-') return null;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null; // its error comes when it is opened to be read
  }
  try {
    const stat = fstatSync(fd);
    return stat.isFile() && !startsGzip(fd) ? stat.size : null;
  } finally {
    closeSync(fd);
  }
}

/** Whether the open file starts with gzip's magic bytes (read at offset 0, so the file position stays). */
function startsGzip(fd: number): boolean {
  const head = new Uint8Array(2);
  return isGzip(head.subarray(0, readSync(fd, head, 0, 2, 0)));
}

/** Compressed files this small are inflated in one call... */
const SMALL_GZIP_BYTES = 256 << 10;
/** ...when they inflate to at most this much (else they stream, so memory stays bounded). */
const SMALL_GZIP_INFLATED = 16 << 20;

/**
 * A small gzip file inflated at once: setting up streams costs 10-15 ms,
 * most of a small trace's replay. Null when it inflates to more than
 * SMALL_GZIP_INFLATED or fails: the stream then reads it, and words any
 * error as it always does.
 */
function inflateSmall(name: string, fd: number, size: number): ByteSource | null {
  const compressed = Buffer.allocUnsafe(size);
  let got = 0;
  for (let n = -1; n !== 0 && got < size; got += n) n = readSync(fd, compressed, got, size - got, got);
  try {
    const source = bufferSource(name, gunzipSync(compressed.subarray(0, got), { maxOutputLength: SMALL_GZIP_INFLATED }));
    return { ...source, sizeOnDisk: size };
  } catch {
    return null;
  }
}

async function openStdin(): Promise<ByteSource> {
  const iterator = process.stdin[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
  async function* all(): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  if (isGzip(head)) return gunzipped('stdin', Readable.from(all()), null);
  return new StreamSource('stdin', all(), null, (err) => `stdin: ${(err as Error).message}`);
}

/** An in-memory source, for tests and for callers that already hold the bytes. */
export function bufferSource(name: string, bytes: Uint8Array): ByteSource {
  let offset = 0;
  return {
    name,
    sizeOnDisk: bytes.length,
    async read(into) {
      const n = Math.min(into.length, bytes.length - offset);
      into.set(bytes.subarray(offset, offset + n));
      offset += n;
      return n;
    },
    diskPosition: () => offset,
    close() {},
  };
}

/** A source that first returns `head` (bytes already read from `inner`), then the rest of `inner`. */
export function prefixed(head: Uint8Array, inner: ByteSource): ByteSource {
  let pending = head;
  return {
    name: inner.name,
    sizeOnDisk: inner.sizeOnDisk,
    async read(into) {
      if (pending.length === 0) return inner.read(into);
      const n = Math.min(into.length, pending.length);
      into.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      return n;
    },
    close: () => inner.close(),
    diskPosition: inner.diskPosition && (() => inner.diskPosition!()),
  };
}

/** Reads up to `n` bytes from the start of a source, and the source to read everything from. */
export async function peek(source: ByteSource, n: number): Promise<{ head: Uint8Array; source: ByteSource }> {
  const head = new Uint8Array(n);
  let length = 0;
  for (let got = -1; got !== 0 && length < n; length += got) got = await source.read(head.subarray(length));
  return { head: head.subarray(0, length), source: prefixed(head.subarray(0, length), source) };
}
