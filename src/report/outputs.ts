// Every report a replay can write besides the text summary: --json, --csv,
// --heatmap, --vpn-heatmap, --html. The CLI parses the options; this file
// decides what to collect and writes the files. Libraries for figures load
// only when a figure is asked for, so a plain replay starts fast.

import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { UserError } from '../errors.js';
import type { CollectOptions, MachineConfig } from '../model.js';
import type { ReplayResult } from '../replay.js';
import type { HeatmapCount, HeatmapGrid } from './heatmap-data.js';

export interface ReportRequest {
  /** --json: true for stdout, or a FILE. */
  json?: true | string;
  jsonPages?: boolean;
  csv?: string;
  heatmap?: string;
  vpnHeatmap?: string;
  html?: string;
  interval?: number;
  heatmapWidth?: number;
  heatmapCount?: HeatmapCount;
  pfnRange?: [number, number];
  vpnRange?: [number, number];
}

export interface Terminal {
  color: boolean;
  columns: number;
  lines: number;
}

/** What the replay must collect for these reports. */
export function collectFor(req: ReportRequest): CollectOptions {
  const pages = !!(req.csv || req.html || req.vpnHeatmap || req.jsonPages);
  return { pages, frames: pages || !!req.heatmap, interval: req.interval };
}

const FIGURE_TYPES = ['.png', '.svg'];

/** Fails before the replay, not after it, on output names that cannot work. */
export function checkRequest(req: ReportRequest): void {
  for (const [option, file] of [['--heatmap', req.heatmap], ['--vpn-heatmap', req.vpnHeatmap]] as const) {
    if (file === undefined || file === '-') continue;
    if (!FIGURE_TYPES.includes(extname(file).toLowerCase())) {
      throw new UserError(`${option} '${file}': the file must end in .png or .svg (or be - for the terminal)`);
    }
  }
  if (req.json === true && (req.heatmap === '-' || req.vpnHeatmap === '-')) {
    throw new UserError('--json and --heatmap - both write to stdout: give --json a FILE.json');
  }
}

function write(path: string, data: string | Uint8Array, what: string): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new UserError(`${path}: cannot write the ${what}: ${(err as NodeJS.ErrnoException).message}`);
  }
  process.stderr.write(`tlbscope: wrote ${path}\n`);
}

async function figure(path: string, grid: HeatmapGrid, trace: string, machine: MachineConfig, terminal: Terminal): Promise<string | null> {
  if (path === '-') {
    const { terminalHeatmap } = await import('./terminal.js');
    return terminalHeatmap(grid, trace, terminal);
  }
  const { heatmapSvg } = await import('./svg.js');
  const { machineLine } = await import('./describe.js');
  const svg = heatmapSvg(grid, { trace, machine: machineLine(machine) });
  if (extname(path).toLowerCase() === '.svg') {
    write(path, svg, 'heatmap');
  } else {
    const { svgToPng } = await import('./png.js');
    write(path, await svgToPng(svg), 'heatmap');
  }
  return null;
}

/**
 * Writes every requested file; returns what goes to stdout after (or instead
 * of) the summary: the JSON object, terminal heatmaps.
 */
export async function writeReports(
  result: ReplayResult,
  machine: MachineConfig,
  sizeShift: boolean,
  req: ReportRequest,
  terminal: Terminal,
  version: string,
): Promise<string[]> {
  const stdout: string[] = [];
  const trace = result.traces.join(' + ');
  if (req.json !== undefined) {
    const { jsonReport } = await import('./json.js');
    const text = JSON.stringify(jsonReport(result, machine, sizeShift, { pages: req.jsonPages }), null, 2) + '\n';
    if (req.json === true) stdout.push(text);
    else write(req.json, text, 'JSON report');
  }
  if (req.csv) {
    const { writeCsvReport } = await import('./csv.js');
    for (const path of await writeCsvReport(req.csv, result, machine, sizeShift)) process.stderr.write(`tlbscope: wrote ${path}\n`);
  }
  if (req.heatmap || req.vpnHeatmap || req.html) {
    const { pfnGrid, vpnGrid, resolveCount, MAX_ROWS } = await import('./heatmap-data.js');
    const { terminalShape } = await import('./terminal.js');
    const shape = (path: string | undefined) =>
      path === '-' ? terminalShape(terminal) : { width: req.heatmapWidth, maxRows: MAX_ROWS };
    const options = (path: string | undefined, kind: 'pfn' | 'vpn') => {
      const s = shape(path);
      return {
        width: req.heatmapWidth ?? s.width,
        maxRows: s.maxRows,
        range: kind === 'pfn' ? req.pfnRange : req.vpnRange,
        count: resolveCount(req.heatmapCount, result.stats, kind),
      };
    };
    if (req.heatmap) {
      const out = await figure(req.heatmap, pfnGrid(result.stats, options(req.heatmap, 'pfn')), trace, machine, terminal);
      if (out) stdout.push(out);
    }
    if (req.vpnHeatmap) {
      const out = await figure(req.vpnHeatmap, vpnGrid(result.stats, options(req.vpnHeatmap, 'vpn')), trace, machine, terminal);
      if (out) stdout.push(out);
    }
    if (req.html) {
      const { htmlReport } = await import('./html.js');
      const grid = pfnGrid(result.stats, options(undefined, 'pfn'));
      write(req.html, htmlReport({ result, machine, sizeShift, grid, version }), 'HTML report');
    }
  }
  return stdout;
}
