// The reference model against numbers it did not produce: QEMU's cache plugin
// run on the same guest execution, and an independent model's table in
// ../shared/traces/README.md. Then small hand-checked cases for the corners of
// docs/metrics.md, and invariants over generated traces.

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MACHINE,
  DEFAULT_PWC,
  EVICTION_POLICIES,
  MODE_PAGE_SIZES,
  PAGE_SHIFTS,
  PAGING_MODES,
  POLICIES,
  PWC_LEVELS,
  TEXT_FORMATS,
  type DecodeOptions,
  type EvictionPolicy,
  type Format,
  type MachineConfig,
  type PageSize,
  type PagingMode,
  type PwcLevel,
  type Stats,
} from '../src/model.js';
import { UserError } from '../src/errors.js';
import { ShuffledAllocator } from '../src/reference/alloc.js';
import { decodeLine, decodeTrace } from '../src/reference/decode.js';
import { PAGING_LAYOUTS } from '../src/reference/pagetable.js';
import { referenceReplay } from '../src/reference/replay.js';
import { Tlb } from '../src/reference/tlb.js';
import { randomMachine, randomTrace } from './gen.js';
import { cachePluginAnswers, cachePluginView, readTrace, readmeTable, tableView, TABLE_FILES } from './answers.js';

/** [pfn, translations] per frame, ascending. */
function perFrame(s: Stats): Array<[number, number]> {
  return s.pfn.map((f) => [f.pfn, f.translations]);
}

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
    const text = readTrace(file);
    const stats = referenceReplay(text, { format, sizeShift }, DEFAULT_MACHINE);
    expect(tableView(stats)).toEqual(expected);
    // "L2 misses (walks)": the column is both.
    expect(stats.tlb.l2!.misses).toBe(stats.walks.count);
    checkInvariants(stats);
    // Counted straight from the text: one trace-frame count per [MEM] line
    // with PA= (the seed traces carry it; execlog user mode and lackey give
    // no physical addresses), and [PAGE_FAULT] lines by their reason.
    const withPa = text.match(/^\[MEM\] [^\n]*, PA=0x/gm)?.length ?? 0;
    expect(sum(stats.physicalPfn)).toBe(withPa);
    if (file.includes('-pa.')) expect(withPa).toBeGreaterThan(10000);
    const reasons: Record<string, number> = {};
    for (const [, reason] of text.matchAll(/^\[PAGE_FAULT\] [^\n]*? \| Reason: ([^\n]+)$/gm)) reasons[reason] = (reasons[reason] ?? 0) + 1;
    expect(stats.faults.observedByReason).toEqual(reasons);
    expect(stats.ignoredLines).toBe(0);
  });

  it('counts the observed faults of the fork traces by reason', () => {
    // As counted by grep | sort | uniq -c over the trace.
    const s = referenceReplay(readTrace('qemu10-system-seed-fork-user-pa.log.gz'), { format: 'mem', sizeShift: true }, DEFAULT_MACHINE);
    expect(s.faults.observed).toBe(355);
    expect(s.faults.observedByReason).toEqual({
      'Page Not Present (Fetch)': 9,
      'Page Not Present (Read)': 7,
      'Page Not Present (Write)': 199,
      'Write Access Violation': 140,
    });
  });
});

describe('real traces of the newer formats', () => {
  it('qemu10-system-mem-accesses-boot.csv (memcsv): counted from the text', () => {
    const text = readTrace('qemu10-system-mem-accesses-boot.csv.gz');
    const lines = text.split('\n').filter((line) => line !== '');
    const data = lines.filter((line) => !line.startsWith('insn_vaddr,'));
    expect(lines.length - data.length).toBe(1);
    // The last five fields, from the end of the line.
    const fields = data.map((line) => line.split(',').slice(-5));
    const s = referenceReplay(text, { format: 'memcsv', sizeShift: false }, DEFAULT_MACHINE);
    expect(s.records).toBe(data.length);
    expect(s.records).toBe(2999);
    expect(s.accesses).toEqual({
      read: text.split(',load,').length - 1,
      write: text.split(',store,').length - 1,
      fetch: 0,
      physical: 0,
      mmio: 0,
    });
    expect(s.badLines).toBe(0);
    expect(s.ignoredLines).toBe(0);
    const crossings = fields.filter(([va, , bits]) => (parseInt(va, 16) % 4096) + Number(bits) / 8 > 4096).length;
    expect(s.crossings).toBe(crossings);
    const physical = fields.filter(([, hw]) => !/^0x0+$/.test(hw));
    expect(sum(s.physicalPfn)).toBe(physical.length);
    const frames = new Map<number, number>();
    for (const [, hw] of physical) frames.set(Math.floor(parseInt(hw, 16) / 4096), (frames.get(Math.floor(parseInt(hw, 16) / 4096)) ?? 0) + 1);
    expect(s.physicalPfn).toEqual([...frames].sort((a, b) => a[0] - b[0]));
    checkInvariants(s);
  });

  it('qemu10-system-execlog-workload.log (execlog, system mode): counted from the text', () => {
    const text = readTrace('qemu10-system-execlog-workload.log.gz');
    const count = (re: RegExp) => text.match(re)?.length ?? 0;
    const ram = [...text.matchAll(/, (?:load|store), 0x([0-9a-f]+), RAM(?=,|\n|$)/g)].map(([, pa]) => Math.floor(parseInt(pa, 16) / 4096));
    const s = referenceReplay(text, { format: 'execlog', sizeShift: false }, DEFAULT_MACHINE);
    const records = count(/^\d+, 0x/gm);
    expect(records).toBe(24095);
    expect(s.records).toBe(records);
    const physical = count(/, (?:load|store), 0x[0-9a-f]+, [^,\n]+/g);
    expect(s.accesses).toEqual({
      read: count(/, load, 0x/g),
      write: count(/, store, 0x/g),
      fetch: records,
      physical,
      mmio: physical - ram.length,
    });
    expect(s.accesses.read + s.accesses.write).toBe(physical); // every data access is physical
    expect(s.tlb.l1d.lookups).toBe(0);
    expect(s.tlb.l1i.lookups).toBe(records);
    expect(sum(s.physicalPfn)).toBe(ram.length);
    const frames = new Map<number, number>();
    for (const pfn of ram) frames.set(pfn, (frames.get(pfn) ?? 0) + 1);
    expect(s.physicalPfn).toEqual([...frames].sort((a, b) => a[0] - b[0]));
    expect(s.badLines).toBe(0);
    checkInvariants(s);
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
    expect(perFrame(s)).toEqual([
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
    expect(perFrame(s)).toEqual([
      [260, 1],
      [261, 2],
    ]);
    expect(s.pfn).toEqual([
      { pfn: 260, translations: 1, reads: 0, writes: 1, fetches: 0 },
      { pfn: 261, translations: 2, reads: 1, writes: 1, fetches: 0 },
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

describe('paging modes', () => {
  /** Levels per walk by mode, from the table in docs/metrics.md. */
  const levels: Record<PagingMode, number> = { 'x86-32': 2, pae: 3, 'x86-64': 4, la57: 5 };
  const paging = (mode: PagingMode): Partial<MachineConfig> => ({ paging: mode });

  it('x86-32: root PD, then a PT per 4 MiB; 2 refs per walk', () => {
    // page 0: 256 PD (root), 257 PT 0, 258 data; page 1 and page 512 share
    // PT 0 (it maps 4 MiB): 259, 260; page 1024 (4 MiB) needs PT 1: 261, data 262.
    const s = run([page(0), page(1), page(512), page(1024)], paging('x86-32'));
    expect(perFrame(s)).toEqual([
      [258, 1],
      [259, 1],
      [260, 1],
      [262, 1],
    ]);
    expect(s.frames).toEqual({ used: 7, pageTable: 3 });
    expect(s.faults.minor).toBe(4);
    expect(s.walks).toEqual({ count: 4, refs: 8 });
  });

  it('pae: root PDPT (one frame), then a PD per 1 GiB and a PT per 2 MiB; 3 refs per walk', () => {
    // page 0: 256 PDPT, 257 PD 0, 258 PT 0, 259 data; page 1: 260; page 512
    // (2 MiB) needs PT 1: 261, data 262; page 2^18 (1 GiB, PDPT slot 1) needs
    // PD 1 and a PT: 263, 264, data 265.
    const s = run([page(0), page(1), page(512), page(1 << 18)], paging('pae'));
    expect(perFrame(s)).toEqual([
      [259, 1],
      [260, 1],
      [262, 1],
      [265, 1],
    ]);
    expect(s.frames).toEqual({ used: 10, pageTable: 6 });
    expect(s.walks).toEqual({ count: 4, refs: 12 });
  });

  it('pae: the four PDPT slots, each its own PD; the PDPT stays one frame', () => {
    // Root 256; then per slot a PD, a PT and the data page.
    const s = run([0, 1, 2, 3].map((slot) => page(slot << 18)), paging('pae'));
    expect(s.pfn.map((f) => f.pfn)).toEqual([259, 262, 265, 268]);
    expect(s.frames).toEqual({ used: 13, pageTable: 9 });
    expect(s.faults.nonCanonical).toBe(0);
  });

  it('x86-64 (the default): root PML4, PDPT, PD, PT; 4 refs per walk', () => {
    const lines = [page(0), page(1), page(512), page(1 << 18)];
    // page 0: 256..259 tables, 260 data; 261; PT 262, 263; PD 264, PT 265, 266.
    const s = run(lines, paging('x86-64'));
    expect(s.pfn.map((f) => f.pfn)).toEqual([260, 261, 263, 266]);
    expect(s.frames).toEqual({ used: 11, pageTable: 7 });
    expect(s.walks).toEqual({ count: 4, refs: 16 });
    expect(run(lines)).toEqual(s);
  });

  it('la57: root PML5, PML4, PDPT, PD, PT; 5 refs per walk', () => {
    // page 0: 256 PML5, 257 PML4, 258 PDPT, 259 PD, 260 PT, 261 data;
    // page 1: 262; 0x1_0000_0000_0000 (PML5 slot 1): PML4, PDPT, PD, PT
    // 263..266, data 267.
    const lines = [page(0), page(1), mem('1000000000000')];
    const s = run(lines, paging('la57'));
    expect(perFrame(s)).toEqual([
      [261, 1],
      [262, 1],
      [267, 1],
    ]);
    expect(s.frames).toEqual({ used: 12, pageTable: 9 });
    expect(s.walks).toEqual({ count: 3, refs: 15 });
    expect(s.faults.nonCanonical).toBe(0);
    // x86-64 cannot translate the third page.
    const t = run(lines);
    expect(t.faults.nonCanonical).toBe(1);
    expect(t.frames).toEqual({ used: 6, pageTable: 4 });
  });

  it('reads one entry per level on every walk, a fault\'s walk or not', () => {
    // A one-way L1 and no L2: pages 0, 1, 0, 1 walk four times, fault twice.
    const lines = [page(0), page(1), page(0), page(1)];
    for (const mode of PAGING_MODES) {
      const s = run(lines, { paging: mode, l1d: { entries: 1, ways: 1 } });
      expect(s.walks, mode).toEqual({ count: 4, refs: 4 * levels[mode] });
      expect(s.faults.minor, mode).toBe(2);
      // One table per level, root included, and two data pages.
      expect(s.frames, mode).toEqual({ used: levels[mode] + 2, pageTable: levels[mode] });
    }
  });

  it('x86-32 and pae translate below 4 GiB only', () => {
    for (const mode of ['x86-32', 'pae'] as const) {
      const s = run([mem('fffff000'), mem('100000000'), mem('ffffffff00000000'), mem('7ffffffff000')], paging(mode));
      expect(s.faults.nonCanonical, mode).toBe(3);
      expect(s.tlb.l1d.lookups, mode).toBe(1);
      // The root, the tables to the last page below 4 GiB, and its frame.
      expect(s.frames, mode).toEqual({ used: levels[mode] + 1, pageTable: levels[mode] });
    }
  });

  it('x86-32 and pae: a crossing at 4 GiB translates its lower page only', () => {
    for (const mode of ['x86-32', 'pae'] as const) {
      const s = run([mem('fffffffe', 'READ', 4)], paging(mode));
      expect(s.crossings, mode).toBe(1);
      expect(s.faults.nonCanonical, mode).toBe(1);
      expect(s.tlb.l1d.lookups, mode).toBe(1);
      expect(perFrame(s), mode).toEqual([[256 + levels[mode], 1]]);
    }
  });

  it('x86-32 and pae: a crossing at the top of the address space translates page 0 only', () => {
    for (const mode of ['x86-32', 'pae'] as const) {
      const s = run([mem('fffffffffffffffe', 'READ', 4)], paging(mode));
      expect(s.crossings, mode).toBe(1);
      expect(s.faults.nonCanonical, mode).toBe(1);
      expect(s.tlb.l1d.lookups, mode).toBe(1);
      expect(s.frames, mode).toEqual({ used: levels[mode] + 1, pageTable: levels[mode] });
    }
  });

  it('an untranslatable page allocates nothing, not even the root', () => {
    for (const [mode, va] of [
      ['x86-32', '100000000'],
      ['pae', '100000000'],
      ['x86-64', '800000000000'],
      ['la57', '100000000000000'],
    ] as const) {
      const s = run([mem(va), mem(va, 'FETCH')], paging(mode));
      expect(s.faults.nonCanonical, mode).toBe(2);
      expect(s.walks, mode).toEqual({ count: 0, refs: 0 });
      expect(s.frames, mode).toEqual({ used: 0, pageTable: 0 });
      expect(s.tlb.l1d.lookups + s.tlb.l1i.lookups, mode).toBe(0);
    }
  });

  it('draws the translatable boundaries where the table says', () => {
    const cases: Record<PagingMode, Array<[string, boolean]>> = {
      'x86-32': [
        ['0', true],
        ['fffff000', true],
        ['100000000', false],
        ['ffffffffffff000', false],
        ['fffffffffffff000', false],
      ],
      pae: [
        ['3ffff000', true],
        ['40000000', true],
        ['fffff000', true],
        ['100000000', false],
      ],
      'x86-64': [
        ['00007ffffffff000', true],
        ['0000800000000000', false],
        ['ffff7ffffffff000', false],
        ['ffff800000000000', true],
        ['fffffffffffff000', true],
        ['00ff000000000000', false],
      ],
      la57: [
        ['00007ffffffff000', true],
        ['0000800000000000', true],
        ['00fffffffffff000', true],
        ['0100000000000000', false],
        ['feff000000000000', false],
        ['fefffffffffff000', false],
        ['ff00000000000000', true],
        ['fffffffffffff000', true],
      ],
    };
    for (const mode of PAGING_MODES) {
      for (const [va, translatable] of cases[mode]) {
        const s = run([mem(va)], paging(mode));
        expect(s.faults.nonCanonical, `${mode} 0x${va}`).toBe(translatable ? 0 : 1);
        expect(s.tlb.l1d.lookups, `${mode} 0x${va}`).toBe(translatable ? 1 : 0);
      }
    }
  });

  it('keeps TLB sets and tags on the full VPN in every mode', () => {
    // 6:2 is 3 sets; pages 0, 3 and 6 share set 0 whatever the mode.
    for (const mode of PAGING_MODES) {
      const s = run([page(0), page(3), page(6), page(0)], { paging: mode, l1d: { entries: 6, ways: 2 } });
      expect(s.tlb.l1d.misses, mode).toBe(4);
    }
  });

  it('gives each address space its own root in every mode', () => {
    const lines = ['[CR3] 0x1000', page(1), '[CR3] 0x2000', page(1)];
    for (const mode of PAGING_MODES) {
      expect(run(lines, paging(mode)).frames, mode).toEqual({ used: 2 * (levels[mode] + 1), pageTable: 2 * levels[mode] });
    }
  });

  it('rejects an unknown mode', () => {
    expect(() => run([page(1)], { paging: 'x86-16' as PagingMode })).toThrow(/paging/);
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

/**
 * splitmix64 as docs/metrics.md gives it, written apart from the model
 * (BigInt.asUintN for the unsigned 64-bit wrap): the draws from `state`.
 */
function* splitmix64(state: bigint): Generator<bigint, never> {
  for (;;) {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    yield z ^ (z >> 31n);
  }
}

/** The first `n` victims in a full `ways`-way set, from generator state `state`. */
const victims = (state: bigint, ways: number, n: number): number[] => {
  const draws = splitmix64(state);
  return Array.from({ length: n }, () => Number(draws.next().value % BigInt(ways)));
};

describe('replacement: plru', () => {
  const four = { entries: 4, ways: 4 };

  it('picks a different victim than LRU (and FIFO) in one 4-way set', () => {
    // One set: pages 0..3 fill ways 0..3. Tree bits b0 (root: ways 0-1 vs
    // 2-3), b1 (way 0 vs 1), b2 (way 2 vs 3); 0 points left, 1 right.
    //   fill 0: b0=1 b1=1   fill 1: b0=1 b1=0   fill 2: b0=0 b2=1   fill 3: b0=0 b2=0
    //   -> b0 b1 b2 = 0 0 0                       (4 misses)
    //   hit 2: b0=0 b2=1 -> 0 0 1;   hit 0: b0=1 b1=1 -> 1 1 1
    //   page 4 misses: b0=1 right, b2=1 right: way 3, page 3 out (LRU would
    //     evict page 1, FIFO page 0); touch way 3: b0=0 b2=0 -> 0 1 0
    //   page 1 hits: b0=1 b1=0 -> 1 0 0
    //   page 3 misses: b0=1 right, b2=0 left: way 2, page 2 out
    // plru: misses 0 1 2 3 4 3 = 6.
    // lru: 4 evicts 1; 1 misses, evicts 3; 3 misses: 7. fifo: 4 evicts 0; 1 and 3 hit: 5.
    const seq = [0, 1, 2, 3, 2, 0, 4, 1, 3].map(page);
    expect(run(seq, { l1d: four, policy: 'plru' }).tlb.l1d).toEqual({ lookups: 9, hits: 3, misses: 6 });
    expect(run(seq, { l1d: four, policy: 'lru' }).tlb.l1d.misses).toBe(7);
    expect(run(seq, { l1d: four, policy: 'fifo' }).tlb.l1d.misses).toBe(5);
  });

  it('fills the lowest invalid way first; invalidation leaves the bits alone', () => {
    // 0..3 fill ways 0..3: bits 0 0 0. [INVLPG] of page 1 frees way 1 and
    // keeps the bits (which point at way 0). Page 5 fills way 1 (the invalid
    // way, not the tree's way 0): b0=1 b1=0 -> 1 0 0. Page 6 replaces
    // b0=1 right, b2=0 left: way 2 (page 2). Then 0 and 3 hit, 2 misses.
    const seq = [page(0), page(1), page(2), page(3), '[INVLPG] VA=0x1000', page(5), page(6), page(0), page(3), page(2)];
    expect(run(seq, { l1d: four, policy: 'plru' }).tlb.l1d).toEqual({ lookups: 9, hits: 2, misses: 7 });
  });

  it('walks an 8-way tree of 7 bits', () => {
    // Bits b0..b6, node i's children 2i+1 and 2i+2; leaves b3: ways 0 1,
    // b4: 2 3, b5: 4 5, b6: 6 7. Filling ways 0..7 in order leaves all 0.
    //   hit 0: b0=1 b1=1 b3=1. Victim: b0=1 right, b2=0 left, b5=0 left: way 4.
    //   fill 8 into way 4: b0=0 b2=1 b5=1. Victim: b0=0 left, b1=1 right, b4=0 left: way 2.
    //   fill 9 into way 2: b0=1 b1=0 b4=1. Victim: b0=1 right, b2=1 right, b6=0 left: way 6.
    //   fill 10 into way 6. (LRU would have evicted pages 1, 2, 3.)
    const tlb = new Tlb({ entries: 8, ways: 8 }, 'plru');
    for (let vpn = 0n; vpn < 8n; vpn++) tlb.fill(0, vpn, Number(vpn));
    expect(tlb.lookup(0, 0n)).toBe(0);
    for (const vpn of [8n, 9n, 10n]) tlb.fill(0, vpn, Number(vpn));
    const resident = [0, 1, 3, 5, 7, 8, 9, 10];
    for (let vpn = 0; vpn <= 10; vpn++) expect(tlb.lookup(0, BigInt(vpn)) !== null, `page ${vpn}`).toBe(resident.includes(vpn));
  });

  it('rejects a number of ways that is not a power of two', () => {
    expect(() => run([page(1)], { l1d: { entries: 12, ways: 3 }, policy: 'plru' })).toThrow(/power-of-two/);
    expect(() => run([page(1)], { l2: { entries: 1536, ways: 12 }, levelPolicies: { l2: 'plru' } })).toThrow(/power-of-two/);
    // Only the plru levels need it; one way is 2^0.
    expect(() => run([page(1)], { l1d: { entries: 4, ways: 1 }, l2: { entries: 1536, ways: 12 }, policy: 'plru', levelPolicies: { l2: 'lru' } })).not.toThrow();
  });
});

describe('replacement: random', () => {
  it('the test\'s splitmix64 gives the published first outputs for state 0', () => {
    const draws = splitmix64(0n);
    expect([draws.next().value, draws.next().value, draws.next().value]).toEqual([0xe220a8397b1dcdafn, 0x6e789e6aa1b965f4n, 0x06c45d188009454fn]);
  });

  it('replaces the drawn way of a full set; hits and fills of invalid ways draw nothing', () => {
    // Seed 1: l1d starts from state 2.
    const expected = victims(2n, 4, 8);
    expect(expected.slice(0, 4)).toEqual([2, 2, 3, 0]);
    const tlb = new Tlb({ entries: 4, ways: 4 }, 'random', 2n);
    /** What each way holds, by the spec. */
    const ways: Array<number | null> = [null, null, null, null];
    let next = 0;
    let vpn = 0;
    const fill = () => {
      const free = ways.indexOf(null);
      ways[free >= 0 ? free : expected[next++]] = vpn;
      tlb.fill(0, BigInt(vpn), vpn);
      vpn++;
    };
    /** Every page so far: present exactly when the spec says (hits draw nothing). */
    const check = () => {
      for (let v = 0; v < vpn; v++) expect(tlb.lookup(0, BigInt(v)) !== null, `page ${v} after ${vpn} fills`).toBe(ways.includes(v));
    };
    for (let i = 0; i < 4; i++) fill(); // ways 0..3, no draw
    check();
    for (let i = 0; i < 3; i++) {
      fill(); // draws
      check();
    }
    expect(next).toBe(3);
    // Free ways 3 and 1: refilled lowest first, without drawing.
    for (const w of [3, 1]) {
      tlb.invalidate(0, BigInt(ways[w]!));
      ways[w] = null;
    }
    fill();
    fill();
    expect([ways[1], ways[3]]).toEqual([7, 8]); // pages 7 and 8
    check();
    fill(); // the 4th draw
    check();
    tlb.flush();
    ways.fill(null);
    for (let i = 0; i < 4; i++) fill(); // no draw
    fill(); // the 5th draw
    check();
    expect(next).toBe(5);
  });

  it('draws per level from seed + 1 (l1d), + 2 (l1i), + 3 (l2); seed 1 by default', () => {
    // Pages 0..3 fill the 4-way set; page 4 replaces the first victim's way;
    // page x then misses again exactly when x was that victim.
    const four = { entries: 4, ways: 4 };
    const misses = (machine: Partial<MachineConfig>, type: string, x: number) => {
      const s = run([0, 1, 2, 3, 4, x].map((vpn) => mem(vpn * 4096, type)), { l1d: four, l1i: four, ...machine });
      return type === 'FETCH' ? s.tlb.l1i.misses : machine.l2 ? s.tlb.l2!.misses : s.tlb.l1d.misses;
    };
    const l2 = { l1d: { entries: 1, ways: 1 }, l2: four };
    for (const seed of [4, undefined]) {
      const s = BigInt(seed ?? 1);
      const [d, i, l] = [1n, 2n, 3n].map((offset) => victims(s + offset, 4, 1)[0]);
      if (seed === 4) expect(new Set([d, i, l]).size).toBe(3); // so a mixed-up level shows
      for (let x = 0; x < 4; x++) {
        expect(misses({ policy: 'random', seed }, 'READ', x), `l1d seed ${seed} page ${x}`).toBe(x === d ? 6 : 5);
        expect(misses({ policy: 'random', seed }, 'FETCH', x), `l1i seed ${seed} page ${x}`).toBe(x === i ? 6 : 5);
        expect(misses({ ...l2, policy: 'random', seed }, 'READ', x), `l2 seed ${seed} page ${x}`).toBe(x === l ? 6 : 5);
      }
    }
  });
});

describe('replacement: per-level policies', () => {
  const abaca = [1, 2, 1, 3, 1];
  const two = { entries: 2, ways: 2 };
  const reads = abaca.map(page);
  const fetches = abaca.map((vpn) => mem(vpn * 4096, 'FETCH'));

  it('override only the level they name', () => {
    // abaca on 2 ways: lru 3 misses, fifo 4.
    const both = [...reads, ...fetches];
    const l1 = { l1d: two, l1i: two };
    let s = run(both, { ...l1, policy: 'fifo', levelPolicies: { l1d: 'lru' } });
    expect([s.tlb.l1d.misses, s.tlb.l1i.misses]).toEqual([3, 4]);
    s = run(both, { ...l1, policy: 'fifo', levelPolicies: { l1i: 'lru' } });
    expect([s.tlb.l1d.misses, s.tlb.l1i.misses]).toEqual([4, 3]);
    s = run(both, { ...l1, policy: 'lru', levelPolicies: { l1d: 'fifo', l1i: 'lru' } });
    expect([s.tlb.l1d.misses, s.tlb.l1i.misses]).toEqual([4, 3]);
    // A one-way L1 misses every time, so the L2 sees all of abaca.
    const withL2 = { l1d: { entries: 1, ways: 1 }, l2: two };
    s = run(reads, { ...withL2, policy: 'fifo', levelPolicies: { l2: 'lru' } });
    expect([s.tlb.l1d.misses, s.tlb.l2!.misses]).toEqual([5, 3]);
    s = run(reads, { ...withL2, policy: 'lru', levelPolicies: { l1d: 'fifo' } });
    expect([s.tlb.l1d.misses, s.tlb.l2!.misses]).toEqual([5, 3]);
    s = run(reads, { ...withL2, policy: 'lru', levelPolicies: { l2: 'fifo' } });
    expect([s.tlb.l1d.misses, s.tlb.l2!.misses]).toEqual([5, 4]);
  });

  it('an l2 override without an L2 changes nothing', () => {
    const s = run(reads, { l1d: two, policy: 'lru', l2: null, levelPolicies: { l2: 'fifo' } });
    expect(s.tlb.l1d.misses).toBe(3);
    expect(s.tlb.l2).toBeUndefined();
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
    expect(s.faults.observedByReason).toEqual({ 'Page Not Present (Write)': 1 });
    expect(s.tlb.l1d.misses).toBe(2);
    expect(s.records).toBe(2);
  });

  it('gives fetches to the iTLB and data to the dTLB', () => {
    const s = run([mem(0x1000, 'FETCH', 3), mem(0x1000, 'WRITE', 8)]);
    expect(s.tlb.l1i).toEqual({ lookups: 1, hits: 0, misses: 1 });
    expect(s.tlb.l1d).toEqual({ lookups: 1, hits: 0, misses: 1 });
    expect(s.walks.count).toBe(2);
    expect(s.faults.minor).toBe(1);
    expect(perFrame(s)).toEqual([[260, 2]]);
  });
});

describe('kernel layouts, permissions and KPTI', () => {
  const LINUX: Partial<MachineConfig> = { layout: 'linux' };
  const K = (offset: number) => (0xffff_8880_0000_0000n + BigInt(offset)).toString(16); // direct map
  const TEXT = 'ffffffff81000010';

  it('kernel entries are global: a switch without PCID keeps them, [TLB_FLUSH] does not', () => {
    const s = run([mem(K(0x1000)), page(1), '[CR3] 0x2000', mem(K(0x1000)), page(1)], LINUX);
    expect(s.tlb.l1d).toEqual({ lookups: 4, hits: 1, misses: 3 });
    // Two spaces: root, PDPT, PD, PT and a data page each; the linear page takes nothing.
    expect(s.frames).toEqual({ used: 10, pageTable: 8 });
    expect(perFrame(s)).toEqual([
      [1, 2],
      [260, 1],
      [265, 1],
    ]);
    const flushed = run([mem(K(0x1000)), '[TLB_FLUSH]', mem(K(0x1000))], LINUX);
    expect(flushed.tlb.l1d.misses).toBe(2);
    const invalidated = run([mem(K(0x1000)), '[CR3] 0x2000', `[INVLPG] VA=0x${K(0x1000)}`, mem(K(0x1000))], LINUX);
    expect(invalidated.tlb.l1d.misses).toBe(2);
  });

  it('linear pages: frame (va - base) >> 12, no fault, no frames; other kernel pages fault once in the kernel table', () => {
    const s = run([mem('ffffffff80005000'), mem(K(0x3fff)), mem('ffffc90000000000'), '[CR3] 0x2000', mem('ffffc90000000000', 'READ')], {
      ...LINUX,
      pcid: true,
    });
    expect(perFrame(s).filter(([pfn]) => pfn < 256)).toEqual([
      [3, 1],
      [5, 1],
    ]);
    expect(s.walks).toEqual({ count: 3, refs: 12 });
    expect(s.faults.minor).toBe(1);
    // The space's root (256), then the kernel root with the first
    // non-linear kernel page, its PDPT, PD, PT and the page (261); the
    // second space's first translation takes its root (262), then hits the
    // global entry.
    expect(s.frames).toEqual({ used: 7, pageTable: 6 });
    expect(perFrame(s).filter(([pfn]) => pfn >= 256)).toEqual([[261, 2]]);
    // Question recorded in machine.ts: the kernel root is not taken for linear pages alone.
    expect(run([mem(K(0))], LINUX).frames).toEqual({ used: 1, pageTable: 1 });
  });

  it('the mode follows fetches (before the first, the access\'s own half); user mode may not touch the kernel half', () => {
    const s = run([mem(0x400000, 'FETCH'), mem(K(0x1000)), mem('ffffffff81000000', 'FETCH'), mem(K(0x1000)), mem(0x1000)], LINUX);
    expect(s.faults.protection).toEqual({ read: 0, write: 0, exec: 0, user: 1 });
    expect(s.tlb.l1d.lookups).toBe(2); // kernel mode reads the kernel page and (no SMAP) a user page
    expect(s.tlb.l1i.lookups).toBe(2);
    const noFetches = run([mem(K(0x1000)), mem(0x1000), mem(K(0x1000))], LINUX);
    expect(noFetches.faults.protection.user).toBe(0);
    expect(noFetches.tlb.l1d.lookups).toBe(3);
    // A CPU goes by its own fetches.
    const cpus = run([mem(0x400000, 'FETCH'), `${mem(K(0x1000))}, vcpu=1`, mem(K(0x1000))], LINUX);
    expect(cpus.faults.protection.user).toBe(1);
    expect(cpus.tlb.l1d.lookups).toBe(1);
  });

  it('writes to kernel text fault; reads and writes elsewhere in the image do not', () => {
    const lines = [mem(TEXT, 'WRITE'), mem('ffffffff80100000', 'WRITE'), mem(TEXT)];
    const s = run(lines, LINUX);
    expect(s.faults.protection.write).toBe(1);
    expect(s.tlb.l1d.lookups).toBe(2);
    expect(run(lines, { ...LINUX, kernelText: null }).faults.protection.write).toBe(0);
    const own = run(lines, { ...LINUX, kernelText: { start: 0xffffffff80100000n, end: 0xffffffff80101000n } });
    expect(own.faults.protection.write).toBe(1);
    expect(own.tlb.l1d.lookups).toBe(2);
    // PintOS: linear from KERN_BASE, no text unless given.
    const pintos = run([mem(0x8004200010, 'WRITE'), mem(0x8004000000 + 0x7000)], { layout: 'pintos' });
    expect(pintos.faults.protection.write).toBe(0);
    expect(perFrame(pintos)).toEqual([
      [0x7, 1],
      [0x200, 1],
    ]);
  });

  it('region maps: outside every region is invalid; read, write and exec by the region\'s permissions', () => {
    const r = (start: number, end: number, perms: string) => ({
      start: BigInt(start),
      end: BigInt(end),
      read: perms[0] === 'r',
      write: perms[1] === 'w',
      exec: perms[2] === 'x',
    });
    const regions = [r(0x1000, 0x2000, 'r--'), r(0x2000, 0x3000, 'rw-'), r(0x3000, 0x4000, 'r-x'), r(0x5000, 0x5800, '---')];
    const s = run(
      [
        mem(0x1000),
        mem(0x1000, 'WRITE'),
        mem(0x1000, 'FETCH'),
        mem(0x2000),
        mem(0x2000, 'WRITE'),
        mem(0x3000, 'FETCH'),
        mem(0x3000, 'WRITE'),
        mem(0x4000),
        mem(0x5000),
        mem(0x5900),
        mem(0x1ffe, 'READ', 4), // a crossing: each page by the first byte the access touches in it
      ],
      { maps: [{ cr3: null, regions }] },
    );
    expect(s.faults.invalid).toBe(2);
    expect(s.faults.protection).toEqual({ read: 1, write: 2, exec: 1, user: 0 });
    expect(s.tlb.l1d.lookups).toBe(5);
    expect(s.tlb.l1i.lookups).toBe(1);
    // A map per CR3, the default for every other space; 0x0 names the unnamed start space.
    const maps = [
      { cr3: null, regions: [r(0x1000, 0x2000, 'r--')] },
      { cr3: 0x2000n, regions: [r(0x5000, 0x6000, 'rw-')] },
    ];
    const named = run([page(1), '[CR3] 0x2000', page(1), page(5)], { maps });
    expect(named.faults.invalid).toBe(1);
    const start = run([page(1), page(5)], { maps: [...maps, { cr3: 0n, regions: [r(0x5000, 0x6000, 'r--')] }] });
    expect(start.faults.invalid).toBe(1);
  });

  it('KPTI: every mode change switches CR3; without PCID it flushes, with PCID entries are per (process, mode)', () => {
    const lines = [mem(0x400000, 'FETCH'), mem(0x1000), mem('ffffffff81000000', 'FETCH'), mem(0x1000), mem(0x400000, 'FETCH'), mem(0x1000)];
    const kpti = run(lines, { ...LINUX, kpti: true });
    expect(kpti.kptiSwitches).toBe(2);
    expect(kpti.tlb.l1i).toEqual({ lookups: 3, hits: 0, misses: 3 });
    expect(kpti.tlb.l1d).toEqual({ lookups: 3, hits: 0, misses: 3 });
    // Root and user root, then PDPT, PD, PT and 0x400000; a PT and 0x1000.
    expect(kpti.frames).toEqual({ used: 8, pageTable: 6 });
    const pcid = run(lines, { ...LINUX, kpti: true, pcid: true });
    expect(pcid.kptiSwitches).toBe(2);
    expect(pcid.tlb.l1i).toEqual({ lookups: 3, hits: 1, misses: 2 });
    // The kernel-mode read of 0x1000 makes its own entry.
    expect(pcid.tlb.l1d).toEqual({ lookups: 3, hits: 1, misses: 2 });
    expect(run(lines, LINUX).kptiSwitches).toBe(0);
  });

  it('rejects KPTI without linux, linux on 32-bit paging, pintos with 1G pages', () => {
    expect(() => run([page(1)], { kpti: true })).toThrow(/KPTI/);
    expect(() => run([page(1)], { layout: 'linux', paging: 'pae' })).toThrow(/linux/);
    expect(() => run([page(1)], { layout: 'pintos', pageSize: '1G' })).toThrow(/pintos/);
  });
});

describe('CPUs', () => {
  it('each CPU has its own TLBs; [TLB_FLUSH] vcpu=N flushes that CPU\'s only', () => {
    const on = (cpu: number) => `${page(1)}, vcpu=${cpu}`;
    const s = run([on(0), on(1), on(1), '[TLB_FLUSH] vcpu=1', on(0), on(1)]);
    expect(s.cpus).toBe(2);
    expect(s.tlb.l1d).toEqual({ lookups: 5, hits: 2, misses: 3 });
    expect(s.perCpu).toEqual([
      { cpu: 0, l1d: { lookups: 2, hits: 1, misses: 1 }, l1i: { lookups: 0, hits: 0, misses: 0 } },
      { cpu: 1, l1d: { lookups: 3, hits: 1, misses: 2 }, l1i: { lookups: 0, hits: 0, misses: 0 } },
    ]);
    expect(s.faults.minor).toBe(1); // page tables are shared
    expect(run([page(1)]).perCpu).toBeUndefined();
    // A control line makes its CPU too.
    expect(run([page(1), '[TLB_FLUSH] vcpu=5']).cpus).toBe(2);
    expect(() => run([`${page(1)}, vcpu=64`])).toThrow(/64 CPUs/);
  });

  it('each CPU has its own current space, starting in the trace\'s start space', () => {
    const s = run(['[CR3] 0x1000, vcpu=1', page(1), `${page(1)}, vcpu=2`, '[CR3] 0x2000, vcpu=1', `${page(1)}, vcpu=1`, page(1)]);
    expect(s.contextSwitches).toBe(1);
    expect(s.contexts).toBe(2);
    expect(s.faults.minor).toBe(2);
    expect(s.cpus).toBe(3);
  });

  it('an eviction shoots the page down in every CPU\'s TLBs, counted once', () => {
    // Root, PDPT, PD, PT and one data frame.
    const s = run([page(1), `${page(1)}, vcpu=1`, page(2), `${page(1)}, vcpu=1`], { frames: 5 });
    expect(s.memory).toEqual({ frames: 5, evictions: 2, writebacks: 0, shootdowns: 2 });
    expect(s.faults.major).toBe(1);
    expect(s.tlb.l1d).toEqual({ lookups: 4, hits: 0, misses: 4 });
  });

  it('CPU c\'s random generators start at seed + 3c + 1, 2, 3', () => {
    const trace = randomTrace(5, { format: 'lackey', badRate: 0, lines: 800 }).text.split('\n').filter((l) => /^ ?[ILSM] /.test(l));
    const asMem = trace.map((l) => {
      const [, op, addr, size] = /^ ?([ILSM]) +([0-9a-fA-F]+),(\d+)/.exec(l)!;
      return mem(addr, op === 'I' ? 'FETCH' : op === 'S' ? 'WRITE' : 'READ', Math.max(1, Number(size)));
    });
    const random: Partial<MachineConfig> = { policy: 'random', l2: { entries: 8, ways: 4 } };
    const onCpu1 = run(asMem.map((l) => `${l}, vcpu=1`), { ...random, seed: 7 });
    const alone = run(asMem, { ...random, seed: 10 });
    // CPU 0 always exists (idle here); CPU 1 draws as a one-CPU machine seeded 3 higher.
    expect(onCpu1.cpus).toBe(2);
    expect(onCpu1.perCpu![1]).toEqual({ cpu: 1, ...alone.tlb });
    expect(onCpu1.tlb).toEqual(alone.tlb);
    expect(run(asMem.map((l) => `${l}, vcpu=1`), { ...random, seed: 10 }).tlb).not.toEqual(alone.tlb);
  });
});

describe('page-walk caches', () => {
  const one = { entries: 1, ways: 1 };
  /** A one-entry L1 and no L2 (SMALL's): every new page walks. */
  const pwc = (sizes: Partial<Record<PwcLevel, number>>, machine: Partial<MachineConfig> = {}): Partial<MachineConfig> => ({
    l1d: one,
    pwc: sizes,
    ...machine,
  });

  it('are off without config.pwc: no walks.pwc, a full walk every time', () => {
    const s = run([page(0), page(1)], { l1d: one });
    expect('pwc' in s.walks).toBe(false);
    expect(s.walks).toEqual({ count: 2, refs: 8 });
  });

  it('x86-64: a pde hit reads 1 entry, pdpte 2, pml4e 3, none 4; probes stop at the first hit', () => {
    // page 0 misses all three (4) and fills pde 0, pdpte 0, pml4e 0;
    // page 1, a first touch in the same PT: pde hit (1);
    // page 512, next PT in the same PD: pde miss, pdpte hit (2);
    // page 2^18, next PD in the same PDPT: pml4e hit (3);
    // page 2^27 (VA 2^39), next PDPT: all miss (4).
    const s = run([page(0), page(1), page(512), page(1 << 18), page(1 << 27)], pwc(DEFAULT_PWC));
    expect(s.walks).toEqual({
      count: 5,
      refs: 4 + 1 + 2 + 3 + 4,
      pwc: { pde: { lookups: 5, hits: 1 }, pdpte: { lookups: 4, hits: 1 }, pml4e: { lookups: 3, hits: 1 } },
    });
    expect(s.faults.minor).toBe(5);
  });

  it('change nothing but walks.refs and walks.pwc', () => {
    const lines = [page(0), page(1), page(512), page(1 << 18), page(1 << 27), page(0), '[CR3] 0x9', page(3)];
    const on = run(lines, pwc(DEFAULT_PWC));
    const off = run(lines, { l1d: one });
    expect({ ...on, walks: off.walks }).toEqual(off);
    expect(on.walks.count).toBe(off.walks.count);
    expect(on.walks.refs).toBeLessThan(off.walks.refs);
  });

  it('a walk fills the caches of the entries it read, below a hit but not above it', () => {
    // page 512 hits pdpte 0 and fills pde 1 (its PT), so page 513 hits pde.
    // page 2^18 hits pml4e 0 and fills pdpte 1 and pde 512: page 2^18 + 512
    // (pde 513, pdpte 1) hits pdpte.
    const s = run([page(0), page(512), page(513), page(1 << 18), page((1 << 18) + 512)], pwc(DEFAULT_PWC));
    expect(s.walks).toEqual({
      count: 5,
      refs: 4 + 2 + 1 + 3 + 2,
      pwc: { pde: { lookups: 5, hits: 1 }, pdpte: { lookups: 4, hits: 2 }, pml4e: { lookups: 2, hits: 1 } },
    });
  });

  it('probe on walks only: an L1 or L2 hit probes nothing', () => {
    // page 0 walks, page 1 walks (pde hit), page 0 hits the L2.
    const s = run([page(0), page(1), page(0)], pwc(DEFAULT_PWC, { l2: { entries: 4, ways: 4 } }));
    expect(s.tlb.l2).toEqual({ lookups: 3, hits: 1, misses: 2 });
    expect(s.walks.pwc!.pde).toEqual({ lookups: 2, hits: 1 });
    expect(s.walks.refs).toBe(5);
  });

  it('a level left out has 0 entries: probed and counted, never hit', () => {
    const lines = [page(0), page(1), page(512), page(2)];
    const s = run(lines, pwc({ pde: 4 }));
    // page 1 and page 2 hit pde 0; page 512 probes all three and misses.
    expect(s.walks).toEqual({
      count: 4,
      refs: 4 + 1 + 4 + 1,
      pwc: { pde: { lookups: 4, hits: 2 }, pdpte: { lookups: 2, hits: 0 }, pml4e: { lookups: 2, hits: 0 } },
    });
    // All left out: 0 entries each; an explicit 0 is the same.
    for (const sizes of [{}, { pde: 0, pdpte: 0, pml4e: 0 }]) {
      const t = run(lines, pwc(sizes));
      expect(t.walks).toEqual({
        count: 4,
        refs: 16,
        pwc: { pde: { lookups: 4, hits: 0 }, pdpte: { lookups: 4, hits: 0 }, pml4e: { lookups: 4, hits: 0 } },
      });
    }
  });

  it('LRU, 1 entry: each fill evicts the one entry', () => {
    // pde: page 0 fills PT 0; page 1 hits it; page 512 fills PT 1 (PT 0
    // out); page 2 misses and fills PT 0 (PT 1 out); page 3 hits.
    const s = run([page(0), page(1), page(512), page(2), page(3)], pwc({ pde: 1 }));
    expect(s.walks.pwc!.pde).toEqual({ lookups: 5, hits: 2 });
    expect(s.walks.refs).toBe(4 + 1 + 4 + 4 + 1);
  });

  it('LRU, 2 entries: a hit refreshes; the least recently used goes', () => {
    // PT 0 (page 0), PT 1 (page 512), hit PT 0 (page 1: now most recent),
    // PT 2 (page 1024) evicts PT 1, not PT 0: page 2 hits, page 513 misses.
    // (FIFO would have evicted PT 0.)
    const s = run([page(0), page(512), page(1), page(1024), page(2), page(513)], pwc({ pde: 2 }));
    expect(s.walks.pwc!.pde).toEqual({ lookups: 6, hits: 2 });
    expect(s.walks.refs).toBe(4 + 4 + 1 + 4 + 1 + 4);
  });

  it('LRU at an upper level: a hit refreshes its position, and is not filled again', () => {
    // pdpte, 2 entries, pde off: PD 0 (page 0), PD 1 (page 2^9 * 2^9 = 2^18
    // is a new PD: its pdpte tag is 1), hit PD 0 (page 512) -> most recent,
    // PD 2 (page 2^19) evicts PD 1: page 2^18 + 1 misses, page 513 hits.
    const s = run([page(0), page(1 << 18), page(512), page(1 << 19), page(513), page((1 << 18) + 1)], pwc({ pdpte: 2, pml4e: 1 }));
    // pml4e (1 entry) holds PDPT 0 throughout: every pdpte miss hits it.
    expect(s.walks.pwc).toEqual({
      pde: { lookups: 6, hits: 0 },
      pdpte: { lookups: 6, hits: 2 },
      pml4e: { lookups: 4, hits: 3 },
    });
    expect(s.walks.refs).toBe(4 + 3 + 2 + 3 + 2 + 3);
  });

  it('[INVLPG] empties them entirely, whatever page it names', () => {
    // Without the INVLPG, page 2 would hit pde 0. The INVLPG names a page
    // far away whose entries are in no cache.
    const lines = [page(0), page(1), '[INVLPG] VA=0x7f0000000000', page(2)];
    const s = run(lines, { pwc: DEFAULT_PWC });
    expect(s.invlpg).toBe(1);
    expect(s.walks).toEqual({
      count: 3,
      refs: 4 + 1 + 4,
      pwc: { pde: { lookups: 3, hits: 1 }, pdpte: { lookups: 2, hits: 0 }, pml4e: { lookups: 2, hits: 0 } },
    });
    expect(run(lines.filter((l) => !l.startsWith('[INVLPG')), { pwc: DEFAULT_PWC }).walks.refs).toBe(4 + 1 + 1);
  });

  it('[INVLPG] with PCID empties them for every address space', () => {
    const lines = ['[CR3] 0x1', page(0), '[CR3] 0x2', page(0), '[INVLPG] VA=0x0', '[CR3] 0x1', page(1)];
    const s = run(lines, { pwc: DEFAULT_PWC, pcid: true });
    expect(s.walks.pwc!.pde).toEqual({ lookups: 3, hits: 0 });
    expect(s.walks.refs).toBe(12);
  });

  it('[TLB_FLUSH] empties them', () => {
    const s = run([page(0), '[TLB_FLUSH]', page(1)], { pwc: DEFAULT_PWC });
    expect(s.walks).toEqual({
      count: 2,
      refs: 8,
      pwc: { pde: { lookups: 2, hits: 0 }, pdpte: { lookups: 2, hits: 0 }, pml4e: { lookups: 2, hits: 0 } },
    });
    expect(run([page(0), page(1)], { pwc: DEFAULT_PWC }).walks.refs).toBe(5);
  });

  it('a switch without PCID empties them; [CR3] of the current space does not', () => {
    const lines = ['[CR3] 0x1', page(0), '[CR3] 0x2', page(0), '[CR3] 0x1', page(1), '[CR3] 0x1', page(2)];
    const s = run(lines, { pwc: DEFAULT_PWC });
    // space 1 page 0 (4), space 2 page 0 (4), back in space 1 page 1: emptied
    // by the switch (4), page 2: pde hit (1).
    expect(s.contextSwitches).toBe(2);
    expect(s.walks.pwc!.pde).toEqual({ lookups: 4, hits: 1 });
    expect(s.walks.refs).toBe(4 + 4 + 4 + 1);
  });

  it('with PCID a switch keeps them, tagged by address space', () => {
    const lines = ['[CR3] 0x1', page(0), '[CR3] 0x2', page(1), '[CR3] 0x1', page(1), '[CR3] 0x2', page(2)];
    const s = run(lines, { pwc: DEFAULT_PWC, pcid: true });
    // space 1 page 0 (4); space 2 page 1: space 1's PT 0 is not its own (4);
    // space 1 page 1: pde hit (1); space 2 page 2: pde hit (1).
    expect(s.walks.pwc!.pde).toEqual({ lookups: 4, hits: 2 });
    expect(s.walks.refs).toBe(4 + 4 + 1 + 1);
    expect(s.faults.minor).toBe(4);
  });

  it('x86-32 has only pde, tagged per 4 MiB; 1 entry read on a hit', () => {
    const lines = [page(0), page(1023), page(1024)];
    const s = run(lines, pwc(DEFAULT_PWC, { paging: 'x86-32' }));
    expect(s.walks).toEqual({ count: 3, refs: 2 + 1 + 2, pwc: { pde: { lookups: 3, hits: 1 } } });
    // Sizes of levels the mode lacks change nothing.
    const t = run(lines, pwc({ pdpte: 8, pml4e: 4, pml5e: 2 }, { paging: 'x86-32' }));
    expect(t.walks).toEqual({ count: 3, refs: 6, pwc: { pde: { lookups: 3, hits: 0 } } });
  });

  it('pae has pde (per 2 MiB) and pdpte (per 1 GiB)', () => {
    // page 0 (3); page 512: pdpte hit (2); page 513: pde hit (1); page 2^18,
    // PDPT slot 1: none (3).
    const s = run([page(0), page(512), page(513), page(1 << 18)], pwc(DEFAULT_PWC, { paging: 'pae' }));
    expect(s.walks).toEqual({
      count: 4,
      refs: 3 + 2 + 1 + 3,
      pwc: { pde: { lookups: 4, hits: 1 }, pdpte: { lookups: 3, hits: 1 } },
    });
  });

  it('la57 has four; a pml5e hit reads 4 entries', () => {
    // VA 2^39 (page 2^27): PML4 slot 1 of PML5 slot 0; VA 2^48: PML5 slot 1.
    const s = run([page(0), mem('8000000000'), mem('1000000000000')], pwc(DEFAULT_PWC, { paging: 'la57' }));
    expect(s.walks).toEqual({
      count: 3,
      refs: 5 + 4 + 5,
      pwc: {
        pde: { lookups: 3, hits: 0 },
        pdpte: { lookups: 3, hits: 0 },
        pml4e: { lookups: 3, hits: 0 },
        pml5e: { lookups: 3, hits: 1 },
      },
    });
  });

  it('tag on the VPN bits above each level\'s index, upper half of the address space included', () => {
    // x86-64: ffff8000_00000000 and ffff8000_001ff000 share a PT; ffff8000_00200000 does not, but shares the PD.
    const s = run([mem('ffff800000000000'), mem('ffff8000001ff000'), mem('ffff800000200000')], pwc(DEFAULT_PWC));
    expect(s.walks.refs).toBe(4 + 1 + 2);
    // The shifts are those of the tables the entries point to (docs/metrics.md's table).
    for (const mode of PAGING_MODES) {
      const layout = PAGING_LAYOUTS[mode];
      expect(layout.pwcShifts.length, mode).toBe(layout.levels - 1);
      expect([...layout.pwcShifts].reverse(), mode).toEqual(layout.tableShifts.map((shift) => shift - 12n));
    }
  });

  it('rejects unknown levels and sizes that are not non-negative integers', () => {
    for (const sizes of [{ pde: -1 }, { pdpte: 1.5 }, { pml4e: Number.NaN }, { pte: 4 }] as Array<Partial<Record<PwcLevel, number>>>) {
      expect(() => run([page(0)], { pwc: sizes }), JSON.stringify(sizes)).toThrow(/page-walk cache/);
    }
  });
});

describe('huge pages', () => {
  const one = { entries: 1, ways: 1 };

  it('x86-64 2M: root, PDPT, PD, then 512 frames per page; 3 refs per walk', () => {
    // page 0: 256 PML4, 257 PDPT, 258 PD, data 259..770; 0x1000 and 0x1fffff
    // are page 0 too (L1 hits); 0x200000 is page 1, under the same PD: 771..1282.
    const s = run([mem(0), mem(0x1000), mem(0x1fffff), mem(0x200000)], { pageSize: '2M' });
    expect(perFrame(s)).toEqual([
      [259, 3],
      [771, 1],
    ]);
    expect(s.frames).toEqual({ used: 3 + 2 * 512, pageTable: 3 });
    expect(s.walks).toEqual({ count: 2, refs: 2 * 3 });
    expect(s.faults.minor).toBe(2);
    expect(s.tlb.l1d).toEqual({ lookups: 4, hits: 2, misses: 2 });
    // 4K is the default, and naming it changes nothing.
    expect(run([mem(0), mem(0x1000)], { pageSize: '4K' })).toEqual(run([mem(0), mem(0x1000)]));
  });

  it('1G: x86-64 reads 2 entries (PML4, PDPT), la57 3; 262144 frames per page', () => {
    // 256 PML4, 257 PDPT, data 258..262401; 0x40000000 is page 1: 262402.
    const s = run([mem(0), mem('3fffffff'), mem('40000000')], { pageSize: '1G' });
    expect(perFrame(s)).toEqual([
      [258, 2],
      [262402, 1],
    ]);
    expect(s.frames).toEqual({ used: 2 + 2 * 262144, pageTable: 2 });
    expect(s.walks).toEqual({ count: 2, refs: 2 * 2 });
    // la57: 256 PML5, 257 PML4, 258 PDPT, data 259.
    const t = run([mem(0)], { pageSize: '1G', paging: 'la57' });
    expect(perFrame(t)).toEqual([[259, 1]]);
    expect(t.frames).toEqual({ used: 3 + 262144, pageTable: 3 });
    expect(t.walks).toEqual({ count: 1, refs: 3 });
  });

  it('x86-32 4M: the root PD maps the page (1 ref); pae 2M: PDPT, PD (2 refs)', () => {
    // x86-32: 256 PD, data 257..1280; 0x400000 is page 1: 1281.
    const s = run([mem(0), mem('3fffff'), mem('400000')], { pageSize: '4M', paging: 'x86-32' });
    expect(perFrame(s)).toEqual([
      [257, 2],
      [1281, 1],
    ]);
    expect(s.frames).toEqual({ used: 1 + 2 * 1024, pageTable: 1 });
    expect(s.walks).toEqual({ count: 2, refs: 2 });
    // pae: 256 PDPT, 257 PD 0, data 258; 0x200000 in PD 0: 770; 0x40000000
    // (PDPT slot 1): PD 1 at 1282, data 1283.
    const t = run([mem(0), mem('200000'), mem('40000000')], { pageSize: '2M', paging: 'pae' });
    expect(perFrame(t)).toEqual([
      [258, 1],
      [770, 1],
      [1283, 1],
    ]);
    expect(t.frames).toEqual({ used: 3 + 3 * 512, pageTable: 3 });
    expect(t.walks).toEqual({ count: 3, refs: 3 * 2 });
  });

  it('count crossings of pages of the run\'s size', () => {
    // 0x1ffffe+4 crosses 2M pages 0 and 1; 0xffe+4 crosses 4K pages only.
    const lines = [mem('1ffffe', 'READ', 4), mem('ffe', 'READ', 4)];
    const huge = run(lines, { pageSize: '2M' });
    expect(huge.crossings).toBe(1);
    expect(huge.tlb.l1d.lookups).toBe(3);
    const base = run(lines);
    expect(base.crossings).toBe(2);
    expect(base.tlb.l1d.lookups).toBe(4);
  });

  it('set and tag TLB entries by va >> 21; [INVLPG] drops the 2M page holding its address', () => {
    // 4 sets, direct mapped: 2M pages 0 and 4 (0x800000) share set 0, and
    // 0x4000 is page 0: miss, miss (evicts 0), miss (evicts 4), hit.
    const s = run([mem(0), mem('800000'), mem('4000'), mem(0)], { pageSize: '2M', l1d: { entries: 4, ways: 1 } });
    expect(s.tlb.l1d).toEqual({ lookups: 4, hits: 1, misses: 3 });
    const lines = [mem(0), '[INVLPG] VA=0x1ff000', mem(0x10)];
    expect(run(lines, { pageSize: '2M' }).tlb.l1d.misses).toBe(2);
    // With 4K pages the INVLPG names page 0x1ff: page 0 stays.
    expect(run(lines).tlb.l1d.misses).toBe(1);
  });

  it('translate a page when the mode translates its first 4K page; wrap at the top to page 0', () => {
    // x86-32 4M: page 1023 (0xffc00000) is below 4 GiB, page 1024 is not.
    const s = run([mem('fffffffe', 'READ', 4)], { pageSize: '4M', paging: 'x86-32' });
    expect([s.crossings, s.tlb.l1d.lookups, s.faults.nonCanonical]).toEqual([1, 1, 1]);
    // x86-64 2M: the page holding 0x7fffffffffff is canonical, the next is not.
    const t = run([mem('7ffffffffffe', 'READ', 4)], { pageSize: '2M' });
    expect([t.crossings, t.tlb.l1d.lookups, t.faults.nonCanonical]).toEqual([1, 1, 1]);
    // 1G: the last page of the address space (2^34 - 1), then page 0: PML4
    // slots 511 and 0, a PDPT each.
    const u = run([mem('fffffffffffffffe', 'READ', 4)], { pageSize: '1G' });
    expect([u.crossings, u.tlb.l1d.lookups, u.faults.nonCanonical]).toEqual([1, 2, 0]);
    expect(u.frames.pageTable).toBe(3);
  });

  it('page-walk caches: only those above the leaf are probed and filled; a hit in k leaves k - leaf entries', () => {
    // x86-64 2M (leaf 1): page 0 misses pdpte and pml4e (3 reads) and fills
    // both; 0x200000 hits pdpte 0 (1 read: the PD entry); 0x40000000 (PD 1)
    // misses pdpte, hits pml4e 0 (2 reads); 2^39 (PDPT 1) misses both (3).
    const s = run([mem(0), mem('200000'), mem('40000000'), mem('8000000000')], { pageSize: '2M', l1d: one, pwc: DEFAULT_PWC });
    expect(s.walks).toEqual({
      count: 4,
      refs: 3 + 1 + 2 + 3,
      pwc: { pde: { lookups: 0, hits: 0 }, pdpte: { lookups: 4, hits: 1 }, pml4e: { lookups: 3, hits: 1 } },
    });
    // x86-64 1G (leaf 2): only pml4e; page 0 reads 2 and fills it, page 1 hits (1 read).
    const t = run([mem(0), mem('40000000')], { pageSize: '1G', l1d: one, pwc: DEFAULT_PWC });
    expect(t.walks).toEqual({
      count: 2,
      refs: 2 + 1,
      pwc: { pde: { lookups: 0, hits: 0 }, pdpte: { lookups: 0, hits: 0 }, pml4e: { lookups: 2, hits: 1 } },
    });
    // x86-32 4M: the only cache, pde, holds no pointers to tables the walk needs.
    const u = run([mem(0), mem('400000')], { pageSize: '4M', paging: 'x86-32', l1d: one, pwc: DEFAULT_PWC });
    expect(u.walks).toEqual({ count: 2, refs: 2, pwc: { pde: { lookups: 0, hits: 0 } } });
    // pae 2M: pdpte only, per 1 GiB: 2, then a hit (1), then slot 1 (2).
    const v = run([mem(0), mem('200000'), mem('40000000')], { pageSize: '2M', paging: 'pae', l1d: one, pwc: DEFAULT_PWC });
    expect(v.walks).toEqual({ count: 3, refs: 2 + 1 + 2, pwc: { pde: { lookups: 0, hits: 0 }, pdpte: { lookups: 3, hits: 1 } } });
    // la57 2M: 4 reads, then a pdpte hit (1).
    const w = run([mem(0), mem('200000')], { pageSize: '2M', paging: 'la57', l1d: one, pwc: DEFAULT_PWC });
    expect(w.walks).toEqual({
      count: 2,
      refs: 4 + 1,
      pwc: { pde: { lookups: 0, hits: 0 }, pdpte: { lookups: 2, hits: 1 }, pml4e: { lookups: 1, hits: 0 }, pml5e: { lookups: 1, hits: 0 } },
    });
  });

  it('reject a size the paging mode cannot map, and huge pages with a frame limit or shuffled frames', () => {
    for (const machine of [
      { pageSize: '2M', paging: 'x86-32' },
      { pageSize: '4M' },
      { pageSize: '1G', paging: 'pae' },
      { pageSize: '8K' },
    ] as Array<Partial<MachineConfig>>) {
      expect(() => run([page(0)], machine), JSON.stringify(machine)).toThrow(/page size/);
    }
    expect(() => run([page(0)], { pageSize: '2M', frames: 1000 })).toThrow(/huge pages/);
    expect(() => run([page(0)], { pageSize: '1G', alloc: 'shuffled' })).toThrow(/huge pages/);
    expect(run([page(0)], { pageSize: '2M', alloc: 'sequential' }).frames.used).toBe(3 + 512);
  });
});

describe('physical memory and eviction', () => {
  const read = (vpn: number): string => mem(vpn * 4096, 'READ');
  const write = (vpn: number): string => mem(vpn * 4096, 'WRITE');
  const fetch = (vpn: number): string => mem(vpn * 4096, 'FETCH');
  /** Which of `pages` a further read would find evicted (a major fault). Not for opt: the probe would be part of its future. */
  const evictedAfter = (lines: string[], machine: Partial<MachineConfig>, pages: number[]): number[] => {
    const before = run(lines, machine).faults.major;
    return pages.filter((p) => run([...lines, read(p)], machine).faults.major > before);
  };

  it('without a limit: no memory block, no major faults; --evict alone changes nothing', () => {
    const lines = [read(1), read(2), read(1)];
    const s = run(lines);
    expect('memory' in s).toBe(false);
    expect(s.faults.major).toBe(0);
    expect(run(lines, { evict: 'opt' })).toEqual(s);
    expect(run(lines, { evict: 'clock', alloc: 'sequential' })).toEqual(s);
  });

  it('a limit that is never reached: the memory block, all zero', () => {
    // 4 tables and 1 data page: exactly 5 frames.
    const s = run([read(1), write(1)], { frames: 5 });
    expect(s.memory).toEqual({ frames: 5, evictions: 0, writebacks: 0, shootdowns: 0 });
    expect(s.frames).toEqual({ used: 5, pageTable: 4 });
    expect({ ...s, memory: undefined }).toEqual({ ...run([read(1), write(1)]), memory: undefined });
  });

  // Frames 7: the tables take 256..259, data pages 260, 261, 262; L1d 4:4
  // holds every resident page, so every eviction is a shootdown.
  // Translations t0..t7: pages 1, 2, 3, 4, 2, 5, 6, 5.
  const trace = [1, 2, 3, 4, 2, 5, 6, 5].map(read);
  const seven = (evict?: EvictionPolicy): Partial<MachineConfig> => ({ frames: 7, ...(evict ? { evict } : {}) });

  it('lru: the page least recently translated goes', () => {
    // t3 p4: LRU of 1 (t0), 2 (t1), 3 (t2) is 1 -> p4 at 260. t4 p2 hits.
    // t5 p5: 3 (t2), 4 (t3), 2 (t4) -> 3 goes, p5 at 262. t6 p6: 4 (t3),
    // 2 (t4), 5 (t5) -> 4 goes, p6 at 260. t7 p5 hits at 262.
    for (const machine of [seven('lru'), seven()]) {
      const s = run(trace, machine);
      expect(perFrame(s)).toEqual([
        [260, 3],
        [261, 2],
        [262, 3],
      ]);
      expect(s.memory).toEqual({ frames: 7, evictions: 3, writebacks: 0, shootdowns: 3 });
      expect(s.faults).toMatchObject({ minor: 6, major: 0 });
      expect(s.frames).toEqual({ used: 7, pageTable: 4 });
    }
    expect(evictedAfter(trace, seven('lru'), [1, 2, 3, 4, 5, 6])).toEqual([1, 3, 4]);
  });

  it('lru: a TLB hit is a translation too', () => {
    // frames 6 (data 260, 261): p1, p2, p1 (a TLB hit), p3 -> p2 goes, not p1.
    expect(evictedAfter([read(1), read(2), read(1), read(3)], { frames: 6 }, [1, 2])).toEqual([2]);
  });

  it('fifo: the page loaded longest ago goes, hits or not', () => {
    // t3 p4: 1 was loaded first -> p4 at 260. t4 p2 hits. t5 p5: 2 (loaded
    // t1) goes although just hit -> p5 at 261. t6 p6: 3 -> 262. t7 p5 hits at 261.
    const s = run(trace, seven('fifo'));
    expect(perFrame(s)).toEqual([
      [260, 2],
      [261, 4],
      [262, 2],
    ]);
    expect(s.memory).toEqual({ frames: 7, evictions: 3, writebacks: 0, shootdowns: 3 });
    expect(evictedAfter(trace, seven('fifo'), [1, 2, 3, 4, 5, 6])).toEqual([1, 2, 3]);
  });

  it('clock: second chance from the hand, in PFN order, wrapping at the end of the pool', () => {
    // Loads set the bits of 260, 261, 262. t3 p4: the hand (256) skips the
    // tables, clears 260, 261, 262, wraps, takes 260 (p1); hand 261; p4's
    // bit set. t4 p2 hits: 261's bit set. t5 p5: 261 cleared, 262 (p3,
    // clear) taken; hand wraps to 256; p5 at 262. t6 p6: 260 (p4) cleared,
    // 261 (p2, clear) taken; p6 at 261; hand 262. t7 p5 hits at 262.
    const s = run(trace, seven('clock'));
    expect(perFrame(s)).toEqual([
      [260, 2],
      [261, 3],
      [262, 3],
    ]);
    expect(s.memory).toEqual({ frames: 7, evictions: 3, writebacks: 0, shootdowns: 3 });
    expect(evictedAfter(trace, seven('clock'), [1, 2, 3, 4, 5, 6])).toEqual([1, 2, 3]);
  });

  it('clock: page-table frames between data frames are skipped', () => {
    // frames 8: p0 -> tables 256..259, data 260; p512 -> PT 261, data 262;
    // p1 -> 263. p2: the hand clears 260, 262, 263 (skipping 261), wraps,
    // takes 260 (p0); hand at 261. p3: skips 261, takes 262 (p512, clear).
    const s = run([read(0), read(512), read(1), read(2), read(3)], { frames: 8, evict: 'clock' });
    expect(perFrame(s)).toEqual([
      [260, 2],
      [262, 2],
      [263, 1],
    ]);
    expect(s.memory!.evictions).toBe(2);
    expect(s.frames).toEqual({ used: 8, pageTable: 5 });
  });

  it('opt: the page used farthest in the future goes; never again is farthest, ties to the lowest PFN', () => {
    // t3 p4: next uses 1 never, 2 at t4, 3 never: 1 (260) and 3 (262) tie,
    // 260 goes -> p4 at 260. t4 p2 hits. t5 p5: 4, 2, 3 are never used
    // again: 260 (p4) goes -> p5 at 260. t6 p6: 5 is used at t7, 2 (261)
    // and 3 (262) never: 261 goes -> p6 at 261. t7 p5 hits at 260.
    const s = run(trace, seven('opt'));
    expect(perFrame(s)).toEqual([
      [260, 4],
      [261, 3],
      [262, 1],
    ]);
    expect(s.memory).toEqual({ frames: 7, evictions: 3, writebacks: 0, shootdowns: 3 });
    expect(s.faults).toMatchObject({ minor: 6, major: 0 });
  });

  it('opt: a page\'s future is counted per address space and per translated page', () => {
    // frames 10: a's tables 256..259, t0 a:p1 at 260; b's tables 261..264,
    // t1 b:p1 at 265 (10 handed out). t2 a:p2: a:p1 comes back at t3 (the
    // non-canonical access before it is no translation), b:p1 (the same page
    // number in another space) never: b:p1 (265) goes. The crossing read
    // then hits a:p1 (t3) and a:p2 (t4).
    const lines = ['[CR3] 0xa', read(1), '[CR3] 0xb', read(1), '[CR3] 0xa', read(2), mem('800000000000'), mem(0x1ffe, 'READ', 4)];
    const s = run(lines, { frames: 10, evict: 'opt', pcid: true });
    expect(s.memory).toEqual({ frames: 10, evictions: 1, writebacks: 0, shootdowns: 1 });
    expect(perFrame(s)).toEqual([
      [260, 2],
      [265, 3],
    ]);
    // lru would have evicted a:p1 (the least recent).
    expect(run(lines, { frames: 10, evict: 'lru', pcid: true }).faults.major).toBe(1);
  });

  it('writebacks: an evicted page written since it was loaded', () => {
    // frames 5: one data frame. W p1; p2 evicts p1 (written: a writeback);
    // p1 evicts p2 (clean); W p1 (hit); p2 evicts p1 (written again).
    const s = run([write(1), read(2), read(1), write(1), read(2)], { frames: 5 });
    expect(s.memory).toEqual({ frames: 5, evictions: 3, writebacks: 2, shootdowns: 3 });
    expect(s.faults).toMatchObject({ minor: 2, major: 2 });
    expect(s.walks.count).toBe(4);
    // Reloaded by a read, p1 is clean: its second eviction writes nothing back.
    expect(run([write(1), read(2), read(1), read(2)], { frames: 5 }).memory!.writebacks).toBe(1);
    // Fetches are no writes.
    expect(run([fetch(1), read(2)], { frames: 5 }).memory!.writebacks).toBe(0);
    // The write half of a lackey M writes.
    const lackey = { format: 'lackey', sizeShift: false } as const;
    expect(run([' M 00001000,4', ' L 00002000,4'], { frames: 5 }, lackey).memory!.writebacks).toBe(1);
    // A write crossing two pages writes both (frames 6: two data frames).
    expect(run([mem(0x1ffe, 'WRITE', 4), read(3), read(4)], { frames: 6 }).memory).toEqual({ frames: 6, evictions: 2, writebacks: 2, shootdowns: 2 });
  });

  it('shootdowns: every TLB level, in the owner\'s tag whatever space is current; none after a switch flushed it', () => {
    // frames 9: space a: 256..259 tables, p1 at 260; space b: 261..264
    // tables (9 handed out), so b:p1 evicts a:p1 and takes 260; back in a,
    // p1 misses, walks, is a major fault and evicts b:p1.
    const lines = ['[CR3] 0xa', read(1), '[CR3] 0xb', read(1), '[CR3] 0xa', read(1)];
    const flushed = run(lines, { frames: 9 });
    expect(flushed.memory).toEqual({ frames: 9, evictions: 2, writebacks: 0, shootdowns: 0 });
    expect(flushed.faults).toMatchObject({ minor: 2, major: 1 });
    expect(perFrame(flushed)).toEqual([[260, 3]]);
    // With PCID the entries survive the switches, so each eviction shoots
    // one down; a:p1's miss after the return shows it was.
    const tagged = run(lines, { frames: 9, pcid: true });
    expect(tagged.memory).toEqual({ frames: 9, evictions: 2, writebacks: 0, shootdowns: 2 });
    expect(tagged.tlb.l1d).toEqual({ lookups: 3, hits: 0, misses: 3 });
    expect(tagged.faults.major).toBe(1);
  });

  it('shootdowns: an entry in the L2 or the iTLB counts; none when no TLB holds the page', () => {
    const one = { entries: 1, ways: 1 };
    // frames 6 (data 260, 261), 1-entry L1d: p3 evicts p1, whose entry p2 replaced.
    expect(run([read(1), read(2), read(3)], { frames: 6, l1d: one }).memory).toEqual({ frames: 6, evictions: 1, writebacks: 0, shootdowns: 0 });
    // With an L2, p1 is still there: shot down, so its next touch misses every level.
    const s = run([read(1), read(2), read(3), read(1)], { frames: 6, l1d: one, l2: { entries: 4, ways: 4 } });
    expect(s.memory).toEqual({ frames: 6, evictions: 2, writebacks: 0, shootdowns: 2 });
    expect(s.tlb.l2).toEqual({ lookups: 4, hits: 0, misses: 4 });
    expect(s.faults.major).toBe(1);
    // A fetched page lives in the iTLB.
    const t = run([fetch(1), read(2), read(3), fetch(1)], { frames: 6 });
    expect(t.memory).toEqual({ frames: 6, evictions: 2, writebacks: 0, shootdowns: 2 });
    expect(t.tlb.l1i).toEqual({ lookups: 2, hits: 0, misses: 2 });
  });

  it('major faults walk like any walk, and the page-walk caches are left alone', () => {
    // frames 6 (two data frames), a 1-entry L1: p0 reads 4 entries and fills
    // pde 0; p1, p2 hit pde 0 (1 each), p2 evicts p0; p0 again: a major
    // fault whose walk still hits pde 0.
    const s = run([read(0), read(1), read(2), read(0)], { frames: 6, l1d: { entries: 1, ways: 1 }, pwc: { pde: 4 } });
    expect(s.walks).toEqual({
      count: 4,
      refs: 4 + 1 + 1 + 1,
      pwc: { pde: { lookups: 4, hits: 3 }, pdpte: { lookups: 1, hits: 0 }, pml4e: { lookups: 1, hits: 0 } },
    });
    expect(s.faults).toMatchObject({ minor: 3, major: 1 });
    // No new tables: p0's came back into p1's old frame.
    expect(s.frames).toEqual({ used: 6, pageTable: 4 });
    expect(perFrame(s)).toEqual([
      [260, 2],
      [261, 2],
    ]);
  });

  it('page tables take data frames, never the reverse; when every frame is a table the replay stops', () => {
    // frames 7: p0 -> 256..259 tables, data 260; p512 -> PT 261, data 262
    // (7 handed out); p1024 needs a PT: p0 (260) goes and 260 becomes a
    // table; its data page evicts p512 (262). 260 keeps p0's count.
    const s = run([read(0), read(512), read(1024)], { frames: 7 });
    expect(s.frames).toEqual({ used: 7, pageTable: 6 });
    expect(perFrame(s)).toEqual([
      [260, 1],
      [262, 2],
    ]);
    expect(s.memory!.evictions).toBe(2);
    // frames 6: p1024's PT takes 260, then its data page finds only tables.
    expect(() => run([read(0), read(512), read(1024)], { frames: 6 })).toThrow(/page tables alone need more than 6 frames/);
    // frames 4: the first data page finds only tables; frames 1: the PDPT does.
    for (const frames of [4, 1]) {
      expect(() => run([read(0)], { frames })).toThrow(UserError);
      expect(() => run([read(0)], { frames })).toThrow(`page tables alone need more than ${frames} frames`);
    }
    // Nothing translated, nothing needed.
    expect(run([mem('800000000000')], { frames: 1 }).frames.used).toBe(0);
  });

  it('reject limits that are not positive integers and unknown policies', () => {
    for (const frames of [0, -1, 2.5, Number.NaN]) expect(() => run([read(0)], { frames }), String(frames)).toThrow(/frame limit/);
    expect(() => run([read(0)], { frames: 9, evict: 'mru' as EvictionPolicy })).toThrow(/eviction policy/);
    expect(() => run([read(0)], { alloc: 'buddy' as MachineConfig['alloc'] })).toThrow(/allocator/);
  });
});

describe('frame allocation: shuffled', () => {
  /** The first `n` frames of the shuffled order, written apart from the model with the test's splitmix64. */
  const shuffled = (seed: number, m: number, n: number): number[] => {
    const draws = splitmix64(BigInt(seed) + 4n);
    const a = new Map<number, number>();
    const at = (i: number) => a.get(i) ?? 256 + i;
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      const j = k + Number(draws.next().value % BigInt(m - k));
      const [ak, aj] = [at(k), at(j)];
      a.set(k, aj);
      a.set(j, ak);
      out.push(aj);
    }
    return out;
  };

  it('hands out a[k] after one Fisher-Yates step, drawing from seed + 4', () => {
    // Computed apart (Python): seed 1, M 10 -> 264, 256, 265, 261, 259, 262;
    // seed 7 -> 259, 261, 263, 256, 262, 258; seed 1, M 2^20 -> 640090,
    // 829551, 528323, 992278, 470145, 680172.
    expect(shuffled(1, 10, 6)).toEqual([264, 256, 265, 261, 259, 262]);
    expect(shuffled(7, 10, 6)).toEqual([259, 261, 263, 256, 262, 258]);
    expect(shuffled(1, 1 << 20, 6)).toEqual([640090, 829551, 528323, 992278, 470145, 680172]);
    // Root, PDPT, PD, PT, then p1 and p2: the 5th and 6th frames.
    const lines = [page(1), page(2)];
    for (const [seed, frames, data] of [
      [1, 10, [259, 262]],
      [7, 10, [262, 258]],
      [undefined, 10, [259, 262]], // seed 1 by default
      [1, undefined, [470145, 680172]], // the 4 GiB pool
    ] as Array<[number | undefined, number | undefined, number[]]>) {
      const s = run(lines, { alloc: 'shuffled', seed, frames });
      expect(perFrame(s), `seed ${seed} frames ${frames}`).toEqual(data.map((pfn) => [pfn, 1]).sort((x, y) => x[0] - y[0]));
      expect(s.frames).toEqual({ used: 6, pageTable: 4 });
    }
    // The TLBs' random draws are another generator: a random policy changes nothing here.
    expect(perFrame(run(lines, { alloc: 'shuffled', seed: 3, policy: 'random' }))).toEqual(perFrame(run(lines, { alloc: 'shuffled', seed: 3 })));
  });

  it('with a limit: evictions reuse frames, and the clock hand still goes in PFN order', () => {
    // seed 1, M 7: 259, 261, 257, 260 (tables), 258 (p1), 256 (p2), 262 (p3).
    expect(shuffled(1, 7, 7)).toEqual([259, 261, 257, 260, 258, 256, 262]);
    const lines = [page(1), page(2), page(3), page(4)];
    // clock: all bits cleared from 256 up, then 256 (p2) is the first clear frame.
    expect(perFrame(run(lines, { alloc: 'shuffled', frames: 7, evict: 'clock' }))).toEqual([
      [256, 2],
      [258, 1],
      [262, 1],
    ]);
    // fifo: p1, loaded first, at 258.
    expect(perFrame(run(lines, { alloc: 'shuffled', frames: 7, evict: 'fifo' }))).toEqual([
      [256, 1],
      [258, 2],
      [262, 1],
    ]);
  });

  it('hands out each frame of the pool once, then stops with an error', () => {
    const alloc = new ShuffledAllocator(5, 9);
    const frames = Array.from({ length: 5 }, () => alloc.take(1));
    expect(frames).toEqual(shuffled(9, 5, 5));
    expect([...frames].sort()).toEqual([256, 257, 258, 259, 260]);
    expect(() => alloc.take(1)).toThrow(/--frames/);
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
    expect(ok).toEqual({ kind: 'record', accesses: [{ kind: 'access', op: 'W', va: 0xabcn, size: 4, pa: 0x29fd7d0n, cpu: 1 }] });
    // CPU 0 is the default: no cpu field; the last vcpu= of a line names its CPU.
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, vcpu=0', MEM)).toEqual({ kind: 'record', accesses: [{ kind: 'access', op: 'R', va: 1n, size: 4 }] });
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, vcpu=3, vcpu=65535', MEM)).toMatchObject({ accesses: [{ cpu: 65535 }] });
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, vcpu=65536', MEM).kind).toBe('bad');
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, PA=29f', MEM).kind).toBe('bad');
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, vcpu=0x1', MEM).kind).toBe('bad');
    expect(decodeLine('[MEM] VA=0x1, size=4, type=READ, vcpu=', MEM).kind).toBe('bad');
  });

  it('reads the CPU a control line names, CPU 0 without one', () => {
    expect(decodeLine('[CR3] 0x5a02000, vcpu=2', MEM)).toEqual({ kind: 'control', event: { kind: 'cr3', value: 0x5a02000n, cpu: 2 } });
    expect(decodeLine('[CR3] 0x5a02000, vcpu=0', MEM)).toEqual({ kind: 'control', event: { kind: 'cr3', value: 0x5a02000n } });
    expect(decodeLine('[INVLPG] VA=0x7f20102d5000, vcpu=63', MEM)).toEqual({ kind: 'control', event: { kind: 'invlpg', va: 0x7f20102d5000n, cpu: 63 } });
    expect(decodeLine('[TLB_FLUSH] vcpu=1', MEM)).toEqual({ kind: 'control', event: { kind: 'flush', cpu: 1 } });
    expect(decodeLine('[TLB_FLUSH]', MEM)).toEqual({ kind: 'control', event: { kind: 'flush' } });
    for (const line of [
      '[CR3] 0x1000,vcpu=1',
      '[CR3] 0x1000, vcpu=',
      '[CR3] 0x1000, vcpu=65536',
      '[CR3] 0x1000, cpu=1',
      '[INVLPG] VA=0x1000 vcpu=1',
      '[TLB_FLUSH], vcpu=1',
      '[TLB_FLUSH] vcpu=1x',
      '[TLB_FLUSH]  vcpu=1',
    ]) {
      expect(decodeLine(line, MEM).kind, line).toBe('bad');
    }
  });

  it('gives every access of an execlog line the CPU of its first column', () => {
    const d = decodeLine('3, 0x401000, 0x90, "nop", load, 0x2000, store, 0x3000, RAM', { format: 'execlog', sizeShift: false });
    expect(d).toEqual({
      kind: 'record',
      accesses: [
        { kind: 'access', op: 'X', va: 0x401000n, size: 1, cpu: 3 },
        { kind: 'access', op: 'R', va: 0x2000n, size: 1, cpu: 3 },
        { kind: 'access', op: 'W', va: 0x3000n, size: 1, cpu: 3, physical: true, mmio: false },
      ],
    });
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

const MEMCSV: DecodeOptions = { format: 'memcsv', sizeShift: false };
const DIN: DecodeOptions = { format: 'din', sizeShift: false };
const PIN: DecodeOptions = { format: 'pin', sizeShift: false };
const EXECLOG: DecodeOptions = { format: 'execlog', sizeShift: false };
const HEADER = 'insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value';

describe('memcsv', () => {
  it('reads the last five fields from the end: symbols may hold commas', () => {
    expect(decodeLine('0xfe05b,,0xf61c8,0xf61c8,32,load,0x00000000', MEMCSV)).toEqual({
      kind: 'record',
      accesses: [{ kind: 'access', op: 'R', va: 0xf61c8n, size: 4, pa: 0xf61c8n }],
    });
    expect(decodeLine('0x401000,std::map<int, int>::find,0x7FFD1000,0x0,64,store,', MEMCSV)).toEqual({
      kind: 'record',
      accesses: [{ kind: 'access', op: 'W', va: 0x7ffd1000n, size: 8 }],
    });
    // A symbol that looks like the last fields does not fool the reading.
    expect(decodeLine('0x1,f,0x2,0x3,8,load,v,0x5000,0x0000000000000000,16,store,abc', MEMCSV)).toEqual({
      kind: 'record',
      accesses: [{ kind: 'access', op: 'W', va: 0x5000n, size: 2 }],
    });
  });

  it('skips the header wherever it appears; sizes are bits', () => {
    const s = run(
      [
        HEADER,
        '0xfe05b,,0x1ffe,0x7ffe,32,load,0x0', // 4 bytes: crosses into page 2
        HEADER,
        '0xfe05b,main,0x2000,0x0,8,store,0x00',
        '0xfe05b,,0x3001,0x3001,32768,load,0x0', // 4096 bytes from 0x3001: pages 3 and 4
      ],
      {},
      MEMCSV,
    );
    expect(s.records).toBe(3);
    expect(s.badLines).toBe(0);
    expect(s.accesses).toEqual({ read: 2, write: 1, fetch: 0, physical: 0, mmio: 0 });
    expect(s.crossings).toBe(2);
    expect(s.tlb.l1d.lookups).toBe(5);
    // hwaddr 0 is no physical address; a crossing access counts once, on its first byte's frame.
    expect(s.physicalPfn).toEqual([
      [3, 1],
      [7, 1],
    ]);
  });

  it('rejects malformed lines', () => {
    for (const line of [
      '0xfe05b,,0xf61c8,0x0,12,load,0x0', // not whole bytes
      '0xfe05b,,0xf61c8,0x0,0,load,0x0', // zero bits
      '0xfe05b,,0xf61c8,0x0,32776,load,0x0', // 4097 bytes
      '0xfe05b,,0xf61c8,0x0,32,fetch,0x0',
      '0xfe05b,,0xf61c8,0x0,32,LOAD,0x0',
      '0xfe05b,,0xf61c8,0x0,32,load,0x00,00', // a value with a comma: its type field is 0x00
      '0xfe05b,,f61c8,0x0,32,load,0x0',
      '0xfe05b,0xf61c8,0x0,32,load,0x0', // six fields
      'fe05b,,0xf61c8,0x0,32,load,0x0',
      '0xfe05b,,0x10000000000000000,0x0,32,load,0x0',
      '0xfe05b,,0xf61c8,0x0,0x20,load,0x0',
      'insn_vaddr,insn_symbol,mem_vaddr',
      ' ' + HEADER,
    ]) {
      expect(decodeLine(line, MEMCSV).kind, line).toBe('bad');
    }
    expect(decodeLine(HEADER + ' \r', MEMCSV).kind).toBe('skip');
    expect(decodeLine('0xfe05b,,0xf61c8,0x0,32768,load,0x0', MEMCSV).kind).toBe('record');
  });
});

describe('din', () => {
  it('reads labels 0, 1, 2 with an optional 0x, any blanks, and ignores further fields', () => {
    const lines = ['0 1000', '1\t0x1ffF', '2  \t 0X'.replace('0X', '0x2000'), '0 0x3000 4 extra', '00\t4000\tx'];
    const d = decodeTrace(lines.join('\n'), DIN);
    expect(d.records).toBe(5);
    expect(d.badLines).toBe(0);
    expect(d.events).toEqual([
      { kind: 'access', op: 'R', va: 0x1000n, size: 1 },
      { kind: 'access', op: 'W', va: 0x1fffn, size: 1 },
      { kind: 'access', op: 'X', va: 0x2000n, size: 1 },
      { kind: 'access', op: 'R', va: 0x3000n, size: 1 },
      { kind: 'access', op: 'R', va: 0x4000n, size: 1 },
    ]);
  });

  it('counts other labels as ignored lines: neither records nor bad', () => {
    const s = run(['3 1000', '0 1000', '4 0', '1 1000', '9999999999 0x1234 x'], {}, DIN);
    expect(s.records).toBe(2);
    expect(s.ignoredLines).toBe(3);
    expect(s.badLines).toBe(0);
    expect(s.accesses).toEqual({ read: 1, write: 1, fetch: 0, physical: 0, mmio: 0 });
    expect(s.physicalPfn).toEqual([]);
  });

  it('rejects malformed lines, ignored labels included', () => {
    for (const line of [
      'r 1000',
      '0 1000g',
      '0',
      '1,1000',
      '0 0x',
      '0 0X1000', // the prefix is 0x
      '0 0x0x1000',
      '2 10000000000000000',
      '12345678901 1000',
      '-1 1000',
      '0x0 1000',
      ' 0 1000',
      '3 zz', // an ignored label still needs an address
      '4',
    ]) {
      expect(decodeLine(line, DIN).kind, line).toBe('bad');
    }
  });
});

describe('pin', () => {
  it('reads R and W with an optional size; # lines are skipped', () => {
    const lines = ['# pinatrace', '0x7f2e3a1c2b3d: W 0x7ffd6bd4f8f8', '0x7f2e3a1c2b41: R 0x1ffE 4', '0x1: R 0x3000 4096', '0x1: W 0x4000 0', '#eof'];
    const d = decodeTrace(lines.join('\n'), PIN);
    expect(d.records).toBe(4);
    expect(d.badLines).toBe(0);
    expect(d.events).toEqual([
      { kind: 'access', op: 'W', va: 0x7ffd6bd4f8f8n, size: 1 },
      { kind: 'access', op: 'R', va: 0x1ffen, size: 4 },
      { kind: 'access', op: 'R', va: 0x3000n, size: 4096 },
      { kind: 'access', op: 'W', va: 0x4000n, size: 0 },
    ]);
    const s = run(lines, {}, PIN);
    expect(s.crossings).toBe(1);
    expect(s.accesses.fetch).toBe(0);
  });

  it('rejects malformed lines', () => {
    for (const line of [
      '0x1: X 0x1000',
      '0x1 R 0x1000',
      '1: R 0x1000',
      '0x1: W 1000',
      '0x1: R 0x1000 4097',
      '0x1: R 0x1000 12345678901',
      '0x1: R 0x',
      '0x1: r 0x1000',
      '0x1: R 0x1000 0x8',
      '0x1: R  0x1000',
      '0x1: R 0x1000 8 9',
      ' #eof',
      'eof',
    ]) {
      expect(decodeLine(line, PIN).kind, line).toBe('bad');
    }
  });
});

describe('observed page faults by reason', () => {
  const fault = (reason: string) => `[PAGE_FAULT] VA=0x1000${reason}`;

  it('counts by the text after " | Reason: ", in order of first appearance; unknown when absent or empty', () => {
    const s = run([
      fault(' | Reason: Write Access Violation'),
      fault(' | Reason: Page Not Present (Read)'),
      fault(''),
      fault(' | Reason: '), // the trailing blank goes with the line's end: no reason
      fault(' | Reason:x'), // not the separator
      fault(' | Reason: Write Access Violation \t\r'),
      fault(' | Reason: a | Reason: b'), // the first separator
      fault('zz | Reason: unknown'),
      fault(' | Reason:  two blanks'), // kept: everything after the separator
    ]);
    expect(s.faults.observed).toBe(9);
    expect(s.records).toBe(0);
    expect(s.faults.observedByReason).toEqual({
      'Write Access Violation': 2,
      'Page Not Present (Read)': 1,
      unknown: 4,
      'a | Reason: b': 1,
      ' two blanks': 1,
    });
    expect(Object.keys(s.faults.observedByReason)).toEqual(['Write Access Violation', 'Page Not Present (Read)', 'unknown', 'a | Reason: b', ' two blanks']);
  });

  it('keeps the first 60 bytes of a reason and names it by those bytes read as UTF-8', () => {
    const long = 'Page Not Present (Write) in a kernel-mode access while handling a signal frame';
    const utf8 = Buffer.from('Défaut de page', 'utf8').toString('latin1'); // the bytes a UTF-8 trace holds
    const s = run([fault(` | Reason: ${long}`), fault(` | Reason: ${long.slice(0, 60)}`), fault(` | Reason: ${utf8}`)]);
    expect(s.faults.observedByReason).toEqual({ [long.slice(0, 60)]: 2, 'Défaut de page': 1 });
    expect(long.slice(0, 60)).toBe('Page Not Present (Write) in a kernel-mode access while handl');
  });

  it('names at most 32 reasons; every later one counts as other', () => {
    const lines = Array.from({ length: 40 }, (_, i) => fault(` | Reason: r${i}`));
    lines.push(fault(' | Reason: r0'), fault(' | Reason: r35'), fault(''), fault(' | Reason: other'));
    const s = run(lines);
    const expected: Record<string, number> = {};
    for (let i = 0; i < 32; i++) expected[`r${i}`] = i === 0 ? 2 : 1;
    expected.other = 8 + 1 + 1 + 1; // r32..r39, r35 again, unknown (a 33rd distinct reason), "other" itself
    expect(s.faults.observedByReason).toEqual(expected);
    expect(Object.keys(s.faults.observedByReason)).toHaveLength(33);
    expect(s.faults.observed).toBe(44);
  });

  it('a reason named __proto__ is an ordinary key', () => {
    const s = run([fault(' | Reason: __proto__')]);
    expect(Object.entries(s.faults.observedByReason)).toEqual([['__proto__', 1]]);
  });
});

describe('the trace-frame histogram (physicalPfn)', () => {
  it('counts each access with PA= once, on its first byte\'s frame, fetches too', () => {
    const s = run([
      '[MEM] VA=0x1ffe, size=4, type=WRITE, PA=0x5ffe', // crosses two virtual and two physical pages
      '[MEM] VA=0x2000, size=1, type=READ, PA=0x6000',
      '[MEM] VA=0x3000, size=1, type=READ', // no PA
      '[MEM] VA=0x800000000000, size=1, type=READ, PA=0x1000', // non-canonical: still given
      '[MEM] VA=0x4000, size=3, type=FETCH, PA=0x1234',
      '[MEM] VA=0x4000, size=1, type=READ, PA=0xfffffffffffff000',
    ]);
    expect(s.physicalPfn).toEqual([
      [1, 2],
      [5, 1],
      [6, 1],
      [0xfffffffffffff, 1],
    ]);
    // The modelled frames are another matter.
    expect(s.pfn.map((f) => f.pfn)).toEqual([260, 261, 262, 263]);
  });

  it('counts execlog accesses to RAM at their own (physical) address, never MMIO', () => {
    const line = '0, 0x401683, 0x1188, "movb %dl, (%rcx)", store, 0x029f4010, RAM, load, 0x029f4fff, RAM, load, 0xfed00000, hpet, load, 0x401000';
    const s = run([line], {}, EXECLOG);
    expect(s.accesses).toEqual({ read: 3, write: 1, fetch: 1, physical: 3, mmio: 1 });
    expect(s.physicalPfn).toEqual([[0x29f4, 2]]);
  });

  it('is empty for traces without physical addresses', () => {
    const s = run([' L 1000,4', 'I  2000,3', ' M 3000,8'], {}, { format: 'lackey', sizeShift: false });
    expect(s.physicalPfn).toEqual([]);
    expect(s.faults.observedByReason).toEqual({});
    expect(s.ignoredLines).toBe(0);
  });
});

// --- generated traces ----------------------------------------------------

/** Levels per walk by paging mode (docs/metrics.md). */
const LEVELS: Record<PagingMode, number> = { 'x86-32': 2, pae: 3, 'x86-64': 4, la57: 5 };

/** What must hold for any trace and machine, whatever the exact counts. */
function checkInvariants(s: Stats, machine: Pick<MachineConfig, 'paging' | 'pwc' | 'pageSize' | 'frames'> = {}): void {
  const levels = [s.tlb.l1d, s.tlb.l1i, ...(s.tlb.l2 ? [s.tlb.l2] : [])];
  for (const l of levels) expect(l.hits + l.misses).toBe(l.lookups);
  const l1Misses = s.tlb.l1d.misses + s.tlb.l1i.misses;
  if (s.tlb.l2) {
    expect(s.tlb.l2.lookups).toBe(l1Misses);
    expect(s.walks.count).toBe(s.tlb.l2.misses);
  } else {
    expect(s.walks.count).toBe(l1Misses);
  }
  checkWalks(s, machine);
  expect(s.faults.minor + s.faults.major).toBeLessThanOrEqual(s.walks.count);
  checkMemory(s, machine);
  const translated = s.pfn.reduce((sum, f) => sum + f.translations, 0);
  expect(translated).toBe(s.tlb.l1d.lookups + s.tlb.l1i.lookups);
  // Per op: the L1i translates fetches, the L1d reads and writes.
  const column = (k: 'reads' | 'writes' | 'fetches') => s.pfn.reduce((sum, f) => sum + f[k], 0);
  expect(column('fetches')).toBe(s.tlb.l1i.lookups);
  expect(column('reads') + column('writes')).toBe(s.tlb.l1d.lookups);
  for (const f of s.pfn) expect(f.translations).toBe(f.reads + f.writes + f.fetches);
  const pages = s.accesses.read + s.accesses.write + s.accesses.fetch - s.accesses.physical + s.crossings;
  expect(s.tlb.l1d.lookups + s.tlb.l1i.lookups + s.faults.nonCanonical).toBe(pages);
  expect(s.pfn.map((f) => f.pfn)).toEqual([...s.pfn.map((f) => f.pfn)].sort((a, b) => a - b));
  // Observed faults: every one under one reason; at most 32 names and `other`.
  expect(sum(Object.entries(s.faults.observedByReason))).toBe(s.faults.observed);
  expect(Object.keys(s.faults.observedByReason).length).toBeLessThanOrEqual(33);
  // The trace-frame histogram: ascending, no zeros, one count per access
  // with a physical address: every RAM access of execlog system mode, and
  // at most every access that is not MMIO.
  for (let i = 1; i < s.physicalPfn.length; i++) expect(s.physicalPfn[i][0]).toBeGreaterThan(s.physicalPfn[i - 1][0]);
  for (const [, n] of s.physicalPfn) expect(n).toBeGreaterThan(0);
  const physical = sum(s.physicalPfn);
  expect(physical).toBeGreaterThanOrEqual(s.accesses.physical - s.accesses.mmio);
  expect(physical).toBeLessThanOrEqual(s.accesses.read + s.accesses.write + s.accesses.fetch - s.accesses.mmio);
}

/** The level of the entry that maps a page of each size (docs/metrics.md, Huge pages). */
const LEAF: Record<PageSize, number> = { '4K': 0, '2M': 1, '4M': 1, '1G': 2 };

/**
 * walks.pwc is there iff the machine has page-walk caches, with every cache
 * of the mode; each walk probes the first cache above the leaf (pde for 4K
 * pages), then each next cache while it misses, and reads k - leaf entries
 * on a hit in cache k, levels - leaf otherwise; caches at or below the leaf
 * are never probed.
 */
function checkWalks(s: Stats, machine: Pick<MachineConfig, 'paging' | 'pwc' | 'pageSize'>): void {
  const levels = LEVELS[machine.paging ?? 'x86-64'];
  const leaf = LEAF[machine.pageSize ?? '4K'];
  if (machine.pwc === undefined) {
    expect('pwc' in s.walks).toBe(false);
    expect(s.walks.refs).toBe((levels - leaf) * s.walks.count);
    return;
  }
  const caches = PWC_LEVELS.slice(0, levels - 1);
  expect(Object.keys(s.walks.pwc ?? {}).sort()).toEqual([...caches].sort());
  let probes = s.walks.count;
  let refs = 0;
  caches.forEach((name, i) => {
    const { lookups, hits } = s.walks.pwc![name]!;
    const k = i + 1;
    if (k <= leaf) {
      expect({ lookups, hits }, name).toEqual({ lookups: 0, hits: 0 });
      return;
    }
    expect(lookups, name).toBe(probes);
    expect(hits, name).toBeLessThanOrEqual(lookups);
    if ((machine.pwc![name] ?? 0) === 0) expect(hits, name).toBe(0);
    refs += (k - leaf) * hits;
    probes -= hits;
  });
  expect(s.walks.refs).toBe(refs + (levels - leaf) * probes);
}

/**
 * Frames: without a limit every minor fault takes one page's worth of 4K
 * frames and nothing is evicted; with one, every load (minor or major fault)
 * takes a frame and every eviction gives one back, never more than the
 * limit is handed out, and the limit is reached before anything is evicted.
 */
function checkMemory(s: Stats, machine: Pick<MachineConfig, 'pageSize' | 'frames'>): void {
  const pageFrames = 2 ** (PAGE_SHIFTS[machine.pageSize ?? '4K'] - 12);
  if (machine.frames === undefined) {
    expect('memory' in s).toBe(false);
    expect(s.faults.major).toBe(0);
    expect(s.frames.used - s.frames.pageTable).toBe(s.faults.minor * pageFrames);
    return;
  }
  const m = s.memory!;
  expect(m.frames).toBe(machine.frames);
  expect(s.frames.used - s.frames.pageTable).toBe(s.faults.minor + s.faults.major - m.evictions);
  expect(s.frames.used).toBeLessThanOrEqual(machine.frames);
  if (m.evictions > 0) expect(s.frames.used).toBe(machine.frames);
  expect(m.writebacks).toBeLessThanOrEqual(m.evictions);
  expect(m.shootdowns).toBeLessThanOrEqual(m.evictions);
  // A page comes back only after it went.
  expect(s.faults.major).toBeLessThanOrEqual(m.evictions);
  if (s.accesses.write === 0) expect(m.writebacks).toBe(0);
}

/** A replay, or null when it stopped because the page tables alone need more frames than the limit. */
function replayOrStop(trace: { text: string; format: Format; sizeShift: boolean }, machine: MachineConfig): Stats | null {
  try {
    return referenceReplay(trace.text, trace, machine);
  } catch (e) {
    if (machine.frames !== undefined && e instanceof UserError && /page tables alone need more than \d+ frames/.test(e.message)) return null;
    throw e;
  }
}

/** The total of a histogram or of a table's counts. */
function sum(rows: ReadonlyArray<readonly [unknown, number]>): number {
  return rows.reduce((total, [, n]) => total + n, 0);
}

describe('generated traces', () => {
  it('are a pure function of the seed', () => {
    expect(randomTrace(42)).toEqual(randomTrace(42));
    expect(randomMachine(42)).toEqual(randomMachine(42));
    expect(randomMachine(42, { mmu: true })).toEqual(randomMachine(42, { mmu: true }));
    expect(randomTrace(42).text).not.toBe(randomTrace(43).text);
  });

  it('keep every invariant, and cover the interesting cases', () => {
    const seen = {
      crossings: 0,
      nonCanonical: 0,
      badLines: 0,
      ignoredLines: 0,
      physical: 0,
      mmio: 0,
      physicalPfn: 0,
      switches: 0,
      invlpg: 0,
      flushes: 0,
      l1Hits: 0,
      l1Misses: 0,
      observed: 0,
      unknownReasons: 0,
      otherReasons: 0,
      hugePageRuns: 0,
      limitedRuns: 0,
      stops: 0,
      majorFaults: 0,
      evictions: 0,
      writebacks: 0,
      shootdowns: 0,
    };
    const formats = new Set<string>();
    /** Per paging mode: pages translated (looked up) and pages it could not translate. */
    const byMode = Object.fromEntries(PAGING_MODES.map((mode) => [mode, { lookups: 0, untranslatable: 0 }])) as Record<
      PagingMode,
      { lookups: number; untranslatable: number }
    >;
    const pwcMachines = Object.fromEntries(PAGING_MODES.map((mode) => [mode, 0])) as Record<PagingMode, number>;
    const pwcHits = Object.fromEntries(PWC_LEVELS.map((name) => [name, 0])) as Record<PwcLevel, number>;
    for (let seed = 1; seed <= 150; seed++) {
      const trace = randomTrace(seed);
      formats.add(trace.format);
      const machine = randomMachine(seed, { mmu: true, trace });
      const mode = machine.paging ?? 'x86-64';
      const s = replayOrStop(trace, machine);
      if (s === null) {
        seen.stops++;
        continue;
      }
      checkInvariants(s, machine);
      if ((machine.pageSize ?? '4K') !== '4K') seen.hugePageRuns++;
      if (s.memory) {
        seen.limitedRuns++;
        seen.majorFaults += s.faults.major;
        seen.evictions += s.memory.evictions;
        seen.writebacks += s.memory.writebacks;
        seen.shootdowns += s.memory.shootdowns;
      }
      if (machine.pwc) {
        pwcMachines[mode]++;
        for (const [name, counts] of Object.entries(s.walks.pwc!)) pwcHits[name as PwcLevel] += counts.hits;
        // Page-walk caches change the refs and nothing else (evictions included).
        const off = referenceReplay(trace.text, trace, { ...machine, pwc: undefined });
        expect({ ...s, walks: off.walks }, `seed ${seed}`).toEqual(off);
        expect(s.walks.refs, `seed ${seed}`).toBeLessThanOrEqual(off.walks.refs);
      }
      byMode[mode].lookups += s.tlb.l1d.lookups + s.tlb.l1i.lookups;
      byMode[mode].untranslatable += s.faults.nonCanonical;
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
      seen.ignoredLines += s.ignoredLines;
      seen.physicalPfn += sum(s.physicalPfn);
      seen.observed += s.faults.observed;
      seen.unknownReasons += s.faults.observedByReason.unknown ?? 0;
      seen.otherReasons += s.faults.observedByReason.other ?? 0;
    }
    expect(formats.size).toBe(TEXT_FORMATS.length);
    for (const [name, count] of Object.entries(seen)) expect(count, name).toBeGreaterThan(0);
    for (const mode of PAGING_MODES) {
      expect(byMode[mode].lookups, `${mode} lookups`).toBeGreaterThan(0);
      expect(byMode[mode].untranslatable, `${mode} untranslatable`).toBeGreaterThan(0);
      expect(pwcMachines[mode], `${mode} with page-walk caches`).toBeGreaterThan(0);
    }
    for (const name of PWC_LEVELS) expect(pwcHits[name], `${name} hits`).toBeGreaterThan(0);
  });

  it('machines have page-walk caches about 4 times in 10: defaults, small sizes, levels left out', () => {
    let on = 0;
    let defaults = 0;
    let leftOut = 0;
    let zero = 0;
    let one = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { pwc } = randomMachine(seed);
      if (!pwc) continue;
      on++;
      if (PWC_LEVELS.every((name) => pwc[name] === DEFAULT_PWC[name])) {
        defaults++;
        continue;
      }
      for (const name of PWC_LEVELS) {
        const n = pwc[name];
        if (n === undefined) leftOut++;
        else expect(Number.isInteger(n) && n >= 0 && n <= 6, `seed ${seed} ${name}=${n}`).toBe(true);
        if (n === 0) zero++;
        if (n === 1) one++;
      }
    }
    expect(on).toBeGreaterThan(90);
    expect(on).toBeLessThan(150);
    for (const [name, count] of Object.entries({ defaults, leftOut, zero, one })) expect(count, name).toBeGreaterThan(10);
  });

  it('machines draw every paging mode, mostly x86-64', () => {
    const counts: Record<string, number> = {};
    for (let seed = 1; seed <= 300; seed++) {
      const mode = randomMachine(seed).paging ?? 'default';
      counts[mode] = (counts[mode] ?? 0) + 1;
    }
    for (const mode of [...PAGING_MODES, 'default']) expect(counts[mode] ?? 0, mode).toBeGreaterThan(20);
    expect((counts['x86-64'] ?? 0) + (counts.default ?? 0)).toBeGreaterThan(120);
  });

  it('lay about 3 traces in 10 out below 4 GiB, where the 32-bit modes translate most pages', () => {
    const x86_32 = { ...DEFAULT_MACHINE, paging: 'x86-32' as const };
    let low = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const trace = randomTrace(seed, { badRate: 0 });
      const s = referenceReplay(trace.text, trace, x86_32);
      const lookups = s.tlb.l1d.lookups + s.tlb.l1i.lookups;
      if (lookups > s.faults.nonCanonical) low++;
    }
    expect(low).toBeGreaterThan(35);
    expect(low).toBeLessThan(90);
    // Forced either way.
    for (let seed = 1; seed <= 20; seed++) {
      for (const lowAddresses of [true, false]) {
        const trace = randomTrace(seed, { lowAddresses, lines: 300 });
        expect(randomTrace(seed, { lowAddresses, lines: 300 })).toEqual(trace);
        const s = referenceReplay(trace.text, trace, x86_32);
        const lookups = s.tlb.l1d.lookups + s.tlb.l1i.lookups;
        // Otherwise pages reach below 4 GiB only by wrapping around the top
        // of the address space: the 32-bit modes translate few of them.
        if (lowAddresses) expect(lookups, `seed ${seed}`).toBeGreaterThan(s.faults.nonCanonical);
        else expect(lookups, `seed ${seed}`).toBeLessThan(s.faults.nonCanonical);
      }
    }
  });

  it('x86-32 and pae see the same TLB traffic; la57 translates whatever x86-64 does', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const trace = randomTrace(seed, { lowAddresses: seed % 2 === 0 });
      // 4K pages (the modes map different huge sizes) and no frame limit (the
      // modes' tables take different numbers of frames, so evict differently).
      const machine = { ...randomMachine(seed, { mmu: true }), pageSize: undefined, frames: undefined };
      const [x32, pae, x64, la57] = (['x86-32', 'pae', 'x86-64', 'la57'] as const).map((paging) => referenceReplay(trace.text, trace, { ...machine, paging }));
      // Same translatable pages and tags: only the frames and the refs differ.
      expect(pae.tlb, `seed ${seed}`).toEqual(x32.tlb);
      expect(pae.faults, `seed ${seed}`).toEqual(x32.faults);
      expect(pae.walks.count).toBe(x32.walks.count);
      expect(pae.frames.used - pae.frames.pageTable).toBe(x32.frames.used - x32.frames.pageTable);
      // Pages la57 cannot translate, x86-64 cannot either.
      expect(la57.faults.nonCanonical).toBeLessThanOrEqual(x64.faults.nonCanonical);
      expect(la57.tlb.l1d.lookups + la57.tlb.l1i.lookups).toBeGreaterThanOrEqual(x64.tlb.l1d.lookups + x64.tlb.l1i.lookups);
    }
  });

  it('machines cover every policy, overrides and seeds; plru only on power-of-two ways', () => {
    const policies = new Set<string>();
    let overrides = 0;
    let seeds = 0;
    let classic = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const m = randomMachine(seed);
      const levels = [['l1d', m.l1d], ['l1i', m.l1i], ['l2', m.l2]] as const;
      const used = levels.map(([level]) => m.levelPolicies?.[level] ?? m.policy);
      for (const [i, [level, g]] of levels.entries()) {
        policies.add(used[i]);
        if (g && used[i] === 'plru') expect(g.ways & (g.ways - 1), `seed ${seed} ${level}`).toBe(0);
      }
      if (m.levelPolicies) overrides++;
      if (m.seed !== undefined) {
        seeds++;
        expect(Number.isInteger(m.seed) && m.seed >= 0 && m.seed <= 0xffffffff).toBe(true);
      }
      if (used.every((p) => p === 'lru' || p === 'fifo')) classic++;
    }
    expect([...policies].sort()).toEqual([...POLICIES].sort());
    for (const [name, count] of Object.entries({ overrides, seeds, classic })) expect(count, name).toBeGreaterThan(30);
  });

  it('machines draw page sizes, frame limits, eviction policies and allocators', () => {
    const counts: Record<string, number> = {};
    const inc = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
    for (let seed = 1; seed <= 600; seed++) {
      const m = randomMachine(seed, { mmu: true });
      const size = m.pageSize ?? 'default';
      inc(`size ${size}`);
      if (m.pageSize !== undefined) expect(MODE_PAGE_SIZES[m.paging ?? 'x86-64'], `seed ${seed}`).toContain(m.pageSize);
      if ((m.pageSize ?? '4K') !== '4K') {
        // A usage error otherwise.
        expect(m.frames, `seed ${seed}`).toBeUndefined();
        expect(m.alloc, `seed ${seed}`).toBeUndefined();
      }
      if (m.frames !== undefined) {
        inc('frames');
        expect(Number.isInteger(m.frames) && m.frames >= 1, `seed ${seed}`).toBe(true);
        inc(`evict ${m.evict ?? 'default'}`);
      } else {
        expect(m.evict, `seed ${seed}`).toBeUndefined();
      }
      inc(`alloc ${m.alloc ?? 'default'}`);
      if (m.alloc === 'shuffled') inc(m.frames === undefined ? 'shuffled 4 GiB' : 'shuffled limited');
      // Knowing the trace changes the size of a limit, and whether the trace's
      // own frames can be used (--alloc trace needs physical addresses below
      // 4 GiB), and nothing else; the fields drawn before these are the same
      // as without them.
      const { frames: sized, alloc: tracedAlloc, ...rest } = randomMachine(seed, { mmu: true, trace: randomTrace(seed, { lines: 200 }) });
      const { frames: blind, alloc: blindAlloc, ...same } = m;
      if (tracedAlloc !== 'trace') expect(tracedAlloc, `seed ${seed}`).toBe(blindAlloc);
      expect(rest, `seed ${seed}`).toEqual(same);
      expect(sized === undefined, `seed ${seed}`).toBe(blind === undefined);
      const { pageSize: _size, frames: _frames, evict: _evict, alloc: _alloc, ...before } = m;
      expect(before, `seed ${seed}`).toEqual(randomMachine(seed));
    }
    for (const key of ['size default', 'size 4K', 'size 2M', 'size 4M', 'size 1G', 'frames', 'evict default', ...EVICTION_POLICIES.map((p) => `evict ${p}`), 'alloc default', 'alloc sequential', 'alloc shuffled', 'shuffled 4 GiB', 'shuffled limited']) {
      expect(counts[key] ?? 0, key).toBeGreaterThan(5);
    }
    expect(counts.frames).toBeGreaterThan(120);
    expect(counts.frames).toBeLessThan(300);
  });

  it('size frame limits from the trace: most evict, some stop, some evict nothing', () => {
    const seen = { limited: 0, stops: 0, evicting: 0, nothingEvicted: 0, writebacks: 0, majors: 0 };
    const optSeen = { compared: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const trace = randomTrace(seed);
      const machine = randomMachine(seed * 7919, { mmu: true, trace });
      if (machine.frames === undefined) continue;
      seen.limited++;
      const s = replayOrStop(trace, machine);
      if (s === null) {
        seen.stops++;
        continue;
      }
      if (s.memory!.evictions > 0) seen.evicting++;
      else seen.nothingEvicted++;
      if (s.memory!.writebacks > 0) seen.writebacks++;
      if (s.faults.major > 0) seen.majors++;
      // Belady: with the same frames, opt never faults more than another policy.
      if (s.memory!.evictions > 0 && seed % 3 === 0) {
        const majors = (evict: EvictionPolicy) => referenceReplay(trace.text, trace, { ...machine, evict }).faults.major;
        const opt = majors('opt');
        for (const evict of ['lru', 'fifo', 'clock'] as const) expect(opt, `seed ${seed} opt vs ${evict}`).toBeLessThanOrEqual(majors(evict));
        optSeen.compared++;
      }
      // A limit nothing reaches changes nothing but the memory block (the
      // shuffled allocator's pool is the limit, so there it changes the frames).
      if (s.memory!.evictions === 0 && machine.alloc !== 'shuffled') {
        const free = referenceReplay(trace.text, trace, { ...machine, frames: undefined });
        expect({ ...s, memory: undefined }, `seed ${seed}`).toEqual({ ...free, memory: undefined });
      }
    }
    expect(seen.stops).toBeGreaterThan(3);
    expect(seen.stops).toBeLessThan(seen.limited / 4);
    expect(seen.evicting).toBeGreaterThan(seen.limited / 2);
    for (const [name, count] of Object.entries({ ...seen, ...optSeen })) expect(count, name).toBeGreaterThan(5);
  });

  it('make no bad lines when asked for a clean trace', () => {
    for (const format of TEXT_FORMATS) {
      for (let seed = 1; seed <= 20; seed++) {
        const trace = randomTrace(seed, { format, badRate: 0 });
        expect(decodeTrace(trace.text, trace).badLines, `${format} seed ${seed}`).toBe(0);
      }
    }
  });

  it('make only lines that are bad beyond doubt when asked for bad ones', () => {
    for (const format of TEXT_FORMATS) {
      const trace = randomTrace(7, { format, badRate: 1, lines: 300 });
      const d = decodeTrace(trace.text, trace);
      expect(d.records).toBe(0);
      expect(d.badLines).toBe(300);
      expect(d.ignoredLines).toBe(0);
    }
  });
});
