// The reference engine's one entry point: a plain-TypeScript replay of a
// whole trace, slow but small enough to check by reading against
// docs/metrics.md. Tests compare the WASM core with it counter for counter.

import type { DecodeOptions, MachineConfig, Stats } from '../model.js';
import { decodeTrace } from './decode.js';
import { Machine } from './machine.js';

export function referenceReplay(text: string, decode: DecodeOptions, machine: MachineConfig): Stats {
  const trace = decodeTrace(text, decode);
  const model = new Machine(machine);
  for (const event of trace.events) model.handle(event);
  return model.stats(trace.records, trace.badLines, trace.ignoredLines);
}
