// The built CLI, run as a user runs it: stdout, stderr and exit codes.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tracePath } from './answers.js';
import { asksTwoThreads, AUTO_TWO_THREADS_BYTES, prestartDecoder, takePrestarted } from '../src/engine/prestart.js';
import { replayPipelined } from '../src/engine/pipeline.js';
import { replayPaths } from '../src/replay.js';
import { DEFAULT_MACHINE } from '../src/model.js';

const CLI = new URL('../dist/src/bin.js', import.meta.url).pathname;
const BUNDLED = new URL('../traces/qemu72-user-execlog-true.log.gz', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'tlbscope-cli-'));

function run(args: string[], input?: Buffer | string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, content: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

const expectOneLineError = (stderr: string, pattern: RegExp) => {
  expect(stderr).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
};

describe('tlbscope replay', () => {
  it('reads stdin with --threads 2 (on one thread: the worker cannot read it)', () => {
    const text = '[MEM] VA=0x1000, size=4, type=READ\n[MEM] VA=0x2000, size=4, type=WRITE\n';
    const one = run(['replay', '-', '--json', '--threads', '1'], text);
    const two = run(['replay', '-', '--json', '--threads', '2'], text);
    expect([two.code, two.stderr]).toEqual([0, '']);
    const counters = (out: string) => ({ ...JSON.parse(out), seconds: 0 });
    expect(counters(two.stdout)).toEqual(counters(one.stdout));
    expect(JSON.parse(two.stdout).records).toBe(2);
  });

  it('guess a replay on two threads from its words, to start its worker first', () => {
    const none = () => null;
    expect(asksTwoThreads(['replay', 'a.log', '--threads', '2'], none)).toBe(true);
    expect(asksTwoThreads(['replay', '--threads=2', 'a.log'], none)).toBe(true);
    expect(asksTwoThreads(['replay', 'a.log', '--threads', '1'], none)).toBe(false);
    expect(asksTwoThreads(['replay', 'a.log'], none)).toBe(false);
    expect(asksTwoThreads(['convert', 'a.log', '--threads', '2'], none)).toBe(false);
    expect(asksTwoThreads(['replay', '--', '--threads', '2'], none)).toBe(false);
    // auto: by the sizes of the words that name plain files.
    const half = (path: string) => (path.endsWith('.log') ? AUTO_TWO_THREADS_BYTES / 2 : null);
    expect(asksTwoThreads(['replay', 'a.log', 'b.log'], half)).toBe(true);
    expect(asksTwoThreads(['replay', '--threads', 'auto', 'a.log', '--l1d', '64:4', 'b.log'], half)).toBe(true);
    expect(asksTwoThreads(['replay', 'a.log'], half)).toBe(false);
    expect(asksTwoThreads(['replay', 'a.log', 'b.log', '--threads', '1'], half)).toBe(false);
    expect(asksTwoThreads(['replay', 'a.log', 'b.tlbt'], (path) => (path.endsWith('.tlbt') ? AUTO_TWO_THREADS_BYTES : half(path)))).toBe(false);
  });

  it('replays on the worker started before the command loaded, as on one thread', async () => {
    const text = gunzipSync(readFileSync(BUNDLED));
    const path = file('prestart.log', text);
    prestartDecoder(['replay', path, '--threads', '2']);
    const base = { paths: [path], sizeShift: false, strict: false, machine: DEFAULT_MACHINE };
    // Every other slice on the worker, which takes its job as a message.
    const two = await replayPipelined({ ...base, sliceBytes: 64 << 10, mayTake: (i) => i % 2 === 0 });
    expect(takePrestarted()).toBeNull();
    const one = await replayPaths({ ...base, threads: 1 });
    expect(two.stats).toEqual(one.stats);
  });

  it('replays a text file on two threads from the command, as on one', () => {
    // Several 4 MiB slices, so that the worker takes some.
    const text = gunzipSync(readFileSync(BUNDLED));
    const path = file('big.log', Buffer.concat(Array.from({ length: Math.ceil((24 << 20) / text.length) }, () => text)));
    const one = run(['replay', path, '--json', '--threads', '1']);
    const two = run(['replay', path, '--json', '--threads', '2']);
    expect([two.code, two.stderr]).toEqual([0, '']);
    const counters = (out: string) => ({ ...JSON.parse(out), seconds: 0 });
    expect(counters(two.stdout)).toEqual(counters(one.stdout));
  });

  it('prints a readable summary of the bundled trace', () => {
    const r = run(['replay', BUNDLED]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/execlog, 87,286 records/);
    // MPKI = misses * 1000 / 87,286 fetches (instructions).
    expect(r.stdout).toMatch(/^L1d\s+32,141\s+32,062\s+79\s+0\.246%\s+0\.905$/m);
    expect(r.stdout).toMatch(/^L2\s+140\s+7\s+133\s+95\.000%\s+1\.524$/m);
    expect(r.stdout).toMatch(/^walks\s+133 \(532 page-table entries read/m);
    expect(r.stdout).not.toMatch(/\x1b\[/); // NO_COLOR and not a TTY
    expect(r.stderr).toBe('');
  });

  it('prints one JSON object with the documented keys', () => {
    const r = run(['replay', tracePath('valgrind-lackey-true.log.gz'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      format: 'lackey',
      records: 145835,
      accesses: { read: 25936, write: 11770, fetch: 109633 },
      crossings: 133,
      tlb: { l1d: { misses: 136 }, l1i: { misses: 62 }, l2: { misses: 139 } },
      walks: { count: 139, refs: 556 },
      faults: { minor: 139, major: 0 },
      frames: { used: 149, pageTable: 10 },
      contexts: 1,
      contextSwitches: 0,
      badLines: 0,
    });
    for (const level of ['l1d', 'l1i', 'l2']) {
      const l = j.tlb[level];
      expect(l.hits + l.misses).toBe(l.lookups);
      expect(l.missRate).toBeCloseTo(l.misses / l.lookups, 12);
    }
    expect(typeof j.seconds).toBe('number');
  });

  it('leaves l2 out with --l2 none and honours geometry and policy', () => {
    const r = run(['replay', BUNDLED, '--json', '--l2', 'none', '--l1d', '64:4', '--l1i', '64:4', '--policy', 'fifo']);
    const j = JSON.parse(r.stdout);
    expect(j.tlb.l2).toBeUndefined();
    expect([j.tlb.l1d.misses, j.tlb.l1i.misses]).toEqual([93, 61]); // QEMU cache plugin, 64:4 fifo
  });

  it('reads plain and gzip-compressed stdin', () => {
    const gz = readFileSync(BUNDLED);
    for (const input of [gz, gunzipSync(gz)]) {
      const j = JSON.parse(run(['replay', '-', '--json'], input).stdout);
      expect([j.trace, j.records, j.walks.count]).toEqual(['stdin', 87286, 133]);
    }
  });

  it('reports bad lines as FILE:LINE: reason: text, counts them and goes on', () => {
    const path = file('bad.log', '[MEM] VA=0x1000, size=4, type=READ\n[MEM] VA=0xzz, size=4, type=READ\nhello\n[MEM] VA=0x2000, size=4, type=WRITE\n');
    const r = run(['replay', path, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${path}:2: bad hex number: [MEM] VA=0xzz, size=4, type=READ\n${path}:3: not a line of this format: hello\n`);
    const j = JSON.parse(r.stdout);
    expect([j.records, j.badLines]).toEqual([2, 2]);
  });

  it('stops at the first bad line with --strict, exit code 2 and nothing on stdout', () => {
    const path = file('strict.log', '[MEM] VA=0x1000, size=4, type=READ\n[MEM] VA=0x1000, size=5000, type=READ\nnope\n');
    const r = run(['replay', path, '--strict']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${path}:2: bad access size: [MEM] VA=0x1000, size=5000, type=READ\ntlbscope: stopped at the first bad line (--strict)\n`);
  });

  it('sniffs each format and accepts --format to force one', () => {
    const lackey = file('l.txt', 'I  0401ab70,3\n L 1ffefff8b8,8\n');
    expect(JSON.parse(run(['replay', lackey, '--json']).stdout).format).toBe('lackey');
    const forced = run(['replay', lackey, '--json', '--format', 'mem']);
    expect(JSON.parse(forced.stdout)).toMatchObject({ format: 'mem', badLines: 2 });
  });

  it.each([
    [['replay', '/no/such/trace'], /^tlbscope: \/no\/such\/trace: cannot open: no such file\n$/],
    [['replay', BUNDLED, '--l1d', '64:5'], /^tlbscope: --l1d '64:5': entries \(64\) must be a multiple of ways \(5\)\n$/],
    [['replay', BUNDLED, '--l2', '12'], /^tlbscope: --l2 '12': expected ENTRIES:WAYS/],
    [['replay', BUNDLED, '--policy', 'mru'], /^tlbscope: --policy 'mru': expected one of lru, fifo, random, plru\n$/],
    [['replay', BUNDLED, '--l1d-policy', 'plru', '--l1d', '48:3'], /plru needs a power-of-two number of ways/],
    [['replay', BUNDLED, '--seed', '-3'], /--seed '-3': expected a whole number/],
    [['replay', BUNDLED, '--format', 'pinatrace'], /argument 'pinatrace' is invalid/],
    [['replay', BUNDLED, '--bogus'], /unknown option '--bogus'/],
    [['replay'], /missing required argument 'traces'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('rejects %j with one clear line and exit code 2', (args, pattern) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectOneLineError(r.stderr, pattern);
  });

  it('says which file it cannot tell the format of', () => {
    const r = run(['replay', file('what.txt', 'hello world\n')]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /what\.txt: cannot tell the trace format from its first lines \(use --format/);
  });

  it('says how far a truncated gzip stream got', () => {
    const gz = gzipSync(Buffer.from('[MEM] VA=0x1000, size=4, type=READ\n'.repeat(20000)));
    const r = run(['replay', file('cut.log.gz', gz.subarray(0, gz.length >> 1))]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /cut\.log\.gz: gzip stream is truncated, after \d+ decompressed bytes\n$/);
  });
});

describe('tlbscope convert', () => {
  it('writes a .tlbt file that replays to the same counters', () => {
    const out = join(tmp, 'lackey.tlbt');
    const c = run(['convert', tracePath('valgrind-lackey-true.log.gz'), '-o', out]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/lackey\.tlbt: 145,835 records, 147,339 events, [\d,]+ bytes in/);
    const direct = JSON.parse(run(['replay', tracePath('valgrind-lackey-true.log.gz'), '--json']).stdout);
    const binary = JSON.parse(run(['replay', out, '--json']).stdout);
    expect(binary.format).toBe('tlbt');
    for (const j of [direct, binary]) for (const key of ['trace', 'traces', 'format', 'seconds']) delete j[key];
    expect(binary).toEqual(direct);
  });

  it('needs -o', () => {
    const r = run(['convert', BUNDLED]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /required option '-o, --output <file>' not specified/);
  });
});

describe('help and formats', () => {
  it('teaches with --help, exit code 0', () => {
    const r = run(['replay', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--l2 <entries:ways\|none>/);
    expect(r.stdout).toMatch(/Examples:/);
    expect(run(['--help']).stdout).toMatch(/Exit codes:/);
  });

  it('lists every format with an example line', () => {
    const r = run(['formats']);
    expect(r.code).toBe(0);
    for (const f of ['mem', 'lackey', 'execlog', 'memcsv', 'din', 'pin', 'tlbt']) expect(r.stdout).toMatch(new RegExp(`^${f} `, 'm'));
  });
});

describe('machine options', () => {
  it('walks 2, 3, 4 or 5 levels by --paging and says so', () => {
    const refs: number[] = [];
    for (const mode of ['x86-32', 'pae', 'x86-64', 'la57']) {
      const j = JSON.parse(run(['replay', tracePath('valgrind-lackey-true.log.gz'), '--json', '--paging', mode]).stdout);
      expect(j.config.paging).toBe(mode);
      refs.push(j.walks.refs / j.walks.count);
    }
    expect(refs).toEqual([2, 3, 4, 5]);
    expect(run(['replay', BUNDLED, '--paging', 'la57']).stdout).toMatch(/LA57 5-level/);
  });

  it('takes a policy per level and a seed', () => {
    const j = JSON.parse(run(['replay', BUNDLED, '--json', '--policy', 'plru', '--l2-policy', 'random', '--seed', '9']).stdout);
    expect(j.config).toMatchObject({ policies: { l1d: 'plru', l1i: 'plru', l2: 'random' }, seed: 9 });
  });
});

describe('page-walk caches', () => {
  it('cut the entries walks read and report each level', () => {
    const off = JSON.parse(run(['replay', tracePath('qemu10-system-seed-fork-kernel-user-pa.log.gz'), '--json']).stdout);
    const on = JSON.parse(run(['replay', tracePath('qemu10-system-seed-fork-kernel-user-pa.log.gz'), '--json', '--pwc', 'default']).stdout);
    expect(off.walks.pwc).toBeUndefined();
    expect(on.walks.count).toBe(off.walks.count);
    expect(Object.keys(on.walks.pwc)).toEqual(['pde', 'pdpte', 'pml4e']);
    const { pde, pdpte, pml4e } = on.walks.pwc;
    expect(pde.lookups).toBe(on.walks.count);
    const noHit = pml4e.lookups - pml4e.hits;
    expect(on.walks.refs).toBe(pde.hits + 2 * pdpte.hits + 3 * pml4e.hits + 4 * noHit);
    expect(on.walks.refs).toBeLessThan(off.walks.refs);
  });

  it('rejects a bad --pwc', () => {
    const r = run(['replay', BUNDLED, '--pwc', 'pte=4']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /--pwc 'pte=4': expected none, default, or LEVEL=ENTRIES/);
  });
});

describe('--maps with smaps huge regions', () => {
  const trace = file('huge.log', ['[MEM] VA=0x200000, size=4, type=READ', '[MEM] VA=0x3ff000, size=4, type=WRITE', '[MEM] VA=0x1000, size=4, type=READ', ''].join('\n'));
  let made = 0;
  const smaps = (sizeLine: string, range = '00200000-00400000') =>
    file(`huge${++made}.smaps`, [`00001000-00002000 r--p 00000000 00:00 0`, 'Size:                  4 kB', 'KernelPageSize:        4 kB', `${range} rw-p 00000000 00:0f 1 /anon_hugepage (deleted)`, sizeLine, 'VmFlags: rd wr mr mw me de ht', ''].join('\n'));

  it('maps a KernelPageSize 2048 kB region at 2M and says so', () => {
    const maps = smaps('KernelPageSize:     2048 kB');
    const text = run(['replay', trace, '--maps', maps]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/4K pages \(2M in 1 region\)/);
    const r = run(['replay', trace, '--maps', maps, '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.config.maps).toEqual([{ cr3: null, regions: 2, hugeRegions: 1 }]);
    // One 2M page (512 frames) and one 4K page: two faults, one hit.
    expect(s.faults.minor).toBe(2);
    expect(s.tlb.l1d.misses).toBe(2);
    expect(s.frames.used - s.frames.pageTable).toBe(513);
  });

  it.each([
    ['a misaligned huge region', smaps('KernelPageSize:     2048 kB', '00201000-00400000'), [], /huge\d\.smaps:5: KernelPageSize 2048 kB: the region 0x201000-0x400000 is not aligned to its page size/],
    ['a page size tlbscope does not map', smaps('KernelPageSize:       64 kB'), [], /huge\d\.smaps:5: KernelPageSize 64 kB: tlbscope maps pages of 4, 2048, 4096 and 1048576 kB/],
    ['--huge beside huge regions', smaps('KernelPageSize:     2048 kB'), ['--huge', '2M'], /--huge 2M with --maps regions of 2M pages: give one or the other/],
    ['a frame limit', smaps('KernelPageSize:     2048 kB'), ['--frames', '4096'], /--maps regions of 2M pages with --frames\/--mem: eviction of huge pages is not modelled/],
    ['a size the mode cannot map', smaps('KernelPageSize:  1048576 kB', '40000000-80000000'), ['--paging', 'pae'], /--maps: a region of 1G pages, but --paging pae maps 4K and 2M pages/],
  ])('refuses %s in one line, exit code 2', (_, maps, extra, message) => {
    const r = run(['replay', trace, '--maps', maps, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectOneLineError(r.stderr, message);
  });

  it('refuses an smaps field before the first region', () => {
    const r = run(['replay', trace, '--maps', file('field.smaps', 'Size: 4 kB\n00001000-00002000 r--p 0 0 0\n')]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /field\.smaps:1: an smaps field before the first region/);
  });
});
