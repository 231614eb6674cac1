#!/usr/bin/env node
// The command line: parses options, runs a replay, prints the report.
// Results go to stdout; bad-line reports and errors to stderr.

import { writeFileSync } from 'node:fs';
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
import { checkRequest, collectFor, writeReports, type ReportRequest } from './report/outputs.js';
import { parseCount, parseRange, parseWidth } from './report/heatmap-data.js';
import { progressBar } from './report/progress.js';
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
  json?: boolean | string;
  jsonPages?: boolean;
  csv?: string;
  heatmap?: string;
  vpnHeatmap?: string;
  html?: string;
  interval?: string;
  heatmapWidth?: string;
  heatmapCount?: string;
  pfnRange?: string;
  vpnRange?: string;
  progress: boolean;
  threads: string;
  maxMemory: string;
  jobs?: string;
}

function parseInterval(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || !Number.isSafeInteger(n)) throw new UserError(`--interval '${text}': expected a whole number of records, 1 or more`);
  return n;
}

/**
 * The report options. `--json FILE` takes FILE only when it ends in .json:
 * anything else after --json is the first trace, as it was before --json
 * took a value (so `replay --json trace.gz` never overwrites the trace).
 */
function reportRequest(traces: string[], flags: ReplayFlags): ReportRequest {
  let json: ReportRequest['json'];
  if (flags.json === true || flags.json === '-') json = true;
  else if (typeof flags.json === 'string') {
    if (flags.json.toLowerCase().endsWith('.json')) json = flags.json;
    else {
      traces.unshift(flags.json);
      json = true;
    }
  }
  const req: ReportRequest = {
    json,
    jsonPages: flags.jsonPages,
    csv: flags.csv,
    heatmap: flags.heatmap,
    vpnHeatmap: flags.vpnHeatmap,
    html: flags.html,
    interval: flags.interval === undefined ? undefined : parseInterval(flags.interval),
    heatmapWidth: flags.heatmapWidth === undefined ? undefined : parseWidth('--heatmap-width', flags.heatmapWidth),
    heatmapCount: flags.heatmapCount === undefined ? undefined : parseCount('--heatmap-count', flags.heatmapCount),
    pfnRange: flags.pfnRange === undefined ? undefined : parseRange('--pfn-range', flags.pfnRange),
    vpnRange: flags.vpnRange === undefined ? undefined : parseRange('--vpn-range', flags.vpnRange),
  };
  checkRequest(req);
  return req;
}

function terminal() {
  return { color: useColor(), columns: process.stdout.columns || 100, lines: Math.max(10, (process.stdout.rows || 40) - 12) };
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

async function replayCommand(traces: string[], flags: ReplayFlags, summary = true): Promise<number> {
  const machine = machineFrom(flags);
  const format = flags.format === undefined ? undefined : parseFormat(flags.format);
  const req = reportRequest(traces, flags);
  if (traces.length === 0) throw new UserError("missing required argument 'traces': give one or more trace files, or - for stdin");
  const bad = badLineReporter();
  const request = {
    format,
    sizeShift: !!flags.sizeShift,
    strict: !!flags.strict,
    machine,
    threads: parseThreads(flags.threads),
    maxMemoryBytes: parseMemorySize('--max-memory', flags.maxMemory),
    ...collectFor(req),
    onBadLine: bad.onBadLine,
  };
  if (flags.jobs !== undefined) return jobsCommand(traces, flags.jobs, request, req, bad);
  const progress = flags.progress ? progressBar() : undefined;
  const result = await replayPaths({ ...request, paths: traces, onProgress: progress?.update });
  progress?.done();
  if (result.stopped) {
    process.stderr.write('tlbscope: stopped at the first bad line (--strict)\n');
    return EXIT_USAGE;
  }
  bad.summarize(result.stats.badLines);
  const out = await writeReports(result, machine, !!flags.sizeShift, req, terminal(), packageVersion());
  if (summary && req.json !== true) {
    const bold = useColor() ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;
    process.stdout.write(textSummary(result, machine, bold));
    if (out.length > 0) process.stdout.write('\n');
  }
  process.stdout.write(out.join('\n'));
  return EXIT_OK;
}

/**
 * --jobs: each input its own trace and its own report, in input order; the
 * CSV files of all of them concatenate (their rows carry the trace's name).
 */
async function jobsCommand(
  traces: string[],
  jobs: string,
  request: Omit<Parameters<typeof replayPaths>[0], 'paths'>,
  req: ReportRequest,
  bad: ReturnType<typeof badLineReporter>,
): Promise<number> {
  if (req.heatmap || req.vpnHeatmap || req.html) {
    throw new UserError('--jobs writes the summaries, --json and --csv; give figures and --html one trace per run');
  }
  // Imported only when used: start-up time counts on tiny traces.
  const { parseJobs, replayEach } = await import('./jobs.js');
  const results: ReplayResult[] = await replayEach({ ...request, paths: traces, jobs: parseJobs(jobs) });
  const stopped = results.find((r) => r.stopped);
  if (stopped) {
    process.stderr.write(`tlbscope: ${stopped.traces[0]}: stopped at the first bad line (--strict)\n`);
    return EXIT_USAGE;
  }
  bad.summarize(results.reduce((n, r) => n + r.stats.badLines, 0));
  const { machine, sizeShift } = request;
  if (req.csv) {
    const { writeJobsCsv } = await import('./report/csv.js');
    for (const path of await writeJobsCsv(req.csv, results, machine, sizeShift)) process.stderr.write(`tlbscope: wrote ${path}\n`);
  }
  if (req.json !== undefined) {
    const { jsonReport } = await import('./report/json.js');
    const text = JSON.stringify(results.map((r) => jsonReport(r, machine, sizeShift, { pages: req.jsonPages })), null, 2) + '\n';
    if (req.json === true) {
      process.stdout.write(text);
      return EXIT_OK;
    }
    writeFileSync(req.json, text);
    process.stderr.write(`tlbscope: wrote ${req.json}\n`);
  }
  const bold = useColor() ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;
  process.stdout.write(results.map((r) => textSummary(r, machine, bold)).join('\n'));
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
  /** The machine and input options replay and heatmap share. */
  const machineOptions = (c: Command) =>
    c
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
      .option('--alloc <order>', 'frame allocation: sequential, shuffled by --seed (fragmented), or trace (a page takes the frame of the physical address its faulting access gives)', 'sequential')
      .option('--layout <layout>', 'kernel half: flat (none), linux (direct map, global kernel entries) or pintos (KERN_BASE)', 'flat')
      .option('--kernel-text <range>', 'read-only kernel text START-END in hex, or none (default: the layout\'s)')
      .option('--maps <file>', '/proc/PID/maps or smaps regions to check accesses against (smaps KernelPageSize: 2048 kB maps a region at 2M); 0xCR3=FILE for one address space (repeatable)', (v: string, all: string[] = []) => [...all, v])
      .option('--kpti', 'kernel page-table isolation: user and kernel tables per process, switched at every kernel entry and exit')
      .option('--size-shift', 'mem format: size= of READ/WRITE is log2 of the byte count')
      .option('--strict', 'stop at the first bad line (exit code 2) instead of skipping it')
      .option('--threads <n>', 'auto, 1, or 2: 2 decodes on both threads while this one simulates (auto: 2 for plain text inputs of 384 MiB or more, else 1)', 'auto')
      .option('--no-progress', 'no progress bar (it shows only on a terminal, on stderr)')
      .option('--max-memory <size>', 'most memory the simulated machine\'s page tables and per-frame counts may take, e.g. 512M (at most 4G)', '4G');
  /** What a heatmap counts and shows. */
  const heatmapOptions = (c: Command) =>
    c
      .option('--heatmap-count <what>', 'what a heatmap cell counts: translations, reads, writes, fetches, or trace (accesses at the trace\'s own physical addresses; the default when the trace has them)')
      .option('--heatmap-width <cells>', 'cells per heatmap row (default: fit the range)')
      .option('--pfn-range <first-last>', 'PFN heatmap: only these frames, FIRST-LAST or FIRST+COUNT (decimal or 0x hex)')
      .option('--vpn-range <first-last>', 'VPN heatmap: only these virtual pages, as --pfn-range');

  const replay = cmd
    .command('replay')
    .summary('replay traces and report TLB misses, page walks and faults')
    .description(
      'Replay one or more traces (files, gzip-compressed or not, or - for stdin), joined as one trace, ' +
        'through an L1 dTLB (loads, stores), an L1 iTLB (fetches), an optional unified L2 and ' +
        'x86-64 4-level page tables with demand paging. Every number printed is defined in docs/metrics.md.',
    )
    .argument('[traces...]', 'trace files, or - for stdin');
  machineOptions(replay)
    .option('--json [file.json]', 'one JSON object (docs/json.md) on stdout instead of the summary, or into FILE.json')
    .option('--json-pages', 'add the per-frame and per-page tables to the JSON')
    .option('--csv <dir>', 'write tidy CSV files into DIR: summary, faults, pfn, vpn, intervals (docs/csv.md)')
    .option('--interval <records>', 'snapshot the counters every N records: intervals.csv, the HTML report\'s series')
    .option('--heatmap <file>', 'PFN heatmap: FILE.png, FILE.svg, or - for the terminal (docs/figures.md)')
    .option('--vpn-heatmap <file>', 'the same for virtual pages')
    .option('--html <file>', 'one self-contained HTML report: summary, interactive PFN heatmap, intervals, config')
    .option('--jobs <n>', 'replay each input as its own trace, n at a time (auto: one per core); one report per trace, CSV rows of all in one file');
  heatmapOptions(replay)
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
  tlbscope replay prog.log.gz --maps prog.smaps      # its hugetlbfs regions on 2M pages
  tlbscope replay ls.log.gz --size-shift --json > ls.json
  tlbscope replay trace.log.gz --csv out/ --interval 100000 --heatmap out/pfn.png --html out/report.html
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

  const heatmap = cmd
    .command('heatmap')
    .summary('replay traces and draw the PFN (or VPN) heatmap in the terminal')
    .description(
      'Replay like `replay` and print the heatmap of physical frames in PFN order (with --vpn: of virtual pages) ' +
        'with colour blocks, or characters when stdout is not a terminal or NO_COLOR is set. docs/figures.md.',
    )
    .argument('[traces...]', 'trace files, or - for stdin');
  machineOptions(heatmap)
    .option('--vpn', 'virtual pages instead of physical frames');
  heatmapOptions(heatmap).action(async (traces: string[], flags: ReplayFlags & { vpn?: boolean }) => {
    const view = flags.vpn ? { vpnHeatmap: '-' } : { heatmap: '-' };
    process.exitCode = await replayCommand(traces, { ...flags, ...view }, false);
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
    .command('sweep')
    .summary('miss rates of many TLB configurations in one pass over a trace')
    .description(
      'Replay a trace once and report the misses of every TLB configuration of a grid (entries x ways x policy ' +
        'x page size) at one level: l1d (a lone dTLB fed by loads and stores), l1i (fetches), l2 (behind --l1d and ' +
        '--l1i) or unified (one TLB fed by everything). LRU curves are exact stack-distance curves; every row equals ' +
        'the replay of its configuration (docs/sweep.md).',
    )
    .argument('<traces...>', 'trace files, or - for stdin')
    .option('--entries <list>', 'entry counts, e.g. 16,32,64 or 16,32,...,4096 (a progression)', '16,32,...,4096')
    .option('--ways <list>', 'associativities, with full for one set, e.g. 1,2,4,8,16,full', '1,2,4,8,16,full')
    .option('--policy <list>', 'replacement policies: lru, fifo, random, plru', 'lru')
    .option('--level <list>', 'the TLB level: l1d, l1i, l2, unified', 'l1d')
    .option('--page-size <list>', 'page sizes: 4K, 2M, 1G', '4K')
    .option('--csv <file>', 'write the rows as CSV (docs/sweep.md); - for stdout instead of the table')
    .option('--plot <file>', 'draw miss rate against entries to FILE.svg or FILE.png')
    .option('--log-y', 'the figure\'s miss-rate axis in log scale')
    .option('--sample <rate>', 'estimate from the pages whose hash falls below RATE (0 < RATE <= 1; SHARDS)')
    .option('--l1d <entries:ways>', 'L1 dTLB in front of --level l2', g(DEFAULT_MACHINE.l1d))
    .option('--l1i <entries:ways>', 'L1 iTLB in front of --level l2', g(DEFAULT_MACHINE.l1i))
    .option('--l1d-policy <policy>', 'its policy', 'lru')
    .option('--l1i-policy <policy>', 'its policy', 'lru')
    .option('--seed <n>', 'seed of the random policy\'s generator', '1')
    .addOption(new Option('--paging <mode>', 'page-table format: which addresses translate').choices([...PAGING_MODES]).default('x86-64'))
    .option('--pcid', 'keep TLB entries across context switches (tagged by address space)')
    .addOption(formatOption())
    .option('--size-shift', 'mem format: size= of READ/WRITE is log2 of the byte count')
    .option('--strict', 'stop at the first bad line (exit code 2) instead of skipping it')
    .addHelpText(
      'after',
      `
Examples:
  tlbscope sweep trace.log.gz
  tlbscope sweep trace.log.gz --entries 16,32,...,4096 --ways 1,4,full --policy lru,fifo --csv tlb.csv --plot tlb.svg
  tlbscope sweep trace.log.gz --level l2 --entries 256,512,...,8192 --ways 4,8,12,16 --l1d 64:4
  tlbscope sweep big.tlbt --page-size 4K,2M --sample 0.1 --csv - > curve.csv`,
    )
    .action(async (traces: string[], flags: import('./sweep/command.js').SweepFlags) => {
      const { sweepCommand } = await import('./sweep/command.js');
      const bold = useColor() ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;
      process.exitCode = await sweepCommand(traces, flags, bold);
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
