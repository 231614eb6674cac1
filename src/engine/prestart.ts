// The decoding worker of a two-thread replay, started before the rest of the
// command loads. A worker thread takes about 45 ms to run its first line on
// these machines (an empty one: 41-46 ms after new Worker), and its first
// slice came 53-101 ms after the replay began; started here, in the entry
// (bin.ts), it boots while this thread loads the command and opens the
// inputs, and took its first slice 5-29 ms after the replay began (four runs).
//
// Which command runs is commander's to say (cli.ts): this only guesses from
// the words, and a worker started for nothing waits, unreferenced, for a job
// that never comes. One the pipeline does not take costs some CPU time on
// the other core and nothing else.

import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

let early: Worker | null = null;
let failed = false;

/** The worker's compiled script (tests run against the build too). */
export function decodeWorkerFile(): string {
  return join(packageRoot(), 'dist', 'src', 'engine', 'decode-worker.js');
}

/** Whether `args` (after the program) ask for a replay on two threads: `replay … --threads 2` or `--threads=2`. */
export function asksTwoThreads(args: string[]): boolean {
  if (args[0] !== 'replay') return false;
  for (let i = 1; i < args.length && args[i] !== '--'; i++) {
    if (args[i] === '--threads=2' || (args[i] === '--threads' && args[i + 1] === '2')) return true;
  }
  return false;
}

/** Starts the decoding worker, without its job, when `args` ask for a replay on two threads. */
export function prestartDecoder(args: string[]): void {
  if (!asksTwoThreads(args)) return;
  early = new Worker(decodeWorkerFile(), { workerData: null });
  early.unref();
  // Until it is taken, a failure is only remembered: the pipeline then starts its own and meets it there.
  early.once('error', () => (failed = true));
  early.once('exit', () => (failed = true));
}

/** The worker prestartDecoder started, if it is still well: it waits for its job as its first message. */
export function takePrestarted(): Worker | null {
  const worker = early;
  early = null;
  if (!worker || failed) return null;
  worker.ref();
  return worker;
}
