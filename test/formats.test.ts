// Every input path: the real traces of every format with counts derived from
// their text independently of the decoders, several inputs joined as one
// trace, and the binary .tlbt format, which must replay exactly like the text
// it was converted from.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { convertPaths } from '../src/convert.js';
import { replayPaths, useTwoThreads, type ReplayRequest } from '../src/replay.js';
import { AUTO_TWO_THREADS_BYTES } from '../src/engine/prestart.js';
import { replayPipelined } from '../src/engine/pipeline.js';
import { DEFAULT_MACHINE, TEXT_FORMATS, type Format, type Stats } from '../src/model.js';
import { referenceReplay } from '../src/reference/replay.js';
import { readTrace, tracePath } from './answers.js';
import { randomMachine, randomTrace } from './gen.js';
import { CoreSession, type BadLine } from '../src/engine/core.js';
import { bufferSource, plainFileSize } from '../src/input/source.js';
import { planSlices } from '../src/input/slices.js';

const tmp = mkdtempSync(join(tmpdir(), 'tlbscope-formats-'));
let fileCount = 0;
function file(content: string | Buffer, suffix = '.log'): string {
  const path = join(tmp, `t${fileCount++}${suffix}`);
  writeFileSync(path, content, typeof content === 'string' ? 'latin1' : undefined); // the generator's text is bytes
  return path;
}

async function replay(paths: string[], extra: Partial<ReplayRequest> = {}) {
  const bad: Array<[string, BadLine]> = [];
  const result = await replayPaths({
    paths,
    sizeShift: false,
    strict: false,
    machine: DEFAULT_MACHINE,
    onBadLine: (trace, b) => bad.push([trace, b]),
    ...extra,
  });
  return { ...result, bad };
}

async function viaTlbt(paths: string[], extra: Partial<ReplayRequest> = {}): Promise<Stats> {
  const out = file('', '.tlbt');
  const converted = await convertPaths({ paths, output: out, sizeShift: extra.sizeShift ?? false, strict: false, format: extra.format });
  expect(converted.stopped).toBe(false);
  const result = await replay([out], { ...extra, format: undefined });
  expect(result.formats).toEqual(['tlbt']);
  return result.stats;
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe('the real traces, with counts from their text', () => {
  it('QEMU mem plugin CSV (system mode boot): records, loads, stores, physical frames', async () => {
    const name = 'qemu10-system-mem-accesses-boot.csv.gz';
    const text = readTrace(name);
    const { stats, formats } = await replay([tracePath(name)]);
    expect(formats).toEqual(['memcsv']);
    const data = lines(text).filter((l) => !l.startsWith('insn_vaddr,'));
    expect(stats.records).toBe(data.length);
    expect(stats.accesses).toMatchObject({ read: count(text, /,load,/g), write: count(text, /,store,/g), fetch: 0 });
    const withPa = data.filter((l) => l.split(',').at(-4) !== '0x0' && !/^0x0+$/.test(l.split(',').at(-4)!));
    expect(stats.physicalPfn.reduce((s, [, n]) => s + n, 0)).toBe(withPa.length);
    expect(stats.badLines).toBe(0);
  });

  it('QEMU execlog in system mode: data accesses are physical, fetches translated', async () => {
    const name = 'qemu10-system-execlog-workload.log.gz';
    const text = readTrace(name);
    const { stats, formats } = await replay([tracePath(name)]);
    expect(formats).toEqual(['execlog']);
    expect(stats.records).toBe(lines(text).length);
    const loads = count(text, /, load, 0x[0-9a-f]+, RAM/g);
    const stores = count(text, /, store, 0x[0-9a-f]+, RAM/g);
    expect(stats.accesses).toEqual({ read: loads, write: stores, fetch: lines(text).length, physical: loads + stores, mmio: 0 });
    expect(stats.tlb.l1d.lookups).toBe(0);
    expect(stats.tlb.l1i.lookups).toBe(lines(text).length);
    expect(stats.physicalPfn.reduce((s, [, n]) => s + n, 0)).toBe(loads + stores);
    // "a static /init writing 2048 fresh pages": 2048 stores, each to its own frame.
    expect(stores).toBe(2048);
  });

  it('din and pinatrace samples (re-expressed from the lackey trace): records and accesses from the lackey text', async () => {
    const lackey = readFileSync(new URL('../traces/valgrind-lackey-true.log.gz', import.meta.url));
    const text = gunzipSync(lackey).toString('latin1');
    const [fetches, loads, stores, modifies] = [/^I /gm, /^ L /gm, /^ S /gm, /^ M /gm].map((re) => count(text, re));
    const din = await replay([new URL('../traces/valgrind-lackey-true.din.gz', import.meta.url).pathname]);
    expect(din.formats).toEqual(['din']);
    expect(din.stats.records).toBe(fetches + loads + stores + 2 * modifies);
    expect(din.stats.accesses).toMatchObject({ read: loads + modifies, write: stores + modifies, fetch: fetches });
    const pin = await replay([new URL('../traces/valgrind-lackey-true.pinatrace.gz', import.meta.url).pathname]);
    expect(pin.formats).toEqual(['pin']);
    expect(pin.stats.records).toBe(loads + stores + 2 * modifies);
    expect(pin.stats.accesses).toMatchObject({ read: loads + modifies, write: stores + modifies, fetch: 0 });
    // Same data pages touched as the lackey replay, sizes included.
    const direct = await replay([new URL('../traces/valgrind-lackey-true.log.gz', import.meta.url).pathname]);
    expect(pin.stats.tlb.l1d.lookups).toBe(direct.stats.tlb.l1d.lookups);
    expect([din.stats.badLines, pin.stats.badLines]).toEqual([0, 0]);
  });

  it('observed faults of the fork trace, by reason', async () => {
    const name = 'qemu10-system-seed-fork-user-pa.log.gz';
    const text = readTrace(name);
    const { stats } = await replay([tracePath(name)], { sizeShift: true });
    const expected: Record<string, number> = {};
    for (const [, reason] of text.matchAll(/^\[PAGE_FAULT\] VA=0x[0-9a-f]+ \| Reason: (.*)$/gm)) {
      expected[reason] = (expected[reason] ?? 0) + 1;
    }
    expect(stats.faults.observedByReason).toEqual(expected);
    expect(stats.faults.observed).toBe(count(text, /^\[PAGE_FAULT\]/gm));
    expect(stats.physicalPfn.reduce((s, [, n]) => s + n, 0)).toBe(count(text, /, PA=0x/g));
  });

  it('reasons of one length that differ in any one byte are different reasons', async () => {
    // Short and long, differing first, in the middle, and last (the interner compares words).
    const reasons = ['ab', 'ac', 'bb', 'Page Not Present (1)', 'Page Not Present (2)', 'Qage Not Present (1)', 'Page Not Xresent (1)', 'abcdefgh', 'abcdefgi'];
    const text = [...reasons, ...reasons.slice(3)].map((r, i) => `[PAGE_FAULT] VA=0x${(i + 1).toString(16)}000 | Reason: ${r}\n`).join('');
    const { stats } = await replay([file(text)]);
    expect(stats.faults.observedByReason).toEqual(Object.fromEntries(reasons.map((r, i) => [r, i < 3 ? 1 : 2])));
  });
});

describe('several inputs replay as one trace', () => {
  it('equals the replay of their concatenation, with line numbers per input', async () => {
    const a = '[MEM] VA=0x1000, size=4, type=READ\n[CR3] 0x2000\nbad one\n';
    const b = '[MEM] VA=0x1000, size=4, type=WRITE\nbad two\n[MEM] VA=0x5000, size=4, type=READ\n';
    const joined = await replay([file(a), file(gzipSync(b), '.log.gz')]);
    const whole = await replay([file(a + b)]);
    expect(joined.stats).toEqual(whole.stats);
    expect(joined.bad.map(([, b]) => b.line)).toEqual([3, 2]);
    expect(joined.bad[1][0]).toMatch(/\.log\.gz$/);
  });

  it('may mix formats', async () => {
    const mem = '[MEM] VA=0x1000, size=4, type=READ\n';
    const lackey = ' L 1000,4\nI  2000,2\n';
    const { stats, formats } = await replay([file(mem), file(lackey)]);
    expect(formats).toEqual(['mem', 'lackey']);
    expect([stats.records, stats.tlb.l1d.lookups, stats.tlb.l1d.hits]).toEqual([3, 2, 1]);
  });
});

describe('the binary .tlbt format', () => {
  const real: Array<[string, boolean]> = [
    ['qemu72-user-execlog-true.log.gz', false],
    ['valgrind-lackey-true.log.gz', false],
    ['qemu72-user-seed-true-fetch-bytes.log.gz', false],
    ['qemu72-user-seed-ls-shift.log.gz', true],
    ['qemu10-system-seed-fork-user-pa.log.gz', true],
    ['qemu10-system-seed-fork-kernel-user-pa.log.gz', true],
    ['qemu10-system-execlog-workload.log.gz', false],
    ['qemu10-system-mem-accesses-boot.csv.gz', false],
  ];

  it.each(real)('replays %s exactly like its text', async (name, sizeShift) => {
    const direct = await replay([tracePath(name)], { sizeShift });
    expect(await viaTlbt([tracePath(name)], { sizeShift })).toEqual(direct.stats);
  });

  it('round-trips random traces of every text format, bad lines, ignored lines and reasons included', async () => {
    for (let seed = 1; seed <= 120; seed++) {
      const format = TEXT_FORMATS[seed % TEXT_FORMATS.length] as Format;
      const trace = randomTrace(seed, { format });
      const machine = randomMachine(seed);
      const path = file(trace.text);
      const request = { format, sizeShift: trace.sizeShift, machine };
      const direct = await replay([path], request);
      expect(direct.stats, `seed ${seed}`).toEqual(referenceReplay(trace.text, { format, sizeShift: trace.sizeShift }, machine));
      expect(await viaTlbt([path], request), `seed ${seed}`).toEqual(direct.stats);
    }
  });

  it('reports a corrupt event and a truncated file, and replays the rest', async () => {
    const out = file('', '.tlbt');
    await convertPaths({ paths: [file('[MEM] VA=0x1000, size=4, type=READ\n[MEM] VA=0x2000, size=4, type=WRITE\n')], output: out, sizeShift: false, strict: false });
    const bytes = readFileSync(out);
    const corrupt = Buffer.from(bytes);
    corrupt[64 + 20] = 9; // the first event's op
    const r1 = await replay([file(corrupt, '.tlbt')]);
    expect(r1.stats.records).toBe(1);
    expect(r1.bad.map(([, b]) => [b.line, b.reason])).toEqual([[1, 'bad event (unknown op or flags)']]);
    // Cut inside the second event: the header's counts no longer hold, so the
    // events are read to the end and the partial one is reported.
    const cut = Buffer.from(bytes.subarray(0, 64 + 24 + 10));
    cut.writeUInt32LE(0, 12);
    const r2 = await replay([file(cut, '.tlbt')]);
    expect(r2.stats.records).toBe(1);
    expect(r2.bad.map(([, b]) => b.reason)).toEqual(['truncated event at the end of the input']);
  });

  it('refuses a file that is not .tlbt when forced, and a newer version', async () => {
    await expect(replay([file('[MEM] VA=0x1000, size=4, type=READ\n')], { format: 'tlbt' })).rejects.toThrow(/not a \.tlbt file/);
    const out = file('', '.tlbt');
    await convertPaths({ paths: [file(' L 1000,4\n')], output: out, sizeShift: false, strict: false });
    const newer = readFileSync(out);
    newer.writeUInt16LE(2, 8);
    await expect(replay([file(newer, '.tlbt')])).rejects.toThrow(/version 2; this tlbscope reads version 1/);
  });
});

describe('sniffing', () => {
  it.each([
    ['mem', '[CR3] 0x1000\n'],
    ['lackey', '==1== Lackey\nI  1000,4\n'],
    ['execlog', '0, 0x1000, 0x90, "nop"\n'],
    ['memcsv', 'insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value\n'],
    ['din', '2 401000\n'],
    ['pin', '0x401000: R 0x7ffd0000\n#eof\n'],
  ])('tells %s', async (format, text) => {
    expect((await replay([file(text)])).formats).toEqual([format]);
  });

  it('finds the format past a few malformed lines', async () => {
    expect((await replay([file('garbage\n???\n0 1000\n')])).formats).toEqual(['din']);
  });
});

describe('two threads (a decoding worker) give the same results as one', () => {
  it('on random traces of every format, events cut at any byte between the threads', async () => {
    for (let seed = 500; seed < 560; seed++) {
      const format = TEXT_FORMATS[seed % TEXT_FORMATS.length] as Format;
      const trace = randomTrace(seed, { format });
      const machine = randomMachine(seed);
      const paths = [file(trace.text)];
      const base = { format, sizeShift: trace.sizeShift, machine };
      const one = await replay(paths, { ...base, threads: 1 });
      const two = await replayPipelined({ paths, ...base, strict: false, shape: { slots: 3, slotBytes: 1 + ((seed * 37) % 300) }, sliceBytes: 0 });
      expect(two.stats, `seed ${seed}`).toEqual(one.stats);
      expect(two.bad.map(([, b]) => b.line), `seed ${seed}`).toEqual(one.bad.map(([, b]) => b.line));
    }
  });

  it('in slices of lines cut anywhere, each decoded on either thread', async () => {
    for (let seed = 600; seed < 660; seed++) {
      const format = TEXT_FORMATS[seed % TEXT_FORMATS.length] as Format;
      const trace = randomTrace(seed, { format });
      const machine = randomMachine(seed);
      // Two inputs: line numbers start again in the second; a slice never spans them.
      const half = trace.text.indexOf('\n', trace.text.length >> 1) + 1;
      const paths = half > 0 ? [file(trace.text.slice(0, half)), file(trace.text.slice(half))] : [file(trace.text)];
      const base = { format, sizeShift: trace.sizeShift, machine };
      const one = await replay(paths, { ...base, threads: 1 });
      // This thread takes every slice, none, or some: the worker's reasons and bad lines must join its own.
      const choice = Math.floor(seed / TEXT_FORMATS.length) % 4;
      const mayTake = (i: number) => (choice === 0 ? true : choice === 1 ? false : choice === 2 ? i % 2 === 0 : (i * 7 + seed) % 3 === 0);
      const sliceBytes = 1 + ((seed * 53) % 400);
      const two = await replayPipelined({ paths, ...base, strict: false, shape: { slots: 3, slotBytes: 1 + ((seed * 37) % 300) }, sliceBytes, mayTake });
      const why = `seed ${seed}, slices of ${sliceBytes} bytes, choice ${choice}`;
      // As text: the order of the reasons' keys is the order they were first met.
      expect(JSON.stringify(two.stats), why).toEqual(JSON.stringify(one.stats));
      expect(two.bad, why).toEqual(one.bad);
      expect([two.traces, two.formats], why).toEqual([one.traces, one.formats]);
    }
  });

  it('on auto, take two threads for plain text inputs of 384 MiB or more, else one', async () => {
    const line = '[MEM] VA=0x1000, size=4, type=READ\n';
    const text = file(line);
    const gz = file(gzipSync(line), '.gz');
    const binary = file('', '.bin');
    await convertPaths({ paths: [text], output: binary, sizeShift: false, strict: false });
    const base = { sizeShift: false, strict: false, machine: DEFAULT_MACHINE };
    // The sizes are made up; the files are read for what they are.
    const sized = (bytes: number) => (path: string) => (plainFileSize(path) === null ? null : bytes);
    const two = (paths: string[], threads: ReplayRequest['threads'], bytes: number) => useTwoThreads({ ...base, paths, threads }, sized(bytes));
    expect(AUTO_TWO_THREADS_BYTES).toBe(384 * 2 ** 20);
    expect(await two([text], 'auto', AUTO_TWO_THREADS_BYTES)).toBe(true);
    expect(await two([text], 'auto', AUTO_TWO_THREADS_BYTES - 1)).toBe(false);
    expect(await two([text, text], 'auto', AUTO_TWO_THREADS_BYTES / 2)).toBe(true);
    expect(await two([gz], 'auto', AUTO_TWO_THREADS_BYTES)).toBe(false);
    expect(await two([binary], 'auto', AUTO_TWO_THREADS_BYTES)).toBe(false); // .tlbt by its bytes, not its name
    expect(await two(['-'], 'auto', AUTO_TWO_THREADS_BYTES)).toBe(false);
    expect(await two([text], 1, AUTO_TWO_THREADS_BYTES)).toBe(false);
    expect(await two([text], undefined, AUTO_TWO_THREADS_BYTES)).toBe(false);
    expect(await two([text], 2, 1)).toBe(true);
    expect(await useTwoThreads({ ...base, paths: [text], threads: 'auto', machine: { ...DEFAULT_MACHINE, frames: 4, evict: 'opt' } }, sized(AUTO_TWO_THREADS_BYTES))).toBe(false);
  });

  it('in slices, scans a line longer than many slices once, and keeps it whole', async () => {
    const line = (va: number) => `[MEM] VA=0x${va.toString(16)}, size=4, type=READ\n`;
    const text = line(0x1000) + `${'x'.repeat(5000)}\n` + line(0x2000) + line(0x3000);
    const path = file(text);
    // Lines of 35, 5001, 35 and 35 bytes: the long one starts in the first 64 bytes.
    expect(planSlices(path, text.length, 64)).toEqual([[0, 5036], [5036, 5071], [5071, 5106]]);
    const one = await replay([path], { threads: 1 });
    const two = await replayPipelined({ paths: [path], sizeShift: false, strict: false, machine: DEFAULT_MACHINE, sliceBytes: 64, mayTake: (i) => i % 2 === 1 });
    expect([two.stats, two.bad]).toEqual([one.stats, one.bad]);
  });

  it('refuse a .tlbt trace joined with other inputs, whatever its name, on either thread count', async () => {
    const text = file('[MEM] VA=0x1000, size=4, type=READ\n');
    const binary = file('', '.bin');
    await convertPaths({ paths: [text], output: binary, sizeShift: false, strict: false });
    for (const threads of [1, 2] as const) {
      await expect(replay([text, binary], { threads }), `${threads} threads`).rejects.toThrow(/\.bin: a \.tlbt trace replays alone/);
    }
  });

  it('in slices, meets an input it cannot read where one thread would: after a --strict stop', async () => {
    const first = file('[MEM] VA=0x1000, size=4, type=READ\nnope\n');
    const empty = file('');
    const one = await replay([first, empty], { threads: 1, strict: true });
    const two = await replay([first, empty], { threads: 2, strict: true });
    expect([two.stopped, two.traces, two.bad]).toEqual([true, [first], one.bad]);
    expect(one.traces).toEqual([first]);
  });

  it('in slices, stops at the first bad line under --strict, whichever thread decodes it', async () => {
    const good = (va: number) => `[MEM] VA=0x${va.toString(16)}, size=4, type=READ\n`;
    const text = [0x1000, 0x2000, 0x3000].map(good).join('') + 'nope\n' + [0x4000, 0x5000].map(good).join('') + 'worse\n' + good(0x6000);
    const path = file(text);
    const one = await replay([path], { threads: 1, strict: true });
    expect([one.stopped, one.stats.records, one.bad.map(([, b]) => b.line)]).toEqual([true, 3, [4]]);
    for (const mayTake of [() => true, () => false, (i: number) => i % 2 === 1]) {
      const two = await replayPipelined({ paths: [path], format: undefined, sizeShift: false, strict: true, machine: DEFAULT_MACHINE, sliceBytes: 20, mayTake });
      expect([two.stopped, two.stats, two.bad]).toEqual([true, one.stats, one.bad]);
    }
  });

  it('on real traces joined as one', async () => {
    const paths = ['valgrind-lackey-true.log.gz', 'qemu72-user-execlog-true.log.gz'].map(tracePath);
    const one = await replay(paths, { threads: 1 });
    const two = await replay(paths, { threads: 2 });
    expect(two.stats).toEqual(one.stats);
    expect(two.formats).toEqual(['lackey', 'execlog']);
  });

  it('stops at the first bad line under --strict, and reports a missing file', async () => {
    const path = file('[MEM] VA=0x1000, size=4, type=READ\nnope\n[MEM] VA=0x2000, size=4, type=READ\n');
    const two = await replay([path], { threads: 2, strict: true });
    expect([two.stopped, two.stats.records, two.bad.length]).toEqual([true, 1, 1]);
    await expect(replay([path, '/no/such/file'], { threads: 2 })).rejects.toThrow(/\/no\/such\/file: cannot open: no such file/);
  });

  it('run on one thread when the machine needs a pre-pass (OPT, --alloc trace)', async () => {
    // Four pages in six frames: the fourth fault must evict, and OPT knows A comes back.
    const path = file(['0x1000', '0x2000', '0x3000', '0x4000', '0x1000'].map((va) => `[MEM] VA=${va}, size=4, type=READ`).join('\n'));
    for (const machine of [
      { ...DEFAULT_MACHINE, frames: 6, evict: 'opt' as const },
      { ...DEFAULT_MACHINE, alloc: 'trace' as const },
    ]) {
      const one = await replay([path], { threads: 1, machine });
      expect((await replay([path], { threads: 2, machine })).stats).toEqual(one.stats);
    }
  });
});

describe('per-frame counts', () => {
  it('are a snapshot taken by stats(), the same read later or cloned', async () => {
    const session = new CoreSession({ machine: DEFAULT_MACHINE, sizeShift: false });
    const feed = (text: string) => session.feed({ source: bufferSource('t', Buffer.from(text)), format: 'mem' });
    await feed('[MEM] VA=0x1000, size=4, type=READ\n[MEM] VA=0x1000, size=4, type=WRITE\n[MEM] VA=0x9000, size=4, type=READ\n');
    const frames = (s: { pfn: Array<{ pfn: number; translations: number }> }) => s.pfn.map((f) => [f.pfn, f.translations]);
    const first = session.stats();
    await feed('[MEM] VA=0x9000, size=4, type=READ\n[MEM] VA=0x5000, size=4, type=READ\n');
    // The trace's two pages take frames 260 and 261 after four page-table frames.
    expect(frames(first)).toEqual([[260, 2], [261, 1]]);
    expect(frames(structuredClone(session.stats()))).toEqual([[260, 2], [261, 2], [262, 1]]);
  });
});

describe('the compiled text decoders', () => {
  // The mem and lackey fast loops come in two copies, one handing accesses to
  // the machine and one appending them to the batch, so that neither tests
  // which on every line (assembly/decode/mem.ts). Inlined as two arms of one
  // expression, the optimizer had merged them into one loop that did.
  it('keep their fast loops in two copies, each a loop of its own', () => {
    const wat = readFileSync(new URL('../build/tlbscope.wat', import.meta.url), 'utf8');
    const body = (name: string) => {
      const start = wat.indexOf(`(func $${name} `);
      expect(start, `${name} in build/tlbscope.wat`).toBeGreaterThan(0);
      const end = wat.indexOf('\n (func ', start + 1);
      return wat.slice(start, end < 0 ? undefined : end);
    };
    for (const loop of ['assembly/decode/mem/memLines', 'assembly/decode/lackey/lackeyLines']) {
      for (const copy of ['Direct', 'Batched']) {
        const code = body(loop + copy);
        expect(code, loop + copy).toMatch(/\n\s+loop /);
        expect(code, loop + copy).not.toContain('call $assembly/dispatch/directAccesses');
      }
    }
  });
});
