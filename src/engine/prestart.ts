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
import { plainFileSize } from '../input/source.js';

/** --threads auto takes two threads for plain text inputs of this many bytes or more (measured: replay.ts, useTwoThreads). */
export const AUTO_TWO_THREADS_BYTES = 384 * 2 ** 20;

let early: Worker | null = null;
let failed = false;

/** The worker's compiled script (tests run against the build too). */
export function decodeWorkerFile(): string {
  return join(packageRoot(), 'dist', 'src', 'engine', 'decode-worker.js');
}

/**
 * Whether `args` (after the program) ask for a replay on two threads:
 * `replay … --threads 2`, or auto (`--threads auto`, or none) with plain
 * files among the words of AUTO_TWO_THREADS_BYTES or more in all. Every word
 * that is not an option counts as an input: an option's value that names a
 * file can only start a worker that is not taken.
 */
export function asksTwoThreads(args: string[], sizeOf: (path: string) => number | null = plainFileSize): boolean {
  if (args[0] !== 'replay') return false;
  let threads = 'auto';
  let bytes = 0;
  let options = true;
  for (let i = 1; i < args.length; i++) {
    const word = args[i];
    if (options && word === '--') options = false;
    else if (options && word === '--threads') threads = args[++i] ?? '';
    else if (options && word.startsWith('--threads=')) threads = word.slice('--threads='.length);
    else if (!(options && word.startsWith('-')) && !word.endsWith('.tlbt')) bytes += sizeOf(word) ?? 0;
  }
  return threads === '2' || (threads === 'auto' && bytes >= AUTO_TWO_THREADS_BYTES);
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
