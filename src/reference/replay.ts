// The reference engine's one entry point: a plain-TypeScript replay of a
// whole trace, slow but small enough to check by reading against
// docs/metrics.md. Tests compare the WASM core with it counter for counter.

import type { CollectOptions, DecodeOptions, MachineConfig, Stats } from '../model.js';
import { decodeTrace } from './decode.js';
import { futureOf } from './future.js';
import { Machine } from './machine.js';

export function referenceReplay(text: string, decode: DecodeOptions, machine: MachineConfig, collect: CollectOptions = {}): Stats {
  const trace = decodeTrace(text, decode);
  // OPT evicts by the future: a first pass lists every translation's page.
  const opt = machine.frames !== undefined && machine.evict === 'opt';
  const model = new Machine(machine, collect, opt ? futureOf(trace.events, machine) : undefined);
  let next = 0;
  trace.events.forEach((event, i) => {
    if (trace.recordStarts[next] === i) {
      model.startRecord();
      next++;
    }
    model.handle(event);
  });
  return model.stats(trace.records, trace.badLines, trace.ignoredLines);
}
