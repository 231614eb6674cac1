// `tlbscope sweep`: the options, one pass, then the table on stdout, the CSV
// and the figure. cli.ts registers the command and imports this file only
// when it runs.

import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { checkMachine, parseFormat, parseGeometry, parsePolicy, parseSeed } from '../config.js';
import { EXIT_OK, EXIT_USAGE, UserError } from '../errors.js';
import type { BadLine } from '../engine/core.js';
import { DEFAULT_MACHINE, type MachineConfig, type PagingMode } from '../model.js';
import { sweepCsv } from './csv.js';
import { sweepPng, sweepSvg } from './plot.js';
import { parseEntries, parseLevels, parsePageSizes, parsePolicies, parseSample, parseWays, type SweepRequest } from './request.js';
import { runSweep } from './run.js';
import { sweepTable } from './table.js';

export interface SweepFlags {
  entries: string;
  ways: string;
  policy: string;
  level: string;
  pageSize: string;
  csv?: string;
  plot?: string;
  logY?: boolean;
  sample?: string;
  l1d: string;
  l1i: string;
  l1dPolicy: string;
  l1iPolicy: string;
  seed: string;
  paging: string;
  pcid?: boolean;
  format?: string;
  sizeShift?: boolean;
  strict?: boolean;
}

const BAD_LINES_SHOWN = 10;

function request(traces: string[], flags: SweepFlags): SweepRequest {
  const machine: MachineConfig = {
    ...DEFAULT_MACHINE,
    l1d: parseGeometry('--l1d', flags.l1d),
    l1i: parseGeometry('--l1i', flags.l1i),
    levelPolicies: { l1d: parsePolicy('--l1d-policy', flags.l1dPolicy), l1i: parsePolicy('--l1i-policy', flags.l1iPolicy) },
    l2: null,
    seed: parseSeed(flags.seed),
    paging: flags.paging as PagingMode,
    pcid: !!flags.pcid,
  };
  checkMachine(machine);
  return {
    paths: traces,
    format: flags.format === undefined ? undefined : parseFormat(flags.format),
    sizeShift: !!flags.sizeShift,
    strict: !!flags.strict,
    levels: parseLevels(flags.level),
    pageSizes: parsePageSizes(flags.pageSize),
    policies: parsePolicies(flags.policy),
    entries: parseEntries(flags.entries),
    ways: parseWays(flags.ways),
    machine,
    sample: flags.sample === undefined ? undefined : parseSample(flags.sample),
  };
}

function plotKind(path: string): 'svg' | 'png' {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg' || ext === '.png') return ext === '.svg' ? 'svg' : 'png';
  throw new UserError(`--plot '${path}': the file name must end in .svg or .png`);
}

export async function sweepCommand(traces: string[], flags: SweepFlags, bold: (s: string) => string): Promise<number> {
  const req = request(traces, flags);
  const plot = flags.plot === undefined ? undefined : { path: flags.plot, kind: plotKind(flags.plot) };
  let shown = 0;
  const onBadLine = (trace: string, bad: BadLine) => {
    if (shown++ < BAD_LINES_SHOWN) process.stderr.write(`${trace}:${bad.line}: ${bad.reason}: ${bad.text}\n`);
  };
  const result = await runSweep(req, { onBadLine });
  if (result.stopped) {
    process.stderr.write('tlbscope: stopped at the first bad line (--strict)\n');
    return EXIT_USAGE;
  }
  if (result.stats.badLines > BAD_LINES_SHOWN) {
    process.stderr.write(`tlbscope: ${result.stats.badLines.toLocaleString('en-US')} bad lines skipped (first ${BAD_LINES_SHOWN} shown)\n`);
  }
  const skipped = [...new Set(result.skipped.map((s) => `${s.entries}:${s.ways}${s.policy === 'plru' ? ' plru' : ''} (${s.why})`))];
  if (skipped.length > 0) {
    const more = skipped.length > 6 ? `, and ${skipped.length - 6} more` : '';
    process.stderr.write(`tlbscope: left out ${skipped.length} combinations that are not TLBs: ${skipped.slice(0, 6).join(', ')}${more}\n`);
  }
  const csv = flags.csv === undefined ? undefined : sweepCsv(result);
  if (flags.csv !== undefined && flags.csv !== '-') writeFileSync(flags.csv, csv!);
  if (plot) {
    const svg = sweepSvg(result.rows, { ways: req.ways, logY: flags.logY });
    writeFileSync(plot.path, plot.kind === 'svg' ? svg : await sweepPng(svg));
  }
  // `--csv -` puts the CSV on stdout in place of the table.
  process.stdout.write(flags.csv === '-' ? csv! : sweepTable(result, req.machine, req.ways, bold));
  return EXIT_OK;
}
