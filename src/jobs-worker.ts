// One thread of `replay --jobs`: replays, one after another, the traces the
// main thread hands it, each as its own trace on this thread, and sends each
// result back.

import { parentPort, workerData } from 'node:worker_threads';
import { replayPaths, type ReplayResult } from './replay.js';
import { UserError } from './errors.js';
import type { BadLine } from './engine/core.js';
import type { Format, MachineConfig } from './model.js';

/** What every trace of the run shares. */
export interface JobOptions {
  format?: Format;
  sizeShift: boolean;
  strict: boolean;
  machine: MachineConfig;
  maxMemoryBytes?: number;
}

export interface JobRequest {
  index: number;
  path: string;
}

export type JobOutcome =
  | { ok: true; result: ReplayResult; bad: BadLine[] }
  | { ok: false; message: string; userError: boolean };

export type JobResponse = { index: number } & JobOutcome;

/** Bad lines passed back per trace; the CLI shows fewer. */
const BAD_LINES_KEPT = 100;

async function replayOne(options: JobOptions, path: string): Promise<JobOutcome> {
  const bad: BadLine[] = [];
  try {
    const result = await replayPaths({
      ...options,
      paths: [path],
      threads: 1, // the jobs are the parallelism
      onBadLine: (_trace, b) => {
        if (bad.length < BAD_LINES_KEPT) bad.push(b);
      },
    });
    return { ok: true, result, bad };
  } catch (err) {
    return { ok: false, message: (err as Error).message, userError: err instanceof UserError };
  }
}

const options = workerData as JobOptions;
parentPort!.on('message', async (request: JobRequest) => {
  const response: JobResponse = { index: request.index, ...(await replayOne(options, request.path)) };
  parentPort!.postMessage(response);
});
