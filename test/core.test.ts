// The WASM core against the reference model (every counter, every per-PFN
// and per-page count, every interval snapshot, every reported bad line) on
// thousands of random traces fed in random chunk sizes, and against the
// independent answers of the real traces.

import { describe, expect, it } from 'vitest';
import { CoreSession, needsPrePass, prePass, replayCore, type BadLine } from '../src/engine/core.js';
import { bufferSource } from '../src/input/source.js';
import { DEFAULT_MACHINE, type CollectOptions, type DecodeOptions, type MachineConfig, type Stats } from '../src/model.js';
import { decodeTrace } from '../src/reference/decode.js';
import { referenceReplay } from '../src/reference/replay.js';
import { cachePluginAnswers, cachePluginView, readTrace, readmeTable, tableView } from './answers.js';
import { Rng, outcome, randomMachine, randomTrace, type Outcome } from './gen.js';

/** Both engines stop when the page tables alone outgrow the frame limit; any other error is a failure. */
const TABLES_FILL = /page tables alone need more than \d+ frames/;

function expectSameOutcome(got: Outcome<Stats>, expected: Outcome<Stats>, context: string): void {
  if ('error' in expected || 'error' in got) {
    expect('error' in got && 'error' in expected, `${context}: ${JSON.stringify(got).slice(0, 300)} vs ${JSON.stringify(expected).slice(0, 300)}`).toBe(true);
    if ('error' in got && 'error' in expected) {
      expect(got.error, context).toMatch(TABLES_FILL);
      expect(expected.error, context).toMatch(TABLES_FILL);
    }
    return;
  }
  expect(got.ok, context).toEqual(expected.ok);
}

interface CoreRun {
  stats: Stats;
  bad: BadLine[];
}

async function core(
  text: string | Uint8Array,
  decode: DecodeOptions,
  machine: MachineConfig,
  io: { chunkBytes?: number; windowBytes?: number; stampLimit?: number } = {},
  collect: CollectOptions = {},
): Promise<CoreRun> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const bad: BadLine[] = [];
  const { stats } = await replayCore(() => bufferSource('test', bytes), {
    decode,
    machine,
    ...io,
    ...collect,
    onBadLine: (b) => bad.push(b),
  });
  return { stats, bad };
}

/** What is collected beside the counters: nothing, per-page counts, intervals of a few to many records. */
function randomCollect(rng: Rng): CollectOptions {
  if (rng.chance(0.25)) return {};
  return { pages: rng.chance(0.8), interval: rng.pick([0, 1, 2, 3, 17, 250]) };
}

/** A machine as JSON, its addresses (regions, kernel text, CR3 values) in hex. */
function showMachine(machine: MachineConfig): string {
  return JSON.stringify(machine, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
}

/** How the core is fed: from one byte per read to whole windows. */
function randomIo(rng: Rng): { chunkBytes: number; windowBytes: number; stampLimit?: number } {
  const windowBytes = rng.pick([1024, 4096, 1 << 16]);
  const chunkBytes = rng.pick([1, 2, 3, 7, 64, 100, 511, 1000, windowBytes]);
  // The TLBs renumber their stamps every 2^28 ticks; a small limit makes them renumber here.
  const stampLimit = rng.pick([undefined, 5, 40, 1000]);
  return { chunkBytes, windowBytes, stampLimit };
}

const hasHugeRegions = (machine: MachineConfig) => (machine.maps ?? []).some((m) => m.regions.some((r) => r.pageSize !== undefined));

describe('WASM core equals the reference model', () => {
  const SEEDS = 2500;
  it(`on ${SEEDS} random traces, machines and chunkings`, async () => {
    // Machines whose maps give regions a huge page size (docs/metrics.md, Huge pages) and that fault such a page in.
    let hugeRegionRuns = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const trace = randomTrace(seed);
      const machine = randomMachine(seed * 7919, { mmu: true, kernel: true, trace });
      const decode = { format: trace.format, sizeShift: trace.sizeShift };
      const rng = new Rng(seed);
      const io = randomIo(rng);
      const collect = randomCollect(rng);
      const expected = await outcome(() => referenceReplay(trace.text, decode, machine, collect));
      let bad: BadLine[] = [];
      const got = await outcome(async () => {
        const run = await core(trace.text, decode, machine, io, collect);
        bad = run.bad;
        return run.stats;
      });
      const context = `seed ${seed} (${trace.format}, ${showMachine(machine)}, ${JSON.stringify(io)}, ${JSON.stringify(collect)})`;
      expectSameOutcome(got, expected, context);
      if ('error' in got) continue;
      if (hasHugeRegions(machine) && got.ok.frames.used - got.ok.frames.pageTable > got.ok.faults.minor + got.ok.faults.major) hugeRegionRuns++;
      const expectedBad = decodeTrace(trace.text, decode).bad.slice(0, 16).map((b) => b.line);
      expect(bad.map((b) => b.line), context).toEqual(expectedBad);
    }
    expect(hugeRegionRuns, 'runs that faulted a huge region\'s page in (178 at the time of writing)').toBeGreaterThan(120);
  }, 600_000); // the reference replays every machine twice with OPT: minutes on a loaded machine

  it('on 400 plain machines, which take the fast paths (runPlain, accessPlain, the decoders\' direct hand-off)', async () => {
    // The machines above are rarely plain: a layout, maps, a frame limit, per-page counts or intervals all turn the checks on.
    for (let seed = 9000; seed < 9400; seed++) {
      const trace = randomTrace(seed);
      const machine = randomMachine(seed);
      const decode = { format: trace.format, sizeShift: trace.sizeShift };
      const rng = new Rng(seed);
      const got = await outcome(async () => (await core(trace.text, decode, machine, randomIo(rng))).stats);
      expect(got, `seed ${seed} (${trace.format}, ${showMachine(machine)})`).toEqual(await outcome(() => referenceReplay(trace.text, decode, machine)));
    }
  });

  it('on 300 machines that keep per-frame totals only (CollectOptions.frames false)', async () => {
    for (let seed = 9400; seed < 9700; seed++) {
      const trace = randomTrace(seed, { opMix: 'mixed' });
      // Half plain (the fast paths), half with frame limits, layouts, maps and huge pages.
      const machine = seed % 2 ? randomMachine(seed) : randomMachine(seed * 7919, { mmu: true, kernel: true, trace });
      const decode = { format: trace.format, sizeShift: trace.sizeShift };
      const { chunkBytes, windowBytes, stampLimit } = randomIo(new Rng(seed));
      const base = { machine, sizeShift: decode.sizeShift, windowBytes, stampLimit };
      const feed = (s: CoreSession) => s.feed({ source: bufferSource('test', Buffer.from(trace.text, 'latin1')), format: decode.format, chunkBytes });
      let session: CoreSession | undefined;
      const got = await outcome(async () => {
        const known = needsPrePass(machine) ? await prePass(base, feed) : {};
        session = new CoreSession({ ...base, ...known, frames: false });
        await feed(session);
        return session.stats();
      });
      const expected = await outcome(() => referenceReplay(trace.text, decode, machine));
      const context = `seed ${seed} (${trace.format}, ${showMachine(machine)})`;
      if ('error' in got || 'error' in expected) {
        expectSameOutcome(got, expected, context);
        continue;
      }
      const { pfn, ...counters } = expected.ok;
      expect({ ...got.ok }, context).toEqual(counters); // a copy without the throwing pfn, so a failure prints its diff
      expect(() => got.ok.pfn, context).toThrow(/not collected/);
      expect(session!.frameTranslations(), context).toEqual(pfn.map((f) => [f.pfn, f.translations]));
    }
  });

  it('on every op mix and format with PCID on and off', async () => {
    for (const format of ['mem', 'lackey', 'execlog'] as const) {
      for (const opMix of ['reads', 'writes', 'fetches', 'mixed'] as const) {
        for (const pcid of [false, true]) {
          const trace = randomTrace(format.length * 31 + opMix.length, { format, opMix, lines: 3000 });
          const machine = { ...randomMachine(opMix.length), pcid };
          const decode = { format, sizeShift: trace.sizeShift };
          const collect = { pages: true, interval: 97 };
          expect((await core(trace.text, decode, machine, {}, collect)).stats).toEqual(referenceReplay(trace.text, decode, machine, collect));
        }
      }
    }
  });

  it('on garbage bytes, without crashing', async () => {
    const rng = new Rng(99);
    for (let i = 0; i < 300; i++) {
      const bytes = new Uint8Array(rng.int(0, 3000)).map(() =>
        rng.chance(0.05) ? 10 : rng.chance(0.3) ? rng.pick([...'[MEM] VA=0x, size=type=READ01f"']).charCodeAt(0) : rng.int(0, 255),
      );
      const format = rng.pick(['mem', 'lackey', 'execlog'] as const);
      const decode = { format, sizeShift: rng.chance(0.5) };
      const text = Buffer.from(bytes).toString('latin1');
      const got = await core(bytes, decode, DEFAULT_MACHINE, randomIo(rng));
      expect(got.stats).toEqual(referenceReplay(text, decode, DEFAULT_MACHINE));
    }
  });
});

describe('WASM core on the real traces', () => {
  const execlog = readTrace('qemu72-user-execlog-true.log.gz');

  it.each(cachePluginAnswers())('matches QEMU cache plugin $name', async ({ machine, expected }) => {
    const { stats } = await core(execlog, { format: 'execlog', sizeShift: false }, machine);
    expect(cachePluginView(stats)).toEqual(expected);
  });

  it.each(readmeTable())('matches the README table: $file', async ({ file, format, sizeShift, expected }) => {
    const text = readTrace(file);
    const decode = { format, sizeShift };
    const collect = { pages: true, interval: 10_000 };
    const got = await core(text, decode, DEFAULT_MACHINE, {}, collect);
    expect(tableView(got.stats)).toEqual(expected);
    // And the reference on everything else, per-PFN and per-page counts and intervals included.
    expect(got.stats).toEqual(referenceReplay(text, decode, DEFAULT_MACHINE, collect));
  });

  it('gives the same result whatever the chunk boundaries', async () => {
    const text = readTrace('valgrind-lackey-true.log.gz');
    const decode = { format: 'lackey', sizeShift: false } as const;
    const whole = await core(text, decode, DEFAULT_MACHINE);
    for (const io of [{ chunkBytes: 1 << 10, windowBytes: 4096 }, { chunkBytes: 4093 }, { windowBytes: 1 << 20 }]) {
      expect((await core(text, decode, DEFAULT_MACHINE, io)).stats).toEqual(whole.stats);
    }
  });
});

describe('lines longer than the window', () => {
  it('are one bad line each, and the lines around them still count', async () => {
    const long = '[MEM] VA=0x1000, size=1, type=READ' + ', x=y'.repeat(400);
    const text = `[MEM] VA=0x1000, size=1, type=READ\n${long}\n[MEM] VA=0x2000, size=1, type=WRITE\n`;
    const got = await core(text, { format: 'mem', sizeShift: false }, DEFAULT_MACHINE, { windowBytes: 1024 });
    expect(got.stats.records).toBe(2);
    expect(got.stats.badLines).toBe(1);
    expect(got.bad.map((b) => [b.line, b.reason])).toEqual([[2, 'line too long']]);
  });
});
