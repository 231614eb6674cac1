// The reference engine's one entry point: a plain-TypeScript replay of a
// whole trace, slow but small enough to check by reading against
// docs/metrics.md. Tests compare the WASM core with it counter for counter.

import type { DecodeOptions, MachineConfig, Stats } from '../model.js';
import { decodeTrace } from './decode.js';
import { futureOf } from './future.js';
import { Machine } from './machine.js';

export function referenceReplay(text: string, decode: DecodeOptions, machine: MachineConfig): Stats {
  const trace = decodeTrace(text, decode);
  // OPT evicts by the future: a first pass lists every translation's page.
  const opt = machine.frames !== undefined && machine.evict === 'opt';
  const model = new Machine(machine, opt ? futureOf(trace.events, machine) : undefined);
  for (const event of trace.events) model.handle(event);
  return model.stats(trace.records, trace.badLines, trace.ignoredLines);
}
