// The heatmap figure as SVG: title naming the trace and machine, the grid
// (an embedded PNG, one pixel per cell, scaled without smoothing, so a
// million frames stay a small file), row labels in PFN (address) order, a
// column axis, and a log-scale colour legend. png.ts rasterizes this same
// SVG, so both outputs are one figure. docs/figures.md defines it.

import { encode } from 'fast-png';
import { cellColor, EMPTY_RGB, hex, logTicks, shortCount, viridis } from './colormap.js';
import { COUNT_NAMES, logPosition, rowLabel, type HeatmapGrid } from './heatmap-data.js';

export interface FigureText {
  /** The trace's name. */
  trace: string;
  /** The machine in one line (describe.ts machineLine). */
  machine: string;
}

const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
const MARGIN = { left: 120, top: 74, right: 150, bottom: 46 };

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The grid as a PNG, one pixel per cell. */
export function gridPng(grid: HeatmapGrid): Uint8Array {
  const height = Math.max(1, grid.rows.length);
  const data = new Uint8Array(grid.width * height * 3);
  for (let i = 0; i < grid.values.length; i++) data.set(cellColor(grid.values[i], grid.max), 3 * i);
  return encode({ width: grid.width, height, data, channels: 3, depth: 8 });
}

/** Cell size in pixels: the grid at most 1024 pixels wide and 1600 tall. */
export function cellPixels(grid: HeatmapGrid): number {
  const byWidth = Math.floor(1024 / grid.width);
  const byHeight = Math.floor(1600 / Math.max(1, grid.rows.length));
  return Math.max(1, Math.min(24, byWidth, byHeight));
}

/** Rows between labels: a power of two keeping labels 14 pixels apart or more. */
function labelStep(cell: number): number {
  let step = 1;
  while (step * cell < 14) step *= 2;
  return step;
}

export function heatmapTitle(grid: HeatmapGrid): string {
  const what = grid.kind === 'pfn' ? 'PFN heatmap' : 'VPN heatmap';
  const unit = grid.kind === 'pfn' ? 'frame' : 'page';
  const per = grid.perCell === 1 ? `per ${unit}` : `per ${grid.perCell} ${unit}s`;
  return `${what}: ${COUNT_NAMES[grid.count]} ${per} (log scale)`;
}

export function heatmapSvg(grid: HeatmapGrid, text: FigureText): string {
  const cell = cellPixels(grid);
  const gridW = grid.width * cell;
  const gridH = Math.max(1, grid.rows.length) * cell;
  const width = MARGIN.left + gridW + MARGIN.right;
  const height = MARGIN.top + Math.max(gridH, 190) + MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = MARGIN.top;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(heatmapTitle(grid))}</text>`,
    `<text x="12" y="42" font-size="11.5">${escapeXml(text.trace)}</text>`,
    `<text x="12" y="58" font-size="11.5" fill="#444444">${escapeXml(text.machine)}</text>`,
  );
  const png = Buffer.from(gridPng(grid)).toString('base64');
  out.push(
    `<image x="${x0}" y="${y0}" width="${gridW}" height="${gridH}" preserveAspectRatio="none" image-rendering="optimizeSpeed"` +
      ` href="data:image/png;base64,${png}"/>`,
    `<rect x="${x0 - 0.5}" y="${y0 - 0.5}" width="${gridW + 1}" height="${gridH + 1}" fill="none" stroke="#888888" stroke-width="1"/>`,
  );

  // Row labels: the first key of every step-th row, and of every new region.
  const step = labelStep(cell);
  let lastLabelY = -Infinity;
  grid.rows.forEach((row, r) => {
    const y = y0 + r * cell;
    if (row.breakBefore) {
      out.push(`<line x1="${x0 - 6}" x2="${x0 + gridW}" y1="${y}" y2="${y}" stroke="#d62728" stroke-width="1" stroke-dasharray="3,2"/>`);
    }
    if ((r % step === 0 || row.breakBefore) && y - lastLabelY >= 13) {
      out.push(`<text x="${x0 - 6}" y="${y + Math.min(cell, 12) / 2 + 4}" font-size="10" text-anchor="end">${escapeXml(rowLabel(grid, row))}</text>`);
      lastLabelY = y;
    }
  });
  const rowAxis = grid.kind === 'pfn' ? 'first PFN of the row' : 'virtual address of the row';
  out.push(
    `<text transform="translate(14 ${y0 + Math.max(gridH, 190) / 2}) rotate(-90)" font-size="11" text-anchor="middle">${rowAxis}</text>`,
  );

  // Column axis: offsets within a row, in keys.
  const ticks = [0, 0.25, 0.5, 0.75].map((f) => Math.round(f * grid.width)).filter((t, i, a) => a.indexOf(t) === i);
  for (const t of ticks) {
    const x = x0 + t * cell + cell / 2;
    out.push(
      `<line x1="${x}" x2="${x}" y1="${y0 + gridH}" y2="${y0 + gridH + 4}" stroke="#444444"/>`,
      `<text x="${x}" y="${y0 + gridH + 15}" font-size="10" text-anchor="middle">+${t * grid.perCell}</text>`,
    );
  }
  const unit = grid.kind === 'pfn' ? 'frames' : 'pages';
  out.push(
    `<text x="${x0 + gridW / 2}" y="${y0 + gridH + 32}" font-size="11" text-anchor="middle">offset in the row (${unit}; ${grid.width * grid.perCell} a row)</text>`,
  );

  // Legend: the colour bar, log ticks from 1 to the maximum, and the empty swatch.
  const lx = x0 + gridW + 26;
  const barH = Math.min(160, Math.max(100, gridH - 40));
  const colors = viridis();
  out.push(`<defs><linearGradient id="scale" x1="0" y1="1" x2="0" y2="0">`);
  for (let i = 0; i <= 16; i++) out.push(`<stop offset="${i / 16}" stop-color="${hex(colors[Math.round((255 * i) / 16)])}"/>`);
  out.push(`</linearGradient></defs>`);
  out.push(
    `<text x="${lx}" y="${y0 - 12}" font-size="10.5">${grid.count === 'trace' ? 'accesses' : grid.count}</text>`,
    `<rect x="${lx}" y="${y0}" width="14" height="${barH}" fill="url(#scale)" stroke="#888888" stroke-width="0.5"/>`,
  );
  const max = Math.max(grid.max, 1);
  const tickValues = [...logTicks(max)];
  if (tickValues.at(-1) !== max) tickValues.push(max);
  let lastTickY = -Infinity;
  for (const v of tickValues.reverse()) {
    const y = y0 + barH * (1 - logPosition(v, max));
    if (y - lastTickY < 11 && v !== max) continue;
    out.push(
      `<line x1="${lx + 14}" x2="${lx + 18}" y1="${y}" y2="${y}" stroke="#444444"/>`,
      `<text x="${lx + 21}" y="${y + 3.5}" font-size="10">${shortCount(v)}${v === max && v !== 1 ? ' (max)' : ''}</text>`,
    );
    lastTickY = y;
  }
  const sy = y0 + barH + 14;
  out.push(
    `<rect x="${lx}" y="${sy}" width="14" height="10" fill="${hex(EMPTY_RGB)}" stroke="#888888" stroke-width="0.5"/>`,
    `<text x="${lx + 21}" y="${sy + 9}" font-size="10">0</text>`,
    `<text x="${lx}" y="${sy + 28}" font-size="10">${grid.hot.toLocaleString('en-US')} ${grid.kind === 'pfn' ? 'frames' : 'pages'} counted</text>`,
    `<text x="${lx}" y="${sy + 42}" font-size="10">total ${grid.total.toLocaleString('en-US')}</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}
