// A replay on two threads. Plain text files are cut into slices of whole
// lines (src/input/slices.ts) that both threads decode: this thread replays
// the slices in order, each one either decoded here straight into the machine
// (as on one thread) or taken from the worker, which decodes slices into
// events (convert mode) ahead of this thread and sends them through a ring.
// Any other input (gzip, stdin) has one decoder: the worker decodes it all
// while this thread simulates. Both halves are the single-threaded engine's
// own code paths, so the results are the same.

import { Worker } from 'node:worker_threads';
import { CoreSession, type BadLine } from './core.js';
import { createRing, READ_WAIT_MS, RingReader, type RingShape } from './ring.js';
import type { DecodeJob, DecodeOutcome, SliceJob } from './decode-worker.js';
import { CONTROL_WORDS, NEXT_SLICE, RETIRED, STOP, mapFaultReasons, decodeBad, decodeEnd, FrameReader, FRAME_BAD, FRAME_END, FRAME_EVENTS, FRAME_HEADER_BYTES, FRAME_REASONS, type SliceEnd } from './slice-frames.js';
import { openSlice, planSlices } from '../input/slices.js';
import { decodeWorkerFile, takePrestarted } from './prestart.js';
import { decodeReasonTable } from '../input/tlbt.js';
import { plainFileSize, type ByteSource } from '../input/source.js';
import { UserError } from '../errors.js';
import { EVENT_BYTES, BAD_LOG_CAPACITY } from '../../assembly/abi.js';
import type { CollectOptions, Format, MachineConfig, Stats } from '../model.js';
import type { ProgressSample } from '../report/progress.js';

export interface PipelineRequest extends CollectOptions {
  paths: string[];
  format?: Format;
  sizeShift: boolean;
  strict: boolean;
  machine: MachineConfig;
  /** Most WebAssembly memory the simulating core may use. */
  maxMemoryBytes?: number;
  /** Ring geometry (tests use tiny slots to cut events anywhere). */
  shape?: RingShape;
  /** Bytes per slice of a plain text file (tests use tiny ones to cut lines anywhere); 0: do not slice. */
  sliceBytes?: number;
  /** Tests: whether this thread may decode slice i itself (else the worker does; default: whenever nobody took it). */
  mayTake?: (slice: number) => boolean;
  onProgress?: (sample: ProgressSample) => void;
  /** The inputs' bytes on disk, for onProgress. */
  total?: number | null;
}

export interface PipelineResult {
  traces: string[];
  formats: Format[];
  stats: Stats;
  stopped: boolean;
  bad: Array<[trace: string, bad: BadLine]>;
}

const DEFAULT_SHAPE: RingShape = { slots: 8, slotBytes: 1 << 20 };
/** Bytes per slice: fine enough for the two threads to share the work evenly, coarse enough that a slice's set-up is noise. */
const DEFAULT_SLICE_BYTES = 4 << 20;
/** Slices this thread may hold ahead of its turn. */
const MAX_AHEAD = 2;

export async function replayPipelined(req: PipelineRequest): Promise<PipelineResult> {
  const files = req.sliceBytes === 0 ? null : await sliceableInputs(req);
  return files ? replaySliced(req, files) : replayStreamed(req);
}

interface TextFile {
  path: string;
  format: Format;
  size: number;
}

/**
 * The inputs with their formats when every one is a plain text file; else
 * null. Also null when one cannot be sniffed: the streamed replay then
 * meets that error where one thread would (after a --strict stop in an
 * earlier input, say).
 */
async function sliceableInputs(req: { paths: string[]; format?: Format }): Promise<TextFile[] | null> {
  const { openInput } = await import('../replay.js');
  const files: TextFile[] = [];
  for (const path of req.paths) {
    const size = plainFileSize(path);
    if (size === null) return null;
    let format: Format;
    try {
      const input = await openInput(path, req.format);
      input.source.close();
      format = input.format;
    } catch {
      return null;
    }
    if (format === 'tlbt') return null;
    files.push({ path, format, size });
  }
  return files;
}

/** Whether the inputs are plain text files, which two threads decode in slices. */
export async function sliceable(paths: string[], format?: Format): Promise<boolean> {
  return (await sliceableInputs({ paths, format })) !== null;
}

/** The decoding worker, and what it said when it ended. */
class DecodeThread {
  readonly worker: Worker;
  outcome: DecodeOutcome | null = null;
  gone = false;
  readonly finished: Promise<void>;
  constructor(job: DecodeJob) {
    const early = takePrestarted();
    early?.postMessage(job);
    this.worker = early ?? new Worker(decodeWorkerFile(), { workerData: job });
    this.finished = new Promise<void>((resolve) => {
      this.worker.once('message', (m: DecodeOutcome) => {
        this.outcome = m;
        resolve();
      });
      this.worker.once('error', (err) => {
        this.outcome = { ok: false, message: err.message, userError: false };
        resolve();
      });
      this.worker.once('exit', () => {
        this.gone = true;
        resolve();
      });
    });
  }

  /** Whatever the worker wrote is in the ring already: it closes the ring before it says it ended. */
  ended(): boolean {
    return this.gone || this.outcome !== null;
  }

  /** Throws the worker's failure, if it failed. */
  async check(): Promise<DecodeOutcome & { ok: true }> {
    await this.finished;
    const result = this.outcome as DecodeOutcome | null;
    if (!result) throw new Error('the decoding thread ended without a result');
    if (!result.ok) throw result.userError ? new UserError(result.message) : new Error(result.message);
    return result;
  }
}

/** One decoder: the worker decodes every input in order while this thread simulates its events. */
async function replayStreamed(req: PipelineRequest): Promise<PipelineResult> {
  const shape = req.shape ?? DEFAULT_SHAPE;
  const ring = createRing(shape);
  // The decoding thread reads the files: it publishes how far here (bytes on disk).
  const diskBytes = new Float64Array(new SharedArrayBuffer(8));
  const job: DecodeJob = { ring, shape, paths: req.paths, format: req.format, sizeShift: req.sizeShift, strict: req.strict, progress: diskBytes.buffer as SharedArrayBuffer };
  // First, so a core that cannot start leaves no thread behind.
  const session = new CoreSession({
    machine: req.machine, sizeShift: req.sizeShift, maxMemoryBytes: req.maxMemoryBytes, pages: req.pages, frames: req.frames, interval: req.interval,
  });
  const thread = new DecodeThread(job);
  const reader = new RingReader(ring, shape);
  const events: ByteSource = {
    name: req.paths.join(' + '),
    sizeOnDisk: null,
    async read(into) {
      for (;;) {
        const n = reader.read(into, READ_WAIT_MS);
        if (n !== null) return n;
        if (thread.ended()) return reader.read(into, 0) ?? 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    close() {},
  };
  const onProgress = req.onProgress;
  let result: DecodeOutcome & { ok: true };
  try {
    await session.feed({
      source: events,
      format: 'tlbt',
      onProgress: onProgress && ((_fed, records) => onProgress({ bytes: diskBytes[0], total: req.total ?? null, records })),
    });
    result = await thread.check();
  } finally {
    // Also when the simulation failed (e.g. --max-memory) while the worker
    // waits for room in the ring: terminating it ends that wait.
    await thread.worker.terminate();
  }
  session.inherit(result.badLines, result.ignoredLines);
  session.addReasons(result.reasons);
  return { traces: result.traces, formats: result.formats, stats: session.stats(), stopped: result.stopped, bad: result.bad };
}

/**
 * Plain text files in slices, replayed in order here. A slice nobody took
 * yet is decoded here, straight into the machine; one the worker took comes
 * as frames of events. The worker takes the next slice whenever it is done
 * with one; this thread takes one ahead (for when it gets there) whenever it
 * has to wait for the worker. So where decoding costs more than simulating,
 * both threads decode; where simulating costs more, the worker decodes all
 * and this thread only simulates.
 */
async function replaySliced(req: PipelineRequest, files: TextFile[]): Promise<PipelineResult> {
  const shape = req.shape ?? DEFAULT_SHAPE;
  const sliceBytes = req.sliceBytes ?? DEFAULT_SLICE_BYTES;
  const slices = files.flatMap((f, file) => planSlices(f.path, f.size, sliceBytes).map(([start, end]) => ({ path: f.path, format: f.format, start, end, file })));
  const fileStarts: number[] = [];
  files.reduce((start, f) => (fileStarts.push(start), start + f.size), 0);
  const ring = createRing(shape);
  const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  const sliceJob: SliceJob = { slices: slices.map(({ path, format, start, end }) => ({ path, format, start, end })), control: control.buffer as SharedArrayBuffer };
  const job: DecodeJob = { ring, shape, paths: [], sizeShift: req.sizeShift, strict: req.strict, slices: sliceJob };
  const session = new CoreSession({
    machine: req.machine, sizeShift: req.sizeShift, strict: req.strict, maxMemoryBytes: req.maxMemoryBytes, pages: req.pages, frames: req.frames, interval: req.interval,
  });
  const thread = new DecodeThread(job);

  const ahead: number[] = []; // slices this thread took ahead of its turn, in order
  const mayTake = req.mayTake ?? (() => true);
  const take = (index: number) =>
    (mayTake(index) || Atomics.load(control, RETIRED) !== 0) && Atomics.compareExchange(control, NEXT_SLICE, index, index + 1) === index;
  const frames = new FrameReader(new RingReader(ring, shape), {
    stalled() {
      const next = Atomics.load(control, NEXT_SLICE);
      if (ahead.length < MAX_AHEAD && next < slices.length && take(next)) ahead.push(next);
    },
    ended: () => thread.ended(),
  });
  const bad: Array<[string, BadLine]> = [];
  // The first bad lines of the replay, as one thread's core logs them.
  const keep = (trace: string, line: BadLine) => {
    if (bad.length < BAD_LOG_CAPACITY) bad.push([trace, line]);
  };
  const reasons = new ReasonMap(session);
  const onProgress = req.onProgress;
  let stopped = false;
  let lastFile = files.length - 1; // the last input read: a --strict stop ends the list there
  try {
    let lineBase = 0; // lines of the file before the slice
    for (let index = 0; index < slices.length && !stopped; index++) {
      const slice = slices[index];
      lastFile = slice.file;
      if (index > 0 && slice.file !== slices[index - 1].file) lineBase = 0;
      const mine = index === ahead[0] || take(index);
      if (index === ahead[0]) ahead.shift();
      const base = lineBase;
      const onBadLine = (b: BadLine) => keep(slice.path, { ...b, line: b.line + base });
      // Text bytes fed here, or (events from the worker) the slice's start.
      const progress = (text: boolean) =>
        onProgress && ((fed: number, records: number) => onProgress({ bytes: fileStarts[slice.file] + slice.start + (text ? fed : 0), total: req.total ?? null, records }));
      let decodeHere = mine;
      if (!mine) {
        const source = new WorkerSlice(slice.path, frames, reasons, onBadLine);
        await session.feed({ source, format: 'tlbt', onProgress: progress(false) });
        const end = source.end;
        if (!end) {
          await thread.check();
          throw new Error('the decoding thread ended in the middle of a slice');
        }
        decodeHere = !!end.givenBack;
        if (!decodeHere) {
          session.inherit(end.bad, end.ignored);
          lineBase += end.lines;
          stopped = end.stopped;
        }
      }
      if (decodeHere) {
        const before = session.lineCounts().lines;
        const source = openSlice(slice.path, slice.start, slice.end);
        try {
          stopped = !(await session.feed({ source, format: slice.format, onBadLine, onProgress: progress(true) }));
        } finally {
          source.close();
        }
        lineBase += session.lineCounts().lines - before;
      }
    }
  } finally {
    Atomics.store(control, STOP, 1);
    // The worker may wait for room in the ring: terminating it ends that wait.
    await thread.worker.terminate();
  }
  const read = files.slice(0, stopped ? lastFile + 1 : files.length);
  return { traces: read.map((f) => f.path), formats: read.map((f) => f.format), stats: session.stats(), stopped, bad };
}

/** The worker's reason ids in this thread's core: the two cores intern reasons in different orders. */
class ReasonMap {
  private readonly ids: number[] = []; // by the worker's id - 1
  private identity = true;
  constructor(private readonly session: CoreSession) {}

  /** The worker's next reasons (its ids follow on); `scratch` is core memory free to use. */
  add(reasons: Uint8Array[], scratch: Uint8Array): void {
    for (const reason of reasons) {
      const id = this.session.internReason(reason, scratch);
      this.ids.push(id);
      if (id !== this.ids.length) this.identity = false;
    }
  }

  /** Renames the reasons of [PAGE_FAULT] events to this core's ids (ids the worker did not intern stay: 0, or "other"). */
  rename(events: Uint8Array): void {
    if (this.identity) return;
    mapFaultReasons(events, (id) => (id >= 1 && id <= this.ids.length ? this.ids[id - 1] : id));
  }
}

/** The events of one slice the worker decoded, read frame by frame; its bad lines and end on the side. */
class WorkerSlice implements ByteSource {
  readonly sizeOnDisk = null;
  end: SliceEnd | null = null;
  private left = 0; // event bytes of the current frame not yet read
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  constructor(
    readonly name: string,
    private readonly frames: FrameReader,
    private readonly reasons: ReasonMap,
    private readonly onBadLine: (bad: BadLine) => void,
  ) {}

  async read(into: Uint8Array): Promise<number> {
    for (;;) {
      if (this.left > 0) {
        // Whole events only, so each one's reason can be renamed.
        const n = Math.min(this.left, into.length - (into.length % EVENT_BYTES));
        const events = into.subarray(0, n);
        if (!(await this.frames.readFully(events))) return 0;
        this.reasons.rename(events);
        this.left -= n;
        return n;
      }
      if (this.end) return 0;
      if (!(await this.frames.readFully(this.header))) return 0;
      const view = new DataView(this.header.buffer);
      const kind = view.getUint32(0, true);
      const bytes = view.getUint32(4, true);
      if (kind === FRAME_EVENTS) {
        this.left = bytes;
        continue;
      }
      const payload = new Uint8Array(bytes);
      if (!(await this.frames.readFully(payload))) return 0;
      if (kind === FRAME_REASONS) this.reasons.add(decodeReasonTable(this.name, payload), into);
      else if (kind === FRAME_BAD) this.onBadLine(decodeBad(payload));
      else if (kind === FRAME_END) this.end = decodeEnd(payload);
      else throw new Error(`the decoding thread sent an unknown frame (kind ${kind})`);
    }
  }

  close(): void {}
}
