// The decoding half of a two-thread replay, in convert mode. Streamed: it
// decodes the inputs and sends their events through the ring to the
// simulating thread, then one message saying what only the decoder knows (bad
// and ignored lines, reason names, formats). Sliced: it decodes the slices it
// takes and sends each one's frames (slice-frames.ts), which say all that.

import { parentPort, workerData } from 'node:worker_threads';
import { CoreSession, type BadLine } from './core.js';
import { RingWriter, DONE, FAILED, type RingShape } from './ring.js';
import { FrameWriter, mapFaultReasons, NEXT_SLICE, RETIRED, STOP } from './slice-frames.js';
import { REASON_CAPACITY } from '../../assembly/abi.js';
import { feedInput, openInput, refuseJoinedTlbt } from '../replay.js';
import { openSlice } from '../input/slices.js';
import { UserError } from '../errors.js';
import { DEFAULT_MACHINE, type Format } from '../model.js';

export interface DecodeJob {
  ring: SharedArrayBuffer;
  shape: RingShape;
  paths: string[];
  format?: Format;
  sizeShift: boolean;
  strict: boolean;
  /** A Float64Array[1]: bytes of the inputs read from disk so far (progress). */
  progress?: SharedArrayBuffer;
  /** A sliced replay: decode the slices this thread takes (`paths`, `format` and `progress` are then unused). */
  slices?: SliceJob;
}

/** The slices of a sliced replay, numbered across the inputs in order (pipeline.ts). */
export interface SliceJob {
  slices: Array<{ path: string; format: Format; start: number; end: number }>;
  /** Int32Array: the control words (slice-frames.ts). */
  control: SharedArrayBuffer;
}

export type DecodeOutcome =
  | {
      ok: true;
      traces: string[];
      formats: Format[];
      bad: Array<[trace: string, bad: BadLine]>;
      badLines: number;
      ignoredLines: number;
      reasons: Uint8Array[];
      stopped: boolean;
    }
  | { ok: false; message: string; userError: boolean };

/** Bad lines passed back; the CLI shows fewer. */
const BAD_LINES_KEPT = 100;

async function run(job: DecodeJob): Promise<DecodeOutcome> {
  const writer = new RingWriter(job.ring, job.shape);
  try {
    if (job.slices) return await decodeSlices(job.slices, job, writer);
    const session = new CoreSession({ machine: DEFAULT_MACHINE, sizeShift: job.sizeShift, strict: job.strict, convert: true });
    const outcome = { ok: true as const, traces: [] as string[], formats: [] as Format[], bad: [] as Array<[string, BadLine]>, stopped: false };
    const progress = job.progress ? new Float64Array(job.progress) : null;
    let doneBytes = 0;
    for (const path of job.paths) {
      const input = await openInput(path, job.format);
      const name = input.source.name;
      outcome.traces.push(name);
      outcome.formats.push(input.format);
      try {
        refuseJoinedTlbt(name, input.format, job.paths.length);
        const finished = await feedInput(session, input, {
          onBadLine: (bad) => {
            if (outcome.bad.length < BAD_LINES_KEPT) outcome.bad.push([name, bad]);
          },
          onEvents: (events) => writer.write(events),
          onProgress: progress ? () => (progress[0] = doneBytes + (input.source.diskPosition?.() ?? 0)) : undefined,
        });
        doneBytes += input.source.sizeOnDisk ?? 0;
        if (!finished) {
          outcome.stopped = true;
          break;
        }
      } finally {
        input.source.close();
      }
    }
    const stats = session.stats();
    writer.close(DONE);
    return { ...outcome, badLines: stats.badLines, ignoredLines: stats.ignoredLines, reasons: session.reasons() };
  } catch (err) {
    writer.close(FAILED);
    return { ok: false, message: (err as Error).message, userError: err instanceof UserError };
  }
}

/**
 * Takes slices (Atomics.add on the shared counter) until none is left or
 * the replay stops, and sends each one's frames. The reasons its core
 * interns go out before the events that name them.
 */
async function decodeSlices(job: SliceJob, options: DecodeJob, writer: RingWriter): Promise<DecodeOutcome> {
  const control = new Int32Array(job.control);
  const frames = new FrameWriter(writer);
  const session = new CoreSession({ machine: DEFAULT_MACHINE, sizeShift: options.sizeShift, strict: options.strict, convert: true });
  let reasonsSent = 0;
  const sendReasons = () => {
    if (session.reasonCount() === reasonsSent) return;
    frames.reasons(session.reasons(reasonsSent));
    reasonsSent = session.reasonCount();
  };
  for (;;) {
    if (Atomics.load(control, STOP) !== 0) break;
    const index = Atomics.add(control, NEXT_SLICE, 1);
    if (index >= job.slices.length) break;
    const { path, format, start, end } = job.slices[index];
    const before = session.lineCounts();
    const source = openSlice(path, start, end);
    let finished: boolean;
    try {
      // No onEvents: the slice's events stay in the core's output until the
      // slice ends, and go from there straight into the ring.
      finished = await session.feed({ source, format, onBadLine: (bad) => frames.bad(bad) });
    } finally {
      source.close();
    }
    sendReasons();
    const after = session.lineCounts();
    const sliceEnd = { lines: after.lines - before.lines, bad: after.bad - before.bad, ignored: after.ignored - before.ignored, stopped: !finished, givenBack: false };
    session.handOutEvents((events) => {
      sliceEnd.givenBack = session.reasonCount() >= REASON_CAPACITY && namesOther(events);
      // Its table stays full, so every later slice would risk the same: this
      // thread takes no more. Said before the slice ends, so the other thread
      // knows it when it gets there.
      if (sliceEnd.givenBack) Atomics.store(control, RETIRED, 1);
      frames.end(sliceEnd, events);
    });
    if (sliceEnd.givenBack || !finished) break;
  }
  writer.close(DONE);
  return { ok: true, traces: [], formats: [], bad: [], badLines: 0, ignoredLines: 0, reasons: [], stopped: false };
}

/** Whether some [PAGE_FAULT] event names its reason "other" (not in the full reason table). */
function namesOther(events: Uint8Array): boolean {
  let other = false;
  mapFaultReasons(events, (id) => ((other ||= id === REASON_CAPACITY + 1), id));
  return other;
}

// Started early (prestart.ts), the worker gets its job as its first message.
const job = (workerData as DecodeJob | null) ?? (await new Promise<DecodeJob>((resolve) => parentPort!.once('message', resolve)));
parentPort!.postMessage(await run(job));
