// The decoding half of a two-thread replay: decodes the inputs in convert
// mode and streams the events through the ring to the simulating thread. It
// ends with one message saying what only the decoder knows (bad and ignored
// lines, reason names, formats).

import { parentPort, workerData } from 'node:worker_threads';
import { CoreSession, type BadLine } from './core.js';
import { RingWriter, DONE, FAILED, type RingShape } from './ring.js';
import { feedInput, openInput } from '../replay.js';
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

parentPort!.postMessage(await run(workerData as DecodeJob));
