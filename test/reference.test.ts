// The reference model against numbers it did not produce: QEMU's cache plugin
// run on the same guest execution, and an independent model's table in
// ../shared/traces/README.md. Then small hand-checked cases for the corners of
// docs/metrics.md, and invariants over generated traces.

import { describe, expect, it } from 'vitest';
import { DEFAULT_MACHINE, type DecodeOptions, type Format, type MachineConfig, type Stats } from '../src/model.js';
import { decodeLine, decodeTrace } from '../src/reference/decode.js';
import { referenceReplay } from '../src/reference/replay.js';
import { randomMachine, randomTrace } from './gen.js';
import { cachePluginAnswers, cachePluginView, readTrace, readmeTable, tableView, TABLE_FILES } from './answers.js';

describe('QEMU 7.2 cache plugin answers (qemu72-user-execlog-true)', () => {
  const text = readTrace('qemu72-user-execlog-true.log.gz');
  it.each(cachePluginAnswers())('$name', ({ machine, expected }) => {
    const stats = referenceReplay(text, { format: 'execlog', sizeShift: false }, machine);
    expect(cachePluginView(stats)).toEqual(expected);
    expect(stats.tlb.l2).toBeUndefined();
  });
});

describe('README table of the real traces, default machine', () => {
  const rows = readmeTable();

  it('has every row of the table', () => {
    expect(rows.map((r) => r.file)).toEqual(TABLE_FILES);
  });

  it.each(rows)('$file', ({ file, format, sizeShift, expected }) => {
    const stats = referenceReplay(readTrace(file), { format, sizeShift }, DEFAULT_MACHINE);
    expect(tableView(stats)).toEqual(expected);
    // "L2 misses (walks)": the column is both.
    expect(stats.tlb.l2!.misses).toBe(stats.walks.count);
    checkInvariants(stats);
  });
});

// --- small cases, worked out by hand from docs/metrics.md -----------------

const MEM: DecodeOptions = { format: 'mem', sizeShift: false };
const SMALL: MachineConfig = {
  l1d: { entries: 4, ways: 4 },
  l1i: { entries: 4, ways: 4 },
  l2: null,
  policy: 'lru',
  pcid: false,
};
const run = (lines: string[], machine: Partial<MachineConfig> = {}, decode: DecodeOptions = MEM): Stats =>
  referenceReplay(lines.join('\n') + '\n', decode, { ...SMALL, ...machine });
const mem = (va: string | number, type = 'READ', size = 1): string =>
  `[MEM] VA=0x${typeof va === 'number' ? va.toString(16) : va}, size=${size}, type=${type}`;
/** A read of page `vpn`. */
const page = (vpn: number): string => mem(vpn * 4096);

describe('frames and page walks', () => {
  it('hands out root, PDPT, PD, PT, then the data page, from PFN 256', () => {
    const s = run([page(1), page(2), page(512)]);
    // page 1: 256 root, 257 PDPT, 258 PD, 259 PT, 260 data; page 2 shares the
    // PT: 261; page 512 is the next 2 MiB region: a new PT 262, data 263.
    expect(s.pfn).toEqual([
      [260, 1],
      [261, 1],
      [263, 1],
    ]);
    expect(s.frames).toEqual({ used: 8, pageTable: 5 });
    expect(s.faults.minor).toBe(3);
    expect(s.walks).toEqual({ count: 3, refs: 12 });
  });

  it('counts a crossing access once per page, lower page first', () => {
    const s = run([mem(0x1ffe, 'WRITE', 4), mem(0x2000)]);
    expect(s.crossings).toBe(1);
    expect(s.accesses.write).toBe(1);
    expect(s.tlb.l1d).toEqual({ lookups: 3, hits: 1, misses: 2 });
    // page 1 faults first (data 260), then page 2 (261).
    expect(s.pfn).toEqual([
      [260, 1],
      [261, 2],
    ]);
  });

  it('treats size 0 as one byte and size 4096 as at most two pages', () => {
    const s = run([mem(0x1fff, 'READ', 0), mem(0x1fff, 'READ', 1), mem(0x1000, 'READ', 4096), mem(0x1001, 'READ', 4096)]);
    expect(s.crossings).toBe(1);
    expect(s.tlb.l1d.lookups).toBe(5);
  });

  it('wraps a crossing at the top of the address space to VPN 0', () => {
    const s = run([mem('fffffffffffffffe', 'READ', 4)]);
    expect(s.crossings).toBe(1);
    expect(s.faults.nonCanonical).toBe(0);
    expect(s.tlb.l1d.lookups).toBe(2);
    // Two PML4 slots (511 and 0): two PDPTs, PDs and PTs.
    expect(s.frames).toEqual({ used: 9, pageTable: 7 });
  });

  it('neither looks up nor walks non-canonical pages', () => {
    const s = run([mem('800000000000'), mem('7ffffffffffe', 'READ', 4), mem('ffff800000000000')]);
    expect(s.faults.nonCanonical).toBe(2);
    expect(s.crossings).toBe(1);
    expect(s.tlb.l1d.lookups).toBe(2);
    expect(s.accesses.read).toBe(3);
  });

  it('fills L1 from an L2 hit without walking', () => {
    const l2 = { entries: 16, ways: 4 };
    const s = run([page(0), page(1), page(2), page(3), page(4), page(0)], {
      l1d: { entries: 1, ways: 1 },
      l2,
    });
    expect(s.tlb.l1d).toEqual({ lookups: 6, hits: 0, misses: 6 });
    expect(s.tlb.l2).toEqual({ lookups: 6, hits: 1, misses: 5 });
    expect(s.walks.count).toBe(5);
  });
});

describe('replacement', () => {
  const abaca = [page(1), page(2), page(1), page(3), page(1)];
  const two = { entries: 2, ways: 2 };

  it('LRU keeps the page just hit', () => {
    expect(run(abaca, { l1d: two, policy: 'lru' }).tlb.l1d.misses).toBe(3);
  });

  it('FIFO evicts the oldest fill even when it was just hit', () => {
    expect(run(abaca, { l1d: two, policy: 'fifo' }).tlb.l1d.misses).toBe(4);
  });

  it('indexes sets by vpn mod sets, also when sets is not a power of two', () => {
    // 6:2 is 3 sets; pages 0, 3 and 6 share set 0, so 6 evicts 0.
    // (Masking with sets-1 would put 3 and 6 in set 2 and keep 0.)
    const s = run([page(0), page(3), page(6), page(0)], { l1d: { entries: 6, ways: 2 } });
    expect(s.tlb.l1d.misses).toBe(4);
    const t = run([page(0), page(1), page(2), page(0)], { l1d: { entries: 6, ways: 2 } });
    expect(t.tlb.l1d.misses).toBe(3);
  });

  it('direct mapped: one way per set', () => {
    const s = run([page(0), page(4), page(0), page(1)], { l1d: { entries: 4, ways: 1 } });
    expect(s.tlb.l1d.misses).toBe(4);
  });

  it('fills an invalidated way before evicting anyone', () => {
    const s = run([page(1), page(2), '[INVLPG] VA=0x1000', page(3), page(2), page(1)], { l1d: two, policy: 'fifo' });
    // 1, 2 miss; invlpg frees 1's way; 3 fills it; 2 hits; 1 misses.
    expect(s.tlb.l1d).toEqual({ lookups: 5, hits: 1, misses: 4 });
  });

  it('rejects a geometry whose entries are not a multiple of ways', () => {
    expect(() => run([page(1)], { l1d: { entries: 6, ways: 4 } })).toThrow();
  });
});

describe('address spaces and control lines', () => {
  it('lets [CR3] lines before the first access name the start space', () => {
    const s = run(['[CR3] 0x1000', '[CR3] 0x2000', page(1), '[CR3] 0x2000', page(1)]);
    expect(s.contexts).toBe(1);
    expect(s.contextSwitches).toBe(0);
    expect(s.tlb.l1d.misses).toBe(1);
  });

  it('switches without PCID flush every TLB; the page stays mapped', () => {
    const lines = ['[CR3] 0x1000', page(1), '[CR3] 0x2000', page(1), '[CR3] 0x1000', page(1)];
    const s = run(lines);
    expect(s.contexts).toBe(2);
    expect(s.contextSwitches).toBe(2);
    expect(s.tlb.l1d.misses).toBe(3);
    expect(s.faults.minor).toBe(2);
    // two spaces: each its own root, PDPT, PD and PT.
    expect(s.frames).toEqual({ used: 10, pageTable: 8 });
  });

  it('switches with PCID keep entries tagged by address space', () => {
    const lines = ['[CR3] 0x1000', page(1), '[CR3] 0x2000', page(1), '[CR3] 0x1000', page(1)];
    const s = run(lines, { pcid: true });
    expect(s.contextSwitches).toBe(2);
    expect(s.tlb.l1d.misses).toBe(2);
  });

  it('starts in an implicit space that no [CR3] value names', () => {
    const s = run([page(1), '[CR3] 0x0', page(1)]);
    expect(s.contexts).toBe(2);
    expect(s.contextSwitches).toBe(1);
    expect(s.faults.minor).toBe(2);
  });

  it('invlpg drops one page of the current space in every TLB', () => {
    const s = run([page(1), page(2), '[INVLPG] VA=0x1abc', page(1), page(2)], { l2: { entries: 8, ways: 2 } });
    expect(s.invlpg).toBe(1);
    expect(s.tlb.l1d.misses).toBe(3);
    expect(s.walks.count).toBe(3);
    expect(s.faults.minor).toBe(2);
  });

  it('invlpg with PCID leaves other spaces alone', () => {
    const lines = ['[CR3] 0x1', page(1), '[CR3] 0x2', page(1), '[INVLPG] VA=0x1000', '[CR3] 0x1', page(1)];
    expect(run(lines, { pcid: true }).tlb.l1d.misses).toBe(2);
  });

  it('[TLB_FLUSH] empties every TLB; [PAGE_FAULT] is only counted', () => {
    const s = run([page(1), '[TLB_FLUSH]', '[PAGE_FAULT] VA=0x1000 | Reason: Page Not Present (Write)', page(1)]);
    expect(s.flushes).toBe(1);
    expect(s.faults.observed).toBe(1);
    expect(s.tlb.l1d.misses).toBe(2);
    expect(s.records).toBe(2);
  });

  it('gives fetches to the iTLB and data to the dTLB', () => {
    const s = run([mem(0x1000, 'FETCH', 3), mem(0x1000, 'WRITE', 8)]);
    expect(s.tlb.l1i).toEqual({ lookups: 1, hits: 0, misses: 1 });
    expect(s.tlb.l1d).toEqual({ lookups: 1, hits: 0, misses: 1 });
    expect(s.walks.count).toBe(2);
    expect(s.faults.minor).toBe(1);
    expect(s.pfn).toEqual([[260, 2]]);
  });
});

describe('decoding', () => {
  const lackey = { format: 'lackey', sizeShift: false } as const;
  const execlog = { format: 'execlog', sizeShift: false } as const;

  it('lackey M is one record and two accesses, a read then a write', () => {
    const s = run(['==1== banner', ' M 00001ff8,8', 'I  00001000,3', '==1=='], {}, lackey);
    expect(s.records).toBe(2);
    expect(s.accesses).toEqual({ read: 1, write: 1, fetch: 1, physical: 0, mmio: 0 });
    expect(s.tlb.l1d).toEqual({ lookups: 2, hits: 1, misses: 1 });
    expect(s.badLines).toBe(0);
  });

  it('execlog: fetch first, quotes and commas in the disassembly, physical accesses', () => {
    const line = '0, 0x401683, 0x1188, "movb $0x22, (%rcx) /* "x", y */", store, 0x29f4010, RAM, load, 0x401000, load, 0xfed00000, hpet';
    const d = decodeLine(line, execlog);
    expect(d).toEqual({
      kind: 'record',
      accesses: [
        { kind: 'access', op: 'X', va: 0x401683n, size: 1 },
        { kind: 'access', op: 'W', va: 0x29f4010n, size: 1, physical: true, mmio: false },
        { kind: 'access', op: 'R', va: 0x401000n, size: 1 },
        { kind: 'access', op: 'R', va: 0xfed00000n, size: 1, physical: true, mmio: true },
      ],
    });
    const s = run([line], {}, execlog);
    expect(s.records).toBe(1);
    expect(s.accesses).toEqual({ read: 2, write: 1, fetch: 1, physical: 2, mmio: 1 });
    expect(s.tlb.l1d.lookups).toBe(1);
    expect(s.tlb.l1i.lookups).toBe(1);
  });

  it('size shift applies to READ and WRITE only', () => {
    const shift = { format: 'mem', sizeShift: true } as const;
    const s = run([mem(0x1000, 'READ', 12), mem(0x1ff8, 'WRITE', 3), mem(0x1ffe, 'FETCH', 3), mem(0x1000, 'READ', 13)], {}, shift);
    expect(s.badLines).toBe(1);
    expect(s.records).toBe(3);
    expect(s.crossings).toBe(1); // the FETCH of 3 bytes at 0x1ffe
  });

  it('parses PA= and vcpu=, ignores other keys, and validates', () => {
    const ok = decodeLine('[MEM] VA=0xAbC, size=4, type=WRITE, PA=0x29FD7d0, vcpu=1, insn=what=ever', MEM);
    expect(ok).toEqual({ kind: 'record', accesses: [{ kind: 'access', op: 'W', va: 0xabcn, size: 4, pa: 0x29fd7d0n }] });
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, PA=29f', MEM).kind).toBe('bad');
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, vcpu=0x1', MEM).kind).toBe('bad');
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, vcpu=', MEM).kind).toBe('bad');
  });

  it('ignores CR, trailing blanks and blank lines; counts bad lines', () => {
    const text = [
      '[MEM] VA=0x1000, size=4, type=READ \t\r',
      '',
      '  \t',
      '\r',
      '[MEM] VA=0x1000, size=4097, type=READ',
      '[MEM] VA=0x10000000000000000, size=4, type=READ',
      '[MEM] VA=0x1000, size=12345678901, type=READ',
      '[MEM] VA=0x1000, size=4, type=LOAD',
      '[MEM] VA=0x1000, type=READ',
      ' [MEM] VA=0x1000, size=4, type=READ',
      '[PAGE_FAULT] VA=0x10000000000000000',
      '[CR3] 0x',
      '[TLB_FLUSH] now',
      '==1== not a banner outside lackey',
      '[PAGE_FAULT] VA=0x1000',
    ].join('\n');
    const d = decodeTrace(text, MEM);
    expect(d.records).toBe(1);
    expect(d.badLines).toBe(10);
    expect(d.bad.map((b) => b.line)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(d.events.map((e) => e.kind)).toEqual(['access', 'pageFault']);
  });

  it('rejects malformed lackey and execlog lines', () => {
    for (const line of [' X 1000,4', ' L 1000', ' L 0x1000,4', ' L 1000,4097', '\tL 1000,4', 'L1000,4']) {
      expect(decodeLine(line, lackey).kind, line).toBe('bad');
    }
    for (const line of [
      '0, 0x1000, 0x90, "nop',
      '0, 0x1000, 0x90, "nop", load',
      '0, 0x1000, 0x90, "nop", load, 0x',
      '0, 0x1000, 0x90, "nop", fetch, 0x1000',
      '0, 0x1000, 0x90, "nop" , load, 0x1000',
      '0, 0x1000, 0x90, "nop", load, 0x1000, ',
      '0, 0x1000, 0x90, "nop", load, 0x1000, , RAM',
      '0x1000, 0x90, "nop"',
    ]) {
      expect(decodeLine(line, execlog).kind, line).toBe('bad');
    }
  });
});

// --- generated traces ----------------------------------------------------

/** What must hold for any trace and machine, whatever the exact counts. */
function checkInvariants(s: Stats): void {
  const levels = [s.tlb.l1d, s.tlb.l1i, ...(s.tlb.l2 ? [s.tlb.l2] : [])];
  for (const l of levels) expect(l.hits + l.misses).toBe(l.lookups);
  const l1Misses = s.tlb.l1d.misses + s.tlb.l1i.misses;
  if (s.tlb.l2) {
    expect(s.tlb.l2.lookups).toBe(l1Misses);
    expect(s.walks.count).toBe(s.tlb.l2.misses);
  } else {
    expect(s.walks.count).toBe(l1Misses);
  }
  expect(s.walks.refs).toBe(4 * s.walks.count);
  expect(s.faults.minor).toBeLessThanOrEqual(s.walks.count);
  expect(s.frames.used - s.frames.pageTable).toBe(s.faults.minor);
  const translated = s.pfn.reduce((sum, [, n]) => sum + n, 0);
  expect(translated).toBe(s.tlb.l1d.lookups + s.tlb.l1i.lookups);
  const pages = s.accesses.read + s.accesses.write + s.accesses.fetch - s.accesses.physical + s.crossings;
  expect(s.tlb.l1d.lookups + s.tlb.l1i.lookups + s.faults.nonCanonical).toBe(pages);
  expect(s.pfn.map(([p]) => p)).toEqual([...s.pfn.map(([p]) => p)].sort((a, b) => a - b));
}

describe('generated traces', () => {
  it('are a pure function of the seed', () => {
    expect(randomTrace(42)).toEqual(randomTrace(42));
    expect(randomMachine(42)).toEqual(randomMachine(42));
    expect(randomTrace(42).text).not.toBe(randomTrace(43).text);
  });

  it('keep every invariant, and cover the interesting cases', () => {
    const seen = { crossings: 0, nonCanonical: 0, badLines: 0, physical: 0, mmio: 0, switches: 0, invlpg: 0, flushes: 0, l1Hits: 0, l1Misses: 0 };
    const formats = new Set<string>();
    for (let seed = 1; seed <= 150; seed++) {
      const trace = randomTrace(seed);
      formats.add(trace.format);
      const s = referenceReplay(trace.text, trace, randomMachine(seed));
      checkInvariants(s);
      seen.crossings += s.crossings;
      seen.nonCanonical += s.faults.nonCanonical;
      seen.badLines += s.badLines;
      seen.physical += s.accesses.physical;
      seen.mmio += s.accesses.mmio;
      seen.switches += s.contextSwitches;
      seen.invlpg += s.invlpg;
      seen.flushes += s.flushes;
      seen.l1Hits += s.tlb.l1d.hits + s.tlb.l1i.hits;
      seen.l1Misses += s.tlb.l1d.misses + s.tlb.l1i.misses;
    }
    expect(formats.size).toBe(3);
    for (const [name, count] of Object.entries(seen)) expect(count, name).toBeGreaterThan(0);
  });

  it('make no bad lines when asked for a clean trace', () => {
    for (const format of ['mem', 'lackey', 'execlog'] as const) {
      for (let seed = 1; seed <= 20; seed++) {
        const trace = randomTrace(seed, { format, badRate: 0 });
        expect(decodeTrace(trace.text, trace).badLines, `${format} seed ${seed}`).toBe(0);
      }
    }
  });

  it('make only lines that are bad beyond doubt when asked for bad ones', () => {
    for (const format of ['mem', 'lackey', 'execlog'] as const) {
      const trace = randomTrace(7, { format, badRate: 1, lines: 300 });
      const d = decodeTrace(trace.text, trace);
      expect(d.records).toBe(0);
      expect(d.badLines).toBe(300);
    }
  });
});
