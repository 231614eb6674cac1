// From paths to Stats: open each input, tell its format, and run it through
// one core session, so several inputs replay as one trace.

import { statSync } from 'node:fs';
import { openSource, peek, plainFileSize, type ByteSource } from './input/source.js';
import { AUTO_TWO_THREADS_BYTES } from './engine/prestart.js';
import { sniffFormat } from './input/sniff.js';
import { decodeReasonTable, LimitedSource, parseTlbtHeader, TLBT_HEADER_BYTES } from './input/tlbt.js';
import { CoreSession, needsPrePass, prePass, type BadLine, type PrePassResult } from './engine/core.js';
import { UserError } from './errors.js';
import { FORMATS, type CollectOptions, type Format, type MachineConfig, type Stats } from './model.js';
import type { ProgressSample } from './report/progress.js';

export interface ReplayRequest extends CollectOptions {
  paths: string[];
  /** Forced format; sniffed from the first lines of each input when absent. */
  format?: Format;
  sizeShift: boolean;
  strict: boolean;
  machine: MachineConfig;
  /** 2: decode on a worker thread while this one simulates; auto: 2 for large plain text inputs (see useTwoThreads); absent: 1. */
  threads?: 1 | 2 | 'auto';
  /** Most WebAssembly memory the simulating core may use (--max-memory; default 4 GiB). */
  maxMemoryBytes?: number;
  onBadLine?: (trace: string, bad: BadLine) => void;
  /** After every window of input: how far the replay is. */
  onProgress?: (sample: ProgressSample) => void;
}

export interface ReplayResult {
  /** The inputs' names (paths, or "stdin"). */
  traces: string[];
  formats: Format[];
  stats: Stats;
  seconds: number;
  /** --strict met a bad line: stats cover the lines before it. */
  stopped: boolean;
}

/** Bytes read before the core starts, to tell the format. */
const SNIFF_BYTES = 64 * 1024;

interface OpenInput {
  source: ByteSource;
  format: Format;
}

export async function openInput(path: string, forced?: Format): Promise<OpenInput> {
  const opened = await openSource(path);
  try {
    const { head, source } = await peek(opened, SNIFF_BYTES);
    const format = forced ?? sniffFormat(head);
    if (!format) {
      const formats = FORMATS.join('|');
      throw new UserError(
        head.length === 0
          ? `${opened.name}: empty input, no format to tell (use --format ${formats})`
          : `${opened.name}: cannot tell the trace format from its first lines (use --format ${formats})`,
      );
    }
    return { source, format };
  } catch (err) {
    opened.close();
    throw err;
  }
}

/** A .tlbt input is a whole trace (its counts, its reason ids): it is not joined with others. */
export function refuseJoinedTlbt(name: string, format: Format, inputs: number): void {
  if (format === 'tlbt' && inputs > 1) throw new UserError(`${name}: a .tlbt trace replays alone (convert the other inputs together with it)`);
}

/** Feeds one input, a .tlbt file's event region and then its reason table included. */
export async function feedInput(
  session: CoreSession,
  input: OpenInput,
  hooks: { onBadLine?: (bad: BadLine) => void; onProgress?: (fed: number, records: number) => void; onEvents?: (events: Uint8Array) => void },
): Promise<boolean> {
  if (input.format !== 'tlbt') return session.feed({ ...input, ...hooks });
  const name = input.source.name;
  const headerBytes = new Uint8Array(TLBT_HEADER_BYTES);
  let got = 0;
  for (let n = -1; n !== 0 && got < TLBT_HEADER_BYTES; got += n) n = await input.source.read(headerBytes.subarray(got));
  const header = parseTlbtHeader(name, headerBytes.subarray(0, got));
  const events = new LimitedSource(input.source, header.countsValid ? header.events * 24 : Infinity);
  const finished = await session.feed({ source: events, format: 'tlbt', ...hooks });
  if (header.countsValid) session.inherit(header.badLines, header.ignoredLines);
  if (finished && header.reasonTableOffset > 0) session.addReasons(decodeReasonTable(name, await events.rest()));
  return finished;
}

/**
 * Whether the replay runs on two threads. On the bench's 10M-record traces
 * (about 420 MB of text) two threads beat one on every kind, by the median
 * of six runs (bench/README.md, Measured). On less input the worker's start
 * and its first, unoptimized slices cost more than they save: the real
 * trace's first 5M records (209 MB) took 0.123 s on two threads against
 * 0.100 s on one (medians of 9); its first 10M (418 MB) 0.226 s against
 * 0.253 s, even without the worker started early (bin.ts). So auto takes
 * two threads for plain text inputs of AUTO_TWO_THREADS_BYTES (384 MiB) or
 * more. `sizeOf` is plainFileSize (tests give other sizes).
 */
export async function useTwoThreads(req: ReplayRequest, sizeOf = plainFileSize): Promise<boolean> {
  if (req.threads !== 2 && req.threads !== 'auto') return false;
  // The worker cannot read this thread's stdin, a .tlbt input has nothing to
  // decode, and OPT and --alloc trace need the pre-pass (run on this thread).
  if (req.format === 'tlbt' || needsPrePass(req.machine)) return false;
  if (!req.paths.every((path) => path !== '-' && !path.endsWith('.tlbt'))) return false;
  if (req.threads === 2) return true;
  let bytes = 0;
  for (const path of req.paths) {
    const size = sizeOf(path);
    if (size === null) return false;
    bytes += size;
  }
  if (bytes < AUTO_TWO_THREADS_BYTES) return false;
  const { sliceable } = await import('./engine/pipeline.js');
  return sliceable(req.paths, req.format);
}

/** The inputs' bytes on disk, or null when one is stdin (or cannot be read: its error comes later). */
export function totalDiskBytes(paths: string[]): number | null {
  let total = 0;
  for (const path of paths) {
    if (path === '-') return null;
    try {
      total += statSync(path).size;
    } catch {
      return null;
    }
  }
  return total;
}

export async function replayPaths(req: ReplayRequest): Promise<ReplayResult> {
  const start = performance.now();
  if (await useTwoThreads(req)) {
    const { replayPipelined } = await import('./engine/pipeline.js'); // only for large inputs: keeps start-up short
    const r = await replayPipelined({ ...req, total: req.onProgress ? totalDiskBytes(req.paths) : null });
    for (const [trace, bad] of r.bad) req.onBadLine?.(trace, bad);
    return { traces: r.traces, formats: r.formats, stats: r.stats, seconds: (performance.now() - start) / 1000, stopped: r.stopped };
  }
  const options = { machine: req.machine, sizeShift: req.sizeShift, strict: req.strict, maxMemoryBytes: req.maxMemoryBytes };
  let known: PrePassResult = {};
  if (needsPrePass(req.machine)) {
    const why = req.machine.alloc === 'trace' ? '--alloc trace' : '--evict opt';
    if (req.paths.includes('-')) throw new UserError(`${why} reads the trace twice, so it cannot read stdin (give a file)`);
    known = await prePass(options, async (session) => !(await feedPaths(session, req.paths, req.format)).stopped);
  }
  const session = new CoreSession({ ...options, ...known, pages: req.pages, frames: req.frames, interval: req.interval });
  const { traces, formats, stopped } = await feedPaths(session, req.paths, req.format, {
    onBadLine: req.onBadLine,
    onProgress: req.onProgress,
  });
  return { traces, formats, stats: session.stats(), seconds: (performance.now() - start) / 1000, stopped };
}

/**
 * Feeds the inputs, in order, through one session (one trace in several
 * files): for replays, OPT's pre-pass and sweeps alike. Stops at the input
 * where --strict met a bad line.
 */
export async function feedPaths(
  session: CoreSession,
  paths: string[],
  format: Format | undefined,
  hooks: Pick<ReplayRequest, 'onBadLine' | 'onProgress'> = {},
): Promise<{ traces: string[]; formats: Format[]; stopped: boolean }> {
  const total = hooks.onProgress ? totalDiskBytes(paths) : null;
  let doneBytes = 0;
  const traces: string[] = [];
  const formats: Format[] = [];
  for (const path of paths) {
    const input = await openInput(path, format);
    const name = input.source.name;
    traces.push(name);
    formats.push(input.format);
    try {
      refuseJoinedTlbt(name, input.format, paths.length);
      const { onBadLine, onProgress } = hooks;
      const finished = await feedInput(session, input, {
        onBadLine: onBadLine && ((bad) => onBadLine(name, bad)),
        onProgress: onProgress && ((_fed, records) => onProgress({ bytes: doneBytes + (input.source.diskPosition?.() ?? 0), total, records })),
      });
      doneBytes += input.source.sizeOnDisk ?? 0;
      if (!finished) return { traces, formats, stopped: true };
    } finally {
      input.source.close();
    }
  }
  return { traces, formats, stopped: false };
}
