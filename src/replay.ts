// One replay from a path to Stats: open, sniff the format, run the core.

import { openSource } from './input/source.js';
import { sniffFormat } from './input/sniff.js';
import { replayCore, type BadLine } from './engine/core.js';
import { UserError } from './errors.js';
import type { Format, MachineConfig, Stats } from './model.js';

export interface ReplayRequest {
  path: string;
  /** Forced format; sniffed from the first lines when absent. */
  format?: Format;
  sizeShift: boolean;
  strict: boolean;
  machine: MachineConfig;
  onBadLine?: (bad: BadLine) => void;
  onProgress?: (bytesFed: number, sizeOnDisk: number | null) => void;
}

export interface ReplayResult {
  trace: string;
  format: Format;
  stats: Stats;
  seconds: number;
  /** --strict met a bad line: stats cover the lines before it. */
  stopped: boolean;
}

/** Bytes read before the core starts, to tell the format. */
const SNIFF_BYTES = 64 * 1024;

export async function replayPath(req: ReplayRequest): Promise<ReplayResult> {
  const start = performance.now();
  const source = await openSource(req.path);
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    let headLength = 0;
    for (let n = -1; n !== 0 && headLength < head.length; headLength += n) {
      n = await source.read(head.subarray(headLength));
    }
    const format = req.format ?? sniffFormat(head.subarray(0, headLength));
    if (!format) {
      throw new UserError(
        headLength === 0
          ? `${source.name}: empty input, no format to tell (use --format mem|lackey|execlog)`
          : `${source.name}: cannot tell the trace format from its first lines (use --format mem|lackey|execlog)`,
      );
    }
    const { stats, stopped } = await replayCore(source, {
      decode: { format, sizeShift: req.sizeShift },
      machine: req.machine,
      strict: req.strict,
      head: head.subarray(0, headLength),
      onBadLine: req.onBadLine,
      onProgress: req.onProgress && ((fed) => req.onProgress!(fed, source.sizeOnDisk)),
    });
    return { trace: source.name, format, stats, seconds: (performance.now() - start) / 1000, stopped };
  } finally {
    source.close();
  }
}
