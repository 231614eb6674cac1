// The progress bar of long replays, on stderr and only when stderr is a
// terminal (never in a file, a pipe or CI logs). Bytes are the inputs' bytes
// on disk (a gzip file's compressed bytes, as that is what its size says);
// records/s and the ETA come from the replay so far. Redrawn at most ten
// times a second, and erased at the end so the report starts on a clean line.
// Hand-written: one line of arithmetic does not earn a dependency.

export interface ProgressSample {
  /** Bytes of all inputs read from disk so far. */
  bytes: number;
  /** Bytes of all inputs on disk; null when unknown (stdin). */
  total: number | null;
  records: number;
}

const REDRAW_MS = 100;
/** Replays shorter than this never show a bar. */
const QUIET_MS = 500;

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** One line of progress, `columns` wide at most. */
export function progressLine(p: ProgressSample, elapsedSeconds: number, columns: number): string {
  const rate = elapsedSeconds > 0 ? p.records / elapsedSeconds : 0;
  const speed = `${(rate / 1e6).toFixed(2)} M rec/s`;
  if (p.total === null || p.total === 0) return `${mb(p.bytes)} MB  ${speed}`.slice(0, columns);
  const fraction = Math.min(1, p.bytes / p.total);
  const eta = fraction > 0 ? (elapsedSeconds * (1 - fraction)) / fraction : Infinity;
  const tail = ` ${(100 * fraction).toFixed(0).padStart(3)}%  ${mb(p.bytes)}/${mb(p.total)} MB  ${speed}  ETA ${clock(eta)}`;
  const barWidth = Math.max(10, Math.min(40, columns - tail.length - 2));
  const filled = Math.round(barWidth * fraction);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${tail}`.slice(0, columns);
}

export interface Progress {
  update(sample: ProgressSample): void;
  done(): void;
}

export const NO_PROGRESS: Progress = { update() {}, done() {} };

/** A bar on `stream` when it is a terminal; else nothing at all. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return NO_PROGRESS;
  const start = performance.now();
  let last = 0;
  let shown = false;
  return {
    update(sample) {
      const now = performance.now();
      if (now - start < QUIET_MS || now - last < REDRAW_MS) return;
      last = now;
      shown = true;
      stream.write(`\r${progressLine(sample, (now - start) / 1000, (stream.columns || 80) - 1)}\x1b[K`);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
