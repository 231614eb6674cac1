// `tlbscope convert`: decode inputs of any format once and write their events
// to a .tlbt file, which replays to the same results without parsing.

import { closeSync, openSync } from 'node:fs';
import { CoreSession, type BadLine } from './engine/core.js';
import { UserError } from './errors.js';
import { encodeReasonTable, encodeTlbtHeader, TLBT_HEADER_BYTES, writeAll } from './input/tlbt.js';
import { DEFAULT_MACHINE, type Format } from './model.js';
import { feedInput, openInput } from './replay.js';

export interface ConvertRequest {
  paths: string[];
  output: string;
  format?: Format;
  sizeShift: boolean;
  strict: boolean;
  onBadLine?: (trace: string, bad: BadLine) => void;
}

export interface ConvertResult {
  records: number;
  events: number;
  badLines: number;
  bytes: number;
  /** --strict met a bad line: nothing usable was written. */
  stopped: boolean;
}

export async function convertPaths(req: ConvertRequest): Promise<ConvertResult> {
  let fd: number;
  try {
    fd = openSync(req.output, 'w');
  } catch (err) {
    throw new UserError(`${req.output}: cannot write: ${(err as Error).message}`);
  }
  try {
    // The machine is not used in convert mode; the session only decodes.
    const session = new CoreSession({ machine: DEFAULT_MACHINE, sizeShift: req.sizeShift, strict: req.strict, convert: true });
    writeAll(fd, Buffer.alloc(TLBT_HEADER_BYTES)); // the real header is written last, with the counts
    let bytes = TLBT_HEADER_BYTES;
    for (const path of req.paths) {
      const input = await openInput(path, req.format);
      const name = input.source.name;
      try {
        const finished = await feedInput(session, input, {
          onBadLine: req.onBadLine && ((bad) => req.onBadLine!(name, bad)),
          onEvents: (events) => {
            writeAll(fd, events);
            bytes += events.length;
          },
        });
        if (!finished) return { records: 0, events: 0, badLines: 0, bytes: 0, stopped: true };
      } finally {
        input.source.close();
      }
    }
    const stats = session.stats();
    const events = (bytes - TLBT_HEADER_BYTES) / 24;
    const reasons = session.reasons();
    const table = encodeReasonTable(reasons);
    writeAll(fd, table);
    const header = encodeTlbtHeader({
      records: stats.records,
      events,
      badLines: stats.badLines,
      ignoredLines: stats.ignoredLines,
      reasonTableOffset: reasons.length > 0 ? bytes : 0,
    });
    writeAll(fd, header, 0);
    return { records: stats.records, events, badLines: stats.badLines, bytes: bytes + table.length, stopped: false };
  } finally {
    closeSync(fd);
  }
}
