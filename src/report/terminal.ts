// The heatmap in a terminal (`tlbscope heatmap`, `--heatmap -`): with colour,
// two cells per character (an upper half block: top cell foreground, bottom
// cell background, 24-bit colour); without (NO_COLOR, or stdout not a
// terminal), one ASCII character per cell from a log-scale ramp, so the
// output still reads in a file or a mail. Sized to the terminal.

import { cellColor, shortCount, viridis, type Rgb } from './colormap.js';
import { logPosition, rowLabel, type HeatmapGrid } from './heatmap-data.js';
import { heatmapTitle } from './svg.js';

/** Lowest to highest: '.' is a frame in range with no count, ' ' outside the range. */
const RAMP = '-:=+*#%@';

export interface TerminalOptions {
  color: boolean;
  /** Terminal columns. */
  columns: number;
  /** Text lines the grid may take. */
  lines: number;
}

/** Cells per row and rows that fit the terminal. */
export function terminalShape(opts: TerminalOptions, labelWidth = 16): { width: number; maxRows: number } {
  let width = 8;
  while (width * 2 <= Math.min(128, opts.columns - labelWidth - 2)) width *= 2;
  return { width, maxRows: opts.color ? 2 * opts.lines : opts.lines };
}

function rampChar(value: number, max: number): string {
  if (value < 0) return ' ';
  if (value === 0) return '.';
  return RAMP[Math.min(RAMP.length - 1, Math.floor(logPosition(value, max) * RAMP.length))];
}

const fg = ([r, g, b]: Rgb) => `\x1b[38;2;${r};${g};${b}m`;
const bg = ([r, g, b]: Rgb) => `\x1b[48;2;${r};${g};${b}m`;
const RESET = '\x1b[0m';

export function terminalHeatmap(grid: HeatmapGrid, trace: string, opts: TerminalOptions): string {
  const out: string[] = [heatmapTitle(grid), trace];
  const labels = grid.rows.map((row) => rowLabel(grid, row));
  const labelWidth = Math.max(0, ...labels.map((l) => l.length));
  const cell = (r: number, c: number) => (r < grid.rows.length ? grid.values[r * grid.width + c] : -1);
  if (opts.color) {
    for (let r = 0; r < grid.rows.length; r += 2) {
      let line = `${labels[r].padStart(labelWidth)} `;
      for (let c = 0; c < grid.width; c++) {
        const top = cell(r, c);
        const bottom = cell(r + 1, c);
        if (top < 0 && bottom < 0) line += `${RESET} `;
        else line += fg(top < 0 ? [0, 0, 0] : cellColor(top, grid.max)) + (bottom < 0 ? RESET : bg(cellColor(bottom, grid.max))) + (top < 0 ? ' ' : '\u2580');
      }
      out.push(line + RESET);
    }
    const colors = viridis();
    const bar = Array.from({ length: 24 }, (_, i) => `${bg(colors[Math.round((255 * i) / 23)])} `).join('') + RESET;
    out.push(`${' '.repeat(labelWidth)} 1 ${bar} ${shortCount(Math.max(grid.max, 1))}   ${bg(cellColor(0, 1))}  ${RESET} 0`);
  } else {
    grid.rows.forEach((_, r) => {
      let line = `${labels[r].padStart(labelWidth)} `;
      for (let c = 0; c < grid.width; c++) line += rampChar(cell(r, c), grid.max);
      out.push(line.trimEnd());
    });
    const steps = RAMP.split('').map((ch, i) => {
      const low = Math.ceil(Math.exp((i / RAMP.length) * Math.log(Math.max(grid.max, 1))));
      return `${ch} >=${shortCount(low)}`;
    });
    out.push(`${' '.repeat(labelWidth)} . 0   ${steps.join('  ')}   (max ${shortCount(grid.max)})`);
  }
  const unit = grid.kind === 'pfn' ? 'frames' : 'pages';
  out.push(`${' '.repeat(labelWidth)} ${grid.width * grid.perCell} ${unit} a row; ${grid.hot.toLocaleString('en-US')} counted, total ${grid.total.toLocaleString('en-US')}`);
  return out.join('\n') + '\n';
}
