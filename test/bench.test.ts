// The bench's instruction counter: callgrind's per-address costs summed per
// WebAssembly function through V8's perf map and the module's text format.

import { describe, expect, it } from 'vitest';
import { countByRange, medianCounts, wasmCodeRanges, wasmFunctionNames } from '../bench/instructions.js';

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
