// The reference engine's one entry point: a plain-TypeScript replay of a
// whole trace, slow but small enough to check by reading against
// docs/metrics.md. Tests compare the WASM core with it counter for counter.

import type { CollectOptions, DecodeOptions, MachineConfig, Stats } from '../model.js';
import { decodeTrace, type TraceEvent } from './decode.js';
import { futureOf, type Future } from './future.js';
import { Machine } from './machine.js';

export function referenceReplay(text: string, decode: DecodeOptions, machine: MachineConfig, collect: CollectOptions = {}): Stats {
  const trace = decodeTrace(text, decode);
  // OPT evicts by the future: a first pass lists every translation's page.
  const opt = machine.frames !== undefined && machine.evict === 'opt';
  const traceBase = machine.alloc === 'trace' ? traceBaseOf(trace.events) : 0;
  const model = new Machine(machine, collect, opt ? translationFuture(trace.events, machine) : undefined, undefined, traceBase);
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

/**
 * One past the highest frame among the trace's own physical addresses (the
 * frames `physicalPfn` counts: `PA=`/hwaddr, and physical accesses to RAM),
 * 0 without any: where --alloc trace's sequential frames start.
 */
function traceBaseOf(events: readonly TraceEvent[]): number {
  let base = 0;
  for (const event of events) {
    if (event.kind !== 'access') continue;
    const address = event.physical ? (event.mmio ? undefined : event.va) : event.pa;
    if (address !== undefined) base = Math.max(base, Number(address >> 12n) + 1);
  }
  return base;
}

/**
 * The pages the machine translates, in order, found by replaying the trace
 * without a frame limit: checks, modes, CPUs and address spaces decide which
 * pages are translated, memory never does.
 */
function translationFuture(events: readonly TraceEvent[], machine: MachineConfig): Future {
  const keys: string[] = [];
  const unlimited = new Machine({ ...machine, frames: undefined, evict: undefined, alloc: undefined }, {}, undefined, (key) => keys.push(key));
  for (const event of events) unlimited.handle(event);
  return futureOf(keys);
}
