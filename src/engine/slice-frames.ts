// What goes through the ring in a sliced replay (pipeline.ts): for each slice
// the decoding thread takes, frames of its events, of the reasons its core
// interned for them (before the first event that names one), of its bad
// lines, and one frame for the slice's end. A frame is a u32 kind and a u32
// payload length, then the payload.

import type { BadLine } from './core.js';
import { READ_WAIT_MS, type RingReader, type RingWriter } from './ring.js';
import { encodeReasonTable } from '../input/tlbt.js';
import { EVENT_BYTES, OP_PAGE_FAULT } from '../../assembly/abi.js';

/** The shared control words (Int32Array): the next slice nobody took, 1 once the replay stops, 1 once the worker takes no more. */
export const NEXT_SLICE = 0;
export const STOP = 1;
export const RETIRED = 2;
export const CONTROL_WORDS = 3;

export const FRAME_EVENTS = 1;
export const FRAME_REASONS = 2;
export const FRAME_BAD = 3;
export const FRAME_END = 4;

export const FRAME_HEADER_BYTES = 8;
const END_BYTES = 32;

/** What the decoding thread read of a slice: its lines, bad and ignored lines, and whether --strict stopped in it. */
export interface SliceEnd {
  lines: number;
  bad: number;
  ignored: number;
  stopped: boolean;
  /** The worker did not decode it after all (its frames were dropped): the reading thread must. */
  givenBack?: boolean;
}

/** A frame's header: its kind and its payload's length. */
function header(kind: number, payloadBytes: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  bytes.writeUInt32LE(kind, 0);
  bytes.writeUInt32LE(payloadBytes, 4);
  return bytes;
}

/**
 * Frames of one slice, held until the slice ends: a slice whose events name
 * a reason as "other" (the worker's reason table was full) is given back
 * whole, since this thread's table may know that reason.
 */
export class FrameWriter {
  private held: Uint8Array[] = [];
  constructor(private readonly ring: RingWriter) {}

  private frame(kind: number, payload: Uint8Array): void {
    this.held.push(header(kind, payload.length), payload);
  }

  /** Reasons the decoder interned since the last such frame, in their order (their ids follow on), as a .tlbt file's table. */
  reasons(reasons: Uint8Array[]): void {
    this.frame(FRAME_REASONS, encodeReasonTable(reasons));
  }

  bad(bad: BadLine): void {
    this.frame(FRAME_BAD, Buffer.from(JSON.stringify(bad)));
  }

  /**
   * Ends the slice: sends its frames, then its events (all of them, after
   * every reason they name, copied straight from `events` into the ring),
   * and hands them over at once; or (`givenBack`) only says the other
   * thread must decode it.
   */
  end(end: SliceEnd, events: Uint8Array): void {
    if (end.givenBack) this.held = [];
    else if (events.length > 0) this.held.push(header(FRAME_EVENTS, events.length), events);
    const payload = new DataView(new ArrayBuffer(END_BYTES));
    payload.setFloat64(0, end.lines, true);
    payload.setFloat64(8, end.bad, true);
    payload.setFloat64(16, end.ignored, true);
    payload.setUint32(24, (end.stopped ? 1 : 0) | (end.givenBack ? 2 : 0), true);
    this.frame(FRAME_END, new Uint8Array(payload.buffer));
    for (const bytes of this.held) this.ring.write(bytes);
    this.held = [];
    this.ring.flush();
  }
}

export function decodeBad(payload: Uint8Array): BadLine {
  return JSON.parse(Buffer.from(payload).toString()) as BadLine;
}

export function decodeEnd(payload: Uint8Array): SliceEnd {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const flags = view.getUint32(24, true);
  return { lines: view.getFloat64(0, true), bad: view.getFloat64(8, true), ignored: view.getFloat64(16, true), stopped: (flags & 1) !== 0, givenBack: (flags & 2) !== 0 };
}

/**
 * Replaces the reason id of every [PAGE_FAULT] event in `events` (whole
 * events) by `rename(id)`. The layout is assembly/records.ts's: the op at
 * byte 20, the reason id at byte 16.
 */
export function mapFaultReasons(events: Uint8Array, rename: (id: number) => number): void {
  const view = new DataView(events.buffer, events.byteOffset, events.byteLength);
  for (let at = 0; at < events.length; at += EVENT_BYTES) {
    if (events[at + 20] === OP_PAGE_FAULT) view.setUint32(at + 16, rename(view.getUint32(at + 16, true)), true);
  }
}

/** Reads exact byte counts from the ring, waiting for the decoding thread. */
export class FrameReader {
  constructor(
    private readonly ring: RingReader,
    private readonly waiting: {
      /** The ring had nothing ready: called once per read that has to wait. */
      stalled(): void;
      /** The decoding thread ended (everything it wrote is in the ring). */
      ended(): boolean;
    },
  ) {}

  /** Fills `into`; false when the ring ended first (the decoding thread failed or stopped). */
  async readFully(into: Uint8Array): Promise<boolean> {
    let filled = 0;
    let stalled = false;
    while (filled < into.length) {
      const n = this.ring.read(into.subarray(filled), stalled ? READ_WAIT_MS : 0);
      if (n === 0) return false;
      if (n !== null) {
        filled += n;
        continue;
      }
      if (!stalled) {
        stalled = true;
        this.waiting.stalled();
      } else if (this.waiting.ended()) {
        const last = this.ring.read(into.subarray(filled), 0);
        if (!last) return false;
        filled += last;
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return true;
  }
}
