#!/usr/bin/env node
// The command line: parses options, runs a replay, prints the report.
// Results go to stdout; bad-line reports and errors to stderr.

import { Command, CommanderError, Option } from 'commander';
import {
  checkMachine, parseAllocator, parseEviction, parseFormat, parseFrames, parseGeometry, parseMem, parseOptionalGeometry,
  parseKernelText, parseLayout, parsePageSize, parsePolicy, parsePwc, parseSeed,
} from './config.js';
import { loadMaps } from './input/maps.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UserError } from './errors.js';
import type { BadLine } from './engine/core.js';
import { DEFAULT_MACHINE, FORMATS, PAGING_MODES, type MachineConfig, type PagingMode } from './model.js';
import { replayPaths, type ReplayResult } from './replay.js';
import { textSummary } from './report/summary.js';
import { FORMAT_EXAMPLES } from './input/formats.js';
import { packageVersion } from './paths.js';
import { parseMemorySize } from './engine/memory.js';

/** Bad lines shown on stderr; the rest are only counted. */
const BAD_LINES_SHOWN = 10;

const useColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

const EXIT_CODES = `
Exit codes:
  0  success
  1  internal error (a bug: please report it)
  2  bad usage or bad input (missing file, unknown format, bad option,
     a bad line under --strict)`;

interface ConvertFlags {
  output: string;
  format?: string;
  sizeShift?: boolean;
  strict?: boolean;
}

interface ReplayFlags {
  format?: string;
  l1d: string;
  l1i: string;
  l2: string;
  policy: string;
  l1dPolicy?: string;
  l1iPolicy?: string;
  l2Policy?: string;
  seed?: string;
  paging: string;
  pwc: string;
  pcid?: boolean;
  huge: string;
  frames?: string;
  mem?: string;
  evict?: string;
  alloc: string;
  layout: string;
  kernelText?: string;
  maps?: string[];
  kpti?: boolean;
  sizeShift?: boolean;
  strict?: boolean;
  json?: boolean;
  threads: string;
  maxMemory: string;
  jobs?: string;
}

function parseThreads(text: string): 1 | 2 | 'auto' {
  if (text === 'auto' || text === '1' || text === '2') return text === 'auto' ? 'auto' : (Number(text) as 1 | 2);
  throw new UserError(`--threads '${text}': expected auto, 1 or 2`);
}

function machineFrom(flags: ReplayFlags): MachineConfig {
  const levelPolicies: MachineConfig['levelPolicies'] = {};
  if (flags.l1dPolicy) levelPolicies.l1d = parsePolicy('--l1d-policy', flags.l1dPolicy);
  if (flags.l1iPolicy) levelPolicies.l1i = parsePolicy('--l1i-policy', flags.l1iPolicy);
  if (flags.l2Policy) levelPolicies.l2 = parsePolicy('--l2-policy', flags.l2Policy);
  const machine: MachineConfig = {
    l1d: parseGeometry('--l1d', flags.l1d),
    l1i: parseGeometry('--l1i', flags.l1i),
    l2: parseOptionalGeometry('--l2', flags.l2),
    policy: parsePolicy('--policy', flags.policy),
    levelPolicies,
    seed: flags.seed === undefined ? 1 : parseSeed(flags.seed),
    paging: flags.paging as PagingMode,
    pwc: parsePwc(flags.pwc),
    pcid: !!flags.pcid,
  };
  const pageSize = parsePageSize(flags.huge);
  if (pageSize !== '4K') machine.pageSize = pageSize;
  if (flags.frames !== undefined && flags.mem !== undefined) throw new UserError('--frames and --mem both set the memory size: give one');
  if (flags.frames !== undefined) machine.frames = parseFrames(flags.frames);
  if (flags.mem !== undefined) machine.frames = parseMem(flags.mem);
  if (flags.evict !== undefined) {
    if (machine.frames === undefined) throw new UserError('--evict needs a memory size (--frames N or --mem SIZE)');
    machine.evict = parseEviction(flags.evict);
  }
  const alloc = parseAllocator(flags.alloc);
  if (alloc !== 'sequential') machine.alloc = alloc;
  const layout = parseLayout(flags.layout);
  if (layout !== 'flat') machine.layout = layout;
  if (flags.kernelText !== undefined) machine.kernelText = parseKernelText(flags.kernelText);
  if (flags.maps) machine.maps = flags.maps.map(loadMaps);
  if (flags.kpti) machine.kpti = true;
  checkMachine(machine);
  return machine;
}

/** Shows the first bad lines on stderr; the rest are only counted. */
function badLineReporter() {
  let shown = 0;
  return {
    onBadLine(trace: string, bad: BadLine) {
      if (shown++ < BAD_LINES_SHOWN) process.stderr.write(`${trace}:${bad.line}: ${bad.reason}: ${bad.text}\n`);
    },
    summarize(total: number) {
      if (total > BAD_LINES_SHOWN) {
        process.stderr.write(`tlbscope: ${total.toLocaleString('en-US')} bad lines skipped (first ${BAD_LINES_SHOWN} shown)\n`);
      }
    },
  };
}

async function replayCommand(traces: string[], flags: ReplayFlags): Promise<number> {
  const machine = machineFrom(flags);
  const format = flags.format === undefined ? undefined : parseFormat(flags.format);
  const bad = badLineReporter();
  const request = {
    format,
    sizeShift: !!flags.sizeShift,
    strict: !!flags.strict,
    machine,
    threads: parseThreads(flags.threads),
    maxMemoryBytes: parseMemorySize('--max-memory', flags.maxMemory),
    onBadLine: bad.onBadLine,
  };
  // --jobs: each input its own trace and its own report; else one trace.
  const results: ReplayResult[] =
    flags.jobs === undefined
      ? [await replayPaths({ ...request, paths: traces })]
      : await (async () => {
          // Imported only when used: start-up time counts on tiny traces.
          const { parseJobs, replayEach } = await import('./jobs.js');
          return replayEach({ ...request, paths: traces, jobs: parseJobs(flags.jobs!) });
        })();
  const stopped = results.find((r) => r.stopped);
  if (stopped) {
    const which = flags.jobs === undefined ? '' : `${stopped.traces[0]}: `;
    process.stderr.write(`tlbscope: ${which}stopped at the first bad line (--strict)\n`);
    return EXIT_USAGE;
  }
  bad.summarize(results.reduce((n, r) => n + r.stats.badLines, 0));
  if (flags.json) {
    const { jsonReport } = await import('./report/json.js');
    const reports = results.map((r) => jsonReport(r, machine, !!flags.sizeShift));
    process.stdout.write(JSON.stringify(flags.jobs === undefined ? reports[0] : reports, null, 2) + '\n');
  } else {
    const bold = useColor() ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;
    process.stdout.write(results.map((r) => textSummary(r, machine, bold)).join('\n'));
  }
  return EXIT_OK;
}

async function convertCommand(traces: string[], flags: ConvertFlags): Promise<number> {
  const bad = badLineReporter();
  const start = performance.now();
  const { convertPaths } = await import('./convert.js');
  const result = await convertPaths({
    paths: traces,
    output: flags.output,
    format: flags.format === undefined ? undefined : parseFormat(flags.format),
    sizeShift: !!flags.sizeShift,
    strict: !!flags.strict,
    onBadLine: bad.onBadLine,
  });
  if (result.stopped) {
    process.stderr.write(`tlbscope: stopped at the first bad line (--strict); ${flags.output} is incomplete\n`);
    return EXIT_USAGE;
  }
  bad.summarize(result.badLines);
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(
    `${flags.output}: ${result.records.toLocaleString('en-US')} records, ${result.events.toLocaleString('en-US')} events,` +
      ` ${result.bytes.toLocaleString('en-US')} bytes in ${seconds.toFixed(3)} s\n`,
  );
  return EXIT_OK;
}

function program(): Command {
  const g = (x: { entries: number; ways: number } | null) => (x ? `${x.entries}:${x.ways}` : 'none');
  const cmd = new Command('tlbscope')
    .description('Replay memory-access traces through a model of an MMU: TLBs, page walks, page faults.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES)
    .exitOverride();

  const formatOption = () =>
    new Option('--format <format>', 'trace format (default: told from the first lines of each input)').choices([...FORMATS]);
  cmd
    .command('replay')
    .summary('replay traces and report TLB misses, page walks and faults')
    .description(
      'Replay one or more traces (files, gzip-compressed or not, or - for stdin), joined as one trace, ' +
        'through an L1 dTLB (loads, stores), an L1 iTLB (fetches), an optional unified L2 and ' +
        'x86-64 4-level page tables with demand paging. Every number printed is defined in docs/metrics.md.',
    )
    .argument('<traces...>', 'trace files, or - for stdin')
    .addOption(formatOption())
    .option('--l1d <entries:ways>', 'L1 data TLB geometry', g(DEFAULT_MACHINE.l1d))
    .option('--l1i <entries:ways>', 'L1 instruction TLB geometry', g(DEFAULT_MACHINE.l1i))
    .option('--l2 <entries:ways|none>', 'unified L2 TLB geometry, or none', g(DEFAULT_MACHINE.l2))
    .option('--policy <policy>', 'replacement policy of every TLB: lru, fifo, random or plru (tree pseudo-LRU)', DEFAULT_MACHINE.policy)
    .option('--l1d-policy <policy>', 'the L1 dTLB\'s policy, overriding --policy')
    .option('--l1i-policy <policy>', 'the L1 iTLB\'s policy, overriding --policy')
    .option('--l2-policy <policy>', 'the L2 TLB\'s policy, overriding --policy')
    .option('--seed <n>', 'seed of the random TLB policy and of the shuffled allocator', '1')
    .addOption(new Option('--paging <mode>', 'page-table format: 2, 3, 4 or 5 levels').choices([...PAGING_MODES]).default('x86-64'))
    .option('--pwc <sizes>', 'page-walk caches: none, default (pde 32, pdpte 8, pml4e 4, pml5e 2) or e.g. pde=32,pdpte=8', 'none')
    .option('--pcid', 'keep TLB entries across context switches (tagged by address space)')
    .option('--huge <size>', 'map every page at this size: 4K, 2M, 4M (x86-32) or 1G', '4K')
    .option('--frames <n>', 'physical memory of N 4 KiB frames (data and page tables); a full pool evicts data pages')
    .option('--mem <size>', 'physical memory as a size, e.g. 64M or 1G (instead of --frames)')
    .option('--evict <policy>', 'which data page a full pool gives up: lru (default), fifo, clock or opt (Belady; reads the trace twice)')
    .option('--alloc <order>', 'frame allocation order: sequential, or shuffled by --seed (fragmented)', 'sequential')
    .option('--layout <layout>', 'kernel half: flat (none), linux (direct map, global kernel entries) or pintos (KERN_BASE)', 'flat')
    .option('--kernel-text <range>', 'read-only kernel text START-END in hex, or none (default: the layout\'s)')
    .option('--maps <file>', '/proc/PID/maps regions to check accesses against; 0xCR3=FILE for one address space (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--kpti', 'kernel page-table isolation: user and kernel tables per process, switched at every kernel entry and exit')
    .option('--size-shift', 'mem format: size= of READ/WRITE is log2 of the byte count')
    .option('--strict', 'stop at the first bad line (exit code 2) instead of skipping it')
    .option('--json', 'print one JSON object (docs/json.md) instead of the summary')
    .option('--threads <n>', 'auto, 1, or 2: decode on a second thread while simulating (auto: inputs of 256 MiB or more, on 2+ cores)', 'auto')
    .option('--jobs <n>', 'replay each input as its own trace, n at a time (auto: one per core); one report per trace')
    .option('--max-memory <size>', 'most memory the simulated machine\'s page tables and per-frame counts may take, e.g. 512M (at most 4G)', '4G')
    .addHelpText(
      'after',
      `
Examples:
  tlbscope replay traces/qemu72-user-execlog-true.log.gz
  tlbscope replay trace.log.gz --l1d 16:4 --l2 none --policy fifo
  tlbscope replay trace.log.gz --policy plru --l2-policy random --seed 7
  tlbscope replay trace.log.gz --paging la57 --pwc default
  tlbscope replay trace.log.gz --huge 2M --l1d 32:4
  tlbscope replay trace.log.gz --mem 16M --evict clock
  tlbscope replay kernel.log.gz --layout linux --kpti --pcid
  tlbscope replay ls.log.gz --size-shift --maps ls.maps
  tlbscope replay ls.log.gz --size-shift --json > ls.json
  tlbscope replay part1.log.gz part2.log.gz        # one trace in two files
  tlbscope replay a.log.gz b.log.gz c.log.gz --jobs 2   # three traces, two at a time
  tlbscope convert big.log.gz -o big.tlbt && tlbscope replay big.tlbt
  qemu-x86_64 -plugin ./libexeclog.so -d plugin true 2>&1 | tlbscope replay -

Bad lines are skipped and counted; the first ${BAD_LINES_SHOWN} are shown on stderr as
FILE:LINE: reason: text. Formats: tlbscope formats (docs/formats.md).`,
    )
    .action(async (traces: string[], flags: ReplayFlags) => {
      process.exitCode = await replayCommand(traces, flags);
    });

  cmd
    .command('convert')
    .summary('convert traces to the binary .tlbt format for fast re-replay')
    .description(
      'Decode one or more traces of any format once and write their events to OUT.tlbt ' +
        '(docs/formats.md). Replaying OUT.tlbt gives exactly the results of replaying the traces, without parsing.',
    )
    .argument('<traces...>', 'trace files, or - for stdin')
    .requiredOption('-o, --output <file>', 'the .tlbt file to write')
    .addOption(formatOption())
    .option('--size-shift', 'mem format: size= of READ/WRITE is log2 of the byte count')
    .option('--strict', 'stop at the first bad line (exit code 2) instead of skipping it')
    .action(async (traces: string[], flags: ConvertFlags) => {
      process.exitCode = await convertCommand(traces, flags);
    });

  cmd
    .command('formats')
    .description('list the trace formats tlbscope reads, with an example line of each')
    .action(() => {
      for (const f of FORMAT_EXAMPLES) process.stdout.write(`${f.name.padEnd(8)} ${f.description}\n${' '.repeat(9)}${f.example}\n`);
    });
  return cmd;
}

async function main(argv: string[]): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT_OK);
    throw err;
  });
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message already.
      process.exitCode = err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    } else if (err instanceof UserError) {
      process.stderr.write(`tlbscope: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      const detail = process.env.TLBSCOPE_DEBUG ? (err as Error).stack : (err as Error)?.message ?? String(err);
      process.stderr.write(`tlbscope: internal error: ${detail}\n`);
      process.exitCode = EXIT_INTERNAL;
    }
  }
}

await main(process.argv);
