// A replay on two threads: a worker decodes text into events (convert mode)
// while this thread simulates them as a .tlbt stream. Both halves are the
// single-threaded engine's own code paths, so the results are the same.

import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { CoreSession, type BadLine } from './core.js';
import { createRing, RingReader, type RingShape } from './ring.js';
import type { DecodeJob, DecodeOutcome } from './decode-worker.js';
import type { ByteSource } from '../input/source.js';
import { UserError } from '../errors.js';
import { packageRoot } from '../paths.js';
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
/** How long the simulating thread blocks before letting the event loop run. */
const WAIT_MS = 20;

export async function replayPipelined(req: PipelineRequest): Promise<PipelineResult> {
  const shape = req.shape ?? DEFAULT_SHAPE;
  const ring = createRing(shape);
  // The decoding thread reads the files: it publishes how far here (bytes on disk).
  const diskBytes = new Float64Array(new SharedArrayBuffer(8));
  const job: DecodeJob = { ring, shape, paths: req.paths, format: req.format, sizeShift: req.sizeShift, strict: req.strict, progress: diskBytes.buffer as SharedArrayBuffer };
  // First, so a core that cannot start leaves no thread behind.
  const session = new CoreSession({
    machine: req.machine, sizeShift: req.sizeShift, maxMemoryBytes: req.maxMemoryBytes, pages: req.pages, interval: req.interval,
  });
  // The worker runs the compiled driver (tests run against the build too).
  const worker = new Worker(join(packageRoot(), 'dist', 'src', 'engine', 'decode-worker.js'), { workerData: job });
  let outcome: DecodeOutcome | null = null;
  let gone = false;
  const finished = new Promise<void>((resolve) => {
    worker.once('message', (m: DecodeOutcome) => {
      outcome = m;
      resolve();
    });
    worker.once('error', (err) => {
      outcome = { ok: false, message: err.message, userError: false };
      resolve();
    });
    worker.once('exit', () => {
      gone = true;
      resolve();
    });
  });

  const reader = new RingReader(ring, shape);
  const events: ByteSource = {
    name: req.paths.join(' + '),
    sizeOnDisk: null,
    async read(into) {
      for (;;) {
        const n = reader.read(into, WAIT_MS);
        if (n !== null) return n;
        // The worker is done: whatever it wrote is in the ring already (it
        // closes the ring before it says so), so one more look is the end.
        if (gone || outcome !== null) return reader.read(into, 0) ?? 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    close() {},
  };
  const onProgress = req.onProgress;
  try {
    await session.feed({
      source: events,
      format: 'tlbt',
      onProgress: onProgress && ((_fed, records) => onProgress({ bytes: diskBytes[0], total: req.total ?? null, records })),
    });
    await finished;
  } finally {
    // Also when the simulation failed (e.g. --max-memory) while the worker
    // waits for room in the ring: terminating it ends that wait.
    await worker.terminate();
  }
  const result = outcome as DecodeOutcome | null;
  if (!result) throw new Error('the decoding thread ended without a result');
  if (!result.ok) throw result.userError ? new UserError(result.message) : new Error(result.message);
  session.inherit(result.badLines, result.ignoredLines);
  session.addReasons(result.reasons);
  return { traces: result.traces, formats: result.formats, stats: session.stats(), stopped: result.stopped, bad: result.bad };
}
