// The .tlbt binary replay format's header and reason table (docs/formats.md);
// the events themselves are read and written by the WASM core.

import { writeSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { ByteSource } from './source.js';

export const TLBT_MAGIC = Buffer.from('TLBTRACE', 'latin1');
export const TLBT_VERSION = 1;
export const TLBT_HEADER_BYTES = 64;
const FLAG_COUNTS_VALID = 1;

export interface TlbtHeader {
  /** The counts below were written at the end of the conversion. */
  countsValid: boolean;
  records: number;
  events: number;
  badLines: number;
  ignoredLines: number;
  /** Byte offset of the reason table, 0 if none. */
  reasonTableOffset: number;
}

export function isTlbt(head: Uint8Array): boolean {
  return head.length >= TLBT_MAGIC.length && TLBT_MAGIC.equals(head.subarray(0, TLBT_MAGIC.length));
}

export function parseTlbtHeader(name: string, head: Uint8Array): TlbtHeader {
  if (head.length < TLBT_HEADER_BYTES || !isTlbt(head)) throw new UserError(`${name}: not a .tlbt file (bad header)`);
  const view = new DataView(head.buffer, head.byteOffset, TLBT_HEADER_BYTES);
  const version = view.getUint16(8, true);
  if (version !== TLBT_VERSION) {
    throw new UserError(`${name}: .tlbt version ${version}; this tlbscope reads version ${TLBT_VERSION}`);
  }
  const u64 = (offset: number) => Number(view.getBigUint64(offset, true));
  return {
    countsValid: (view.getUint32(12, true) & FLAG_COUNTS_VALID) !== 0,
    records: u64(16),
    events: u64(24),
    badLines: u64(32),
    ignoredLines: u64(40),
    reasonTableOffset: u64(48),
  };
}

export function encodeTlbtHeader(h: Omit<TlbtHeader, 'countsValid'>): Buffer {
  const b = Buffer.alloc(TLBT_HEADER_BYTES);
  TLBT_MAGIC.copy(b, 0);
  b.writeUInt16LE(TLBT_VERSION, 8);
  b.writeUInt16LE(TLBT_HEADER_BYTES, 10);
  b.writeUInt32LE(FLAG_COUNTS_VALID, 12);
  b.writeBigUInt64LE(BigInt(h.records), 16);
  b.writeBigUInt64LE(BigInt(h.events), 24);
  b.writeBigUInt64LE(BigInt(h.badLines), 32);
  b.writeBigUInt64LE(BigInt(h.ignoredLines), 40);
  b.writeBigUInt64LE(BigInt(h.reasonTableOffset), 48);
  return b;
}

export function encodeReasonTable(reasons: Uint8Array[]): Buffer {
  const parts = [Buffer.alloc(4)];
  parts[0].writeUInt32LE(reasons.length);
  for (const reason of reasons) {
    const text = Buffer.from(reason);
    const length = Buffer.alloc(2);
    length.writeUInt16LE(text.length);
    parts.push(length, text);
  }
  return Buffer.concat(parts);
}

export function decodeReasonTable(name: string, bytes: Uint8Array): Uint8Array[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = () => new UserError(`${name}: .tlbt reason table is truncated or corrupt`);
  if (b.length < 4) throw bad();
  const count = b.readUInt32LE(0);
  const out: Uint8Array[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 2 > b.length) throw bad();
    const length = b.readUInt16LE(at);
    if (at + 2 + length > b.length) throw bad();
    out.push(b.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return out;
}

/**
 * A source that ends after `limit` bytes (the event region of a .tlbt file);
 * rest() then reads what follows (the reason table).
 */
export class LimitedSource implements ByteSource {
  private left: number;
  constructor(private readonly inner: ByteSource, limit: number) {
    this.left = limit;
  }
  get name() {
    return this.inner.name;
  }
  get sizeOnDisk() {
    return this.inner.sizeOnDisk;
  }
  diskPosition(): number {
    return this.inner.diskPosition?.() ?? 0;
  }
  async read(into: Uint8Array): Promise<number> {
    if (this.left <= 0) return 0;
    const n = await this.inner.read(into.subarray(0, Math.min(into.length, this.left)));
    this.left -= n;
    return n;
  }
  async rest(): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    const chunk = Buffer.alloc(64 * 1024);
    for (let n = await this.inner.read(chunk); n > 0; n = await this.inner.read(chunk)) chunks.push(Buffer.from(chunk.subarray(0, n)));
    return Buffer.concat(chunks);
  }
  close(): void {
    this.inner.close();
  }
}

/** Writes a whole buffer to fd, at `position` when given. */
export function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
  }
}
