// --max-memory: the core's WebAssembly memory is capped, and a trace whose
// page tables outgrow the cap ends in one clear line (exit code 2) naming
// the trace and the limit, on one thread, two, or under --jobs.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMemorySize, parseMemorySize } from '../src/engine/memory.js';
import { replayPaths } from '../src/replay.js';
import { DEFAULT_MACHINE } from '../src/model.js';

const CLI = new URL('../dist/src/bin.js', import.meta.url).pathname;
const WAT = new URL('../build/tlbscope.wat', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'tlbscope-memory-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One page in each of `n` 2 MiB regions: a page-table node per page (2 KiB each, 40 MiB for 20,000). */
function sparseTrace(n: number): string {
  const path = join(tmp, `sparse-${n}.log`);
  let text = '';
  for (let i = 1; i <= n; i++) text += `[MEM] VA=0x${(i * 0x200000).toString(16)}, size=8, type=WRITE\n`;
  writeFileSync(path, text);
  return path;
}

describe('--max-memory', () => {
  const sparse = sparseTrace(20_000);
  const small = new URL('../traces/qemu72-user-execlog-true.log.gz', import.meta.url).pathname;

  it.each(['1', '2'])('stops a trace whose page tables outgrow it with one line and exit code 2 (--threads %s)', (threads) => {
    const r = run(['replay', sparse, '--max-memory', '16M', '--threads', threads]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`tlbscope: ${sparse}: the simulated machine's page tables and per-frame counts outgrew --max-memory 16M (raise it, up to 4G)\n`);
  });

  it('names the trace under --jobs', () => {
    const r = run(['replay', small, sparse, '--max-memory', '16M', '--jobs', '2']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^tlbscope: ${sparse}: .* outgrew --max-memory 16M`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lets the same trace through with room to spare, with the same counts as the default', async () => {
    const base = { paths: [sparse], sizeShift: false, strict: false, machine: DEFAULT_MACHINE, threads: 1 as const };
    const roomy = await replayPaths({ ...base, maxMemoryBytes: 256 << 20 });
    const unlimited = await replayPaths(base);
    expect(roomy.stats).toEqual(unlimited.stats);
    expect(roomy.stats.faults.minor).toBe(20_000);
  });

  it('refuses a limit below what the core needs to start, and one above 4G', () => {
    const low = run(['replay', small, '--max-memory', '1M']);
    expect([low.code, low.stderr]).toEqual([2, "tlbscope: --max-memory 1M is less than the core needs before reading a trace (its 4M input window and the TLBs)\n"]);
    const high = run(['replay', small, '--max-memory', '5G']);
    expect([high.code, high.stderr]).toEqual([2, "tlbscope: --max-memory '5G': at most 4G (WebAssembly's 32-bit address space)\n"]);
  });

  it('reads sizes in binary units', () => {
    expect(parseMemorySize('--max-memory', '4G')).toBe(4 * 2 ** 30);
    expect(parseMemorySize('--max-memory', '512M')).toBe(512 * 2 ** 20);
    expect(parseMemorySize('--max-memory', '1.5m')).toBe(1.5 * 2 ** 20);
    expect(parseMemorySize('--max-memory', '64KiB')).toBe(65536);
    expect(parseMemorySize('--max-memory', '1000000')).toBe(1_000_000);
    for (const bad of ['', 'lots', '0', '-1G', '1T']) expect(() => parseMemorySize('--max-memory', bad)).toThrow(/--max-memory/);
    expect([4 * 2 ** 30, 16 * 2 ** 20, 1.5 * 2 ** 20, 1000].map(formatMemorySize)).toEqual(['4G', '16M', '1.5M', '1000']);
  });

  // The driver reads a trap as "memory exhausted" (src/engine/core.ts): that
  // holds only while every `unreachable` in the core follows an abort() call,
  // which throws first, or a memory.grow that failed.
  it('every unreachable in the compiled core follows an abort() or a failed memory.grow', () => {
    const lines = readFileSync(WAT, 'utf8').split('\n').map((l) => l.trim());
    const sites = lines.flatMap((l, i) => (l === 'unreachable' ? [i] : []));
    expect(sites.length).toBeGreaterThan(0);
    for (const i of sites) {
      const before = lines.slice(Math.max(0, i - 6), i);
      const ok = before.at(-1) === 'call $~lib/builtins/abort' || (before.includes('memory.grow') && before.at(-1) === 'if');
      expect(ok, `unreachable at build/tlbscope.wat:${i + 1} after: ${before.join(' | ')}`).toBe(true);
    }
  });
});

describe('small gzip files', () => {
  // Small compressed files are inflated in one call (src/input/source.ts),
  // unless they inflate past 16 MiB: then they stream, as large ones do.
  it('replay like their text, whether they inflate in one call or stream', async () => {
    const line = (i: number) => `[MEM] VA=0x${(0x400000 + (i % 64) * 4096 * 7).toString(16)}, size=8, type=${i % 4 ? 'READ' : 'WRITE'}\n`;
    for (const lines of [1000, 500_000]) {
      const text = Array.from({ length: lines }, (_, i) => line(i)).join('');
      const plain = join(tmp, `small-${lines}.log`);
      writeFileSync(plain, text);
      writeFileSync(`${plain}.gz`, gzipSync(text, { level: 9 }));
      expect(statSync(`${plain}.gz`).size).toBeLessThan(256 << 10);
      expect(text.length > 16 << 20).toBe(lines > 1000); // the large one streams
      const base = { sizeShift: false, strict: false, machine: DEFAULT_MACHINE, threads: 1 as const };
      const gz = await replayPaths({ ...base, paths: [`${plain}.gz`] });
      expect(gz.stats).toEqual((await replayPaths({ ...base, paths: [plain] })).stats);
      expect(gz.stats.records).toBe(lines);
    }
  });
});
