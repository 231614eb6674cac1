// `replay --jobs N`: every input is its own trace, replayed N at a time on
// worker threads (one core each). Results come back in input order whatever
// order the replays finish in, so output never depends on scheduling.

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { replayPaths, type ReplayRequest, type ReplayResult } from './replay.js';
import { UserError } from './errors.js';
import { packageRoot } from './paths.js';
import type { JobOptions, JobOutcome, JobRequest, JobResponse } from './jobs-worker.js';

export interface JobsRequest extends Omit<ReplayRequest, 'paths' | 'onProgress'> {
  /** Each one a separate trace. */
  paths: string[];
  /** Traces replayed at once; 1 replays them one after another on this thread. */
  jobs: number;
}

export function parseJobs(text: string): number {
  if (text === 'auto') return availableParallelism();
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 256) throw new UserError(`--jobs '${text}': expected auto or a number from 1 to 256`);
  return n;
}

/**
 * Replays each path as its own trace and returns one result per path, in
 * input order. Bad lines go to `onBadLine` trace by trace, in input order.
 * A failing trace (a missing file, --max-memory, ...) stops the others from
 * starting; the error thrown is that of the first failing trace in input
 * order, the same one a sequential run would have met first. A trace that
 * --strict stopped ends the run the same way: its result says `stopped`,
 * and the traces after it are not replayed (their results are absent).
 */
export async function replayEach(req: JobsRequest): Promise<ReplayResult[]> {
  if (req.paths.includes('-')) throw new UserError('--jobs replays files: stdin (-) cannot be one of several separate traces');
  const { jobs, paths, onBadLine, ...rest } = req;
  if (jobs <= 1 || paths.length <= 1) {
    const results: ReplayResult[] = [];
    for (const path of paths) {
      const r = await replayPaths({ ...rest, paths: [path], onBadLine });
      results.push(r);
      if (r.stopped) break;
    }
    return results;
  }
  const options: JobOptions = {
    format: rest.format, sizeShift: rest.sizeShift, strict: rest.strict, machine: rest.machine, maxMemoryBytes: rest.maxMemoryBytes,
  };
  const outcomes = await runPool(paths, Math.min(jobs, paths.length), options);
  const results: ReplayResult[] = [];
  for (let i = 0; i < paths.length; i++) {
    const o = outcomes[i];
    if (!o) break; // not started: an earlier trace failed or stopped
    if (!o.ok) throw o.userError ? new UserError(o.message) : new Error(o.message);
    for (const bad of o.bad) onBadLine?.(o.result.traces[0], bad);
    results.push(o.result);
    if (o.result.stopped) break;
  }
  return results;
}

/** Hands the paths out in order to `size` workers; stops handing out at the first failure. */
function runPool(paths: string[], size: number, options: JobOptions): Promise<Array<JobResponse | undefined>> {
  const script = join(packageRoot(), 'dist', 'src', 'jobs-worker.js');
  return new Promise((resolve) => {
    const outcomes: Array<JobResponse | undefined> = new Array(paths.length);
    const slots: Array<{ worker: Worker; index: number }> = [];
    let next = 0;
    let running = 0;
    let halted = false;
    let settled = false;
    const settle = () => {
      if (settled || running > 0 || (!halted && next < paths.length)) return;
      settled = true;
      for (const slot of slots) void slot.worker.terminate();
      resolve(outcomes);
    };
    const start = (slot: { worker: Worker; index: number }) => {
      if (halted || next >= paths.length) return settle();
      slot.index = next++;
      running++;
      const request: JobRequest = { index: slot.index, path: paths[slot.index] };
      slot.worker.postMessage(request);
    };
    /** The slot's trace ended with this outcome (only the first report counts). */
    const done = (slot: { index: number }, outcome: JobOutcome) => {
      if (slot.index < 0) return;
      outcomes[slot.index] = { ...outcome, index: slot.index };
      slot.index = -1;
      running--;
      if (!outcome.ok || outcome.result.stopped) halted = true;
    };
    for (let k = 0; k < size; k++) {
      const slot = { worker: new Worker(script, { workerData: options }), index: -1 };
      slots.push(slot);
      slot.worker.on('message', (m: JobResponse) => {
        done(slot, m);
        start(slot);
      });
      // A worker that dies (a crash, not a bad trace) fails the trace it had.
      slot.worker.on('error', (err) => {
        done(slot, { ok: false, message: err.message, userError: false });
        settle();
      });
      slot.worker.on('exit', () => {
        done(slot, { ok: false, message: 'a replay thread ended without a result', userError: false });
        settle();
      });
      start(slot);
    }
  });
}
