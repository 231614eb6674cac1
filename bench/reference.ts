// The benchmark's runner of the TypeScript reference engine (src/reference):
// replays one text trace through the default machine and prints the same
// JSON object as `tlbscope replay --json`, so the harness treats it like any
// other engine and cross-checks its counters.
//
//   node dist/bench/reference.js [--format F] [--size-shift] FILE
//
// The reference model decodes a whole trace held as one string (it is written
// to be read, not to stream), so FILE must fit in memory: the harness gives
// it a smaller trace than the other engines.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { referenceReplay } from '../src/reference/replay.js';
import { jsonReport } from '../src/report/json.js';
import { DEFAULT_MACHINE, TEXT_FORMATS, type Format } from '../src/model.js';

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { format: { type: 'string', default: 'mem' }, 'size-shift': { type: 'boolean', default: false } },
  });
  const format = values.format as Format;
  if (positionals.length !== 1 || !(TEXT_FORMATS as readonly string[]).includes(format)) {
    process.stderr.write(`usage: node dist/bench/reference.js [--format ${TEXT_FORMATS.join('|')}] [--size-shift] FILE\n`);
    process.exit(2);
  }
  const [path] = positionals;
  const sizeShift = values['size-shift'];
  // Timed like the WASM engine's `seconds`: from reading the trace to the last counter.
  const start = performance.now();
  const text = readFileSync(path, 'latin1');
  const stats = referenceReplay(text, { format, sizeShift }, DEFAULT_MACHINE);
  const seconds = (performance.now() - start) / 1000;
  const report = jsonReport({ traces: [path], formats: [format], stats, seconds, stopped: false }, DEFAULT_MACHINE, sizeShift);
  process.stdout.write(JSON.stringify(report) + '\n');
}

main();
