#!/usr/bin/env node
// The command line: parses options, runs a replay, prints the report.
// Results go to stdout; bad-line reports and errors to stderr.

import { Command, CommanderError, Option } from 'commander';
import { parseFormat, parseGeometry, parseOptionalGeometry, parsePolicy } from './config.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UserError } from './errors.js';
import { DEFAULT_MACHINE, type MachineConfig } from './model.js';
import { replayPath } from './replay.js';
import { jsonReport } from './report/json.js';
import { textSummary } from './report/summary.js';
import { FORMAT_EXAMPLES } from './input/formats.js';
import { packageVersion } from './paths.js';

/** Bad lines shown on stderr; the rest are only counted. */
const BAD_LINES_SHOWN = 10;

const useColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

const EXIT_CODES = `
Exit codes:
  0  success
  1  internal error (a bug: please report it)
  2  bad usage or bad input (missing file, unknown format, bad option,
     a bad line under --strict)`;

interface ReplayFlags {
  format?: string;
  l1d: string;
  l1i: string;
  l2: string;
  policy: string;
  pcid: boolean;
  sizeShift: boolean;
  strict: boolean;
  json: boolean;
}

function machineFrom(flags: ReplayFlags): MachineConfig {
  return {
    l1d: parseGeometry('--l1d', flags.l1d),
    l1i: parseGeometry('--l1i', flags.l1i),
    l2: parseOptionalGeometry('--l2', flags.l2),
    policy: parsePolicy(flags.policy),
    pcid: flags.pcid,
  };
}

async function replayCommand(trace: string, flags: ReplayFlags): Promise<number> {
  const machine = machineFrom(flags);
  const format = flags.format === undefined ? undefined : parseFormat(flags.format);
  let shown = 0;
  let traceName = trace === '-' ? 'stdin' : trace;
  const result = await replayPath({
    path: trace,
    format,
    sizeShift: flags.sizeShift,
    strict: flags.strict,
    machine,
    onBadLine: (bad) => {
      if (shown++ < BAD_LINES_SHOWN) process.stderr.write(`${traceName}:${bad.line}: ${bad.reason}: ${bad.text}\n`);
    },
  });
  traceName = result.trace;
  if (result.stopped) {
    process.stderr.write(`tlbscope: ${traceName}: stopped at the first bad line (--strict)\n`);
    return EXIT_USAGE;
  }
  const bad = result.stats.badLines;
  if (bad > BAD_LINES_SHOWN) {
    process.stderr.write(`${traceName}: ${bad.toLocaleString('en-US')} bad lines skipped (first ${BAD_LINES_SHOWN} shown)\n`);
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(jsonReport(result, machine, flags.sizeShift), null, 2) + '\n');
  } else {
    const bold = useColor() ? (s: string) => `\x1b[1m${s}\x1b[0m` : (s: string) => s;
    process.stdout.write(textSummary(result, machine, bold));
  }
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

  cmd
    .command('replay')
    .summary('replay a trace and report TLB misses, page walks and faults')
    .description(
      'Replay TRACE (a file, gzip-compressed or not, or - for stdin) through an L1 dTLB (loads, stores),\n' +
        'an L1 iTLB (fetches), an optional unified L2 and x86-64 4-level page tables with demand paging.\n' +
        'Every number printed is defined in docs/metrics.md.',
    )
    .argument('<trace>', 'trace file, or - for stdin')
    .addOption(new Option('--format <format>', 'trace format (default: sniffed from the first lines)').choices(['mem', 'lackey', 'execlog']))
    .option('--l1d <entries:ways>', 'L1 data TLB geometry', g(DEFAULT_MACHINE.l1d))
    .option('--l1i <entries:ways>', 'L1 instruction TLB geometry', g(DEFAULT_MACHINE.l1i))
    .option('--l2 <entries:ways|none>', 'unified L2 TLB geometry, or none', g(DEFAULT_MACHINE.l2))
    .option('--policy <policy>', 'replacement policy of every TLB: lru or fifo', DEFAULT_MACHINE.policy)
    .option('--pcid', 'keep TLB entries across context switches (tagged by address space)', false)
    .option('--size-shift', 'mem format: size= of READ/WRITE is log2 of the byte count', false)
    .option('--strict', 'stop at the first bad line (exit code 2) instead of skipping it', false)
    .option('--json', 'print one JSON object (docs/json.md) instead of the summary', false)
    .addHelpText(
      'after',
      `
Examples:
  tlbscope replay traces/qemu72-user-execlog-true.log.gz
  tlbscope replay trace.log.gz --l1d 16:4 --l2 none --policy fifo
  tlbscope replay ls.log.gz --size-shift --json > ls.json
  qemu-x86_64 -plugin ./libexeclog.so -d plugin true 2>&1 | tlbscope replay -

Bad lines are skipped and counted; the first ${BAD_LINES_SHOWN} are shown on stderr as
FILE:LINE: reason: text. Formats: tlbscope formats.`,
    )
    .action(async (trace: string, flags: ReplayFlags) => {
      process.exitCode = await replayCommand(trace, flags);
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
