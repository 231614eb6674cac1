// The bench's instruction counter: callgrind's per-address costs summed per
// WebAssembly function through V8's perf map and the module's text format;
// and the paired speed ratio of bench/run.ts.

import { describe, expect, it } from 'vitest';
import { countByRange, medianCounts, wasmCodeRanges, wasmFunctionNames } from '../bench/instructions.js';
import { median, pairedRatio } from '../bench/stats.js';

describe('bench/run paired ratio', () => {
  it('is the median of the per-rep ratios, which load drifting between reps does not move', () => {
    // The engine takes 1.25x the baseline's time; the machine slows down 2x
    // between the two runs of rep 2 and stays slow until rep 4.
    const base = [1, 1, 2, 2, 1];
    const engine = [1.25, 2.5, 2.5, 2.5, 1.25];
    expect(pairedRatio(base, engine)).toBeCloseTo(0.8, 12); // ratios 0.8, 0.4, 0.8, 0.8, 0.8
    expect(median(base) / median(engine)).toBeCloseTo(0.4, 12);
    expect(pairedRatio([1, 3, 2], [2, 1, 4])).toBe(0.5);
    expect(() => pairedRatio([1, 2], [1])).toThrow(/2 and 1 samples/);
  });
});

describe('bench/instructions', () => {
  it('numbers functions after the imports', () => {
    const wat = [
      '(module',
      ' (import "env" "abort" (func $~lib/builtins/abort (param i32 i32 i32 i32)))',
      ' (func $a/first (param $0 i32)',
      ' )',
      ' (func $a/second',
      ' )',
    ].join('\n');
    expect([...wasmFunctionNames(wat)]).toEqual([
      [1, 'a/first'],
      [2, 'a/second'],
    ]);
  });

  it('adds self costs by code range, relative addresses and call costs included as callgrind means them', () => {
    const ranges = wasmCodeRanges(
      ['2000 80 JS:wasm-function[2]-2-turbofan', '1000 100 JS:wasm-function[1]-1-liftoff', '3000 10 JS:other'].join('\n'),
    );
    expect(ranges.map((r) => r.wasmIndex)).toEqual([1, 2]);
    const callgrind = [
      'positions: instr line',
      'events: Ir',
      'fn=(1) 0x1000',
      '0x1000 0 5',
      '+4 0 5',
      'calls=1 0x2000 0',
      '* 0 999', // the call's inclusive cost, not the caller's own
      '+8 0 1', // 0x100c
      '0x2010 0 7',
      '-16 0 2', // 0x2000
      '0x5000 0 100', // no wasm function's
    ].join('\n');
    const counts = new Map([...countByRange(callgrind, ranges)].map(([range, n]) => [range.wasmIndex, n]));
    expect(counts).toEqual(
      new Map([
        [1, 11],
        [2, 9],
      ]),
    );
  });

  it('takes each function\'s median over runs, a function missing from a run counting 0 there', () => {
    const runs = [
      [{ name: 'a', instructions: 10 }, { name: 'b', instructions: 7 }],
      [{ name: 'a', instructions: 30 }],
      [{ name: 'a', instructions: 20 }, { name: 'b', instructions: 5 }],
    ];
    expect(medianCounts(runs)).toEqual([
      { name: 'a', instructions: 20 },
      { name: 'b', instructions: 5 },
    ]);
  });
});
