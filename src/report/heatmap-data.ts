// The heatmap's data and layout, shared by the SVG/PNG figure, the terminal
// and the HTML report: which counts, which frames (or pages), and where each
// cell goes. A cell is one frame (PFN heatmap) or one virtual page (VPN
// heatmap), placed in PFN (VPN) order left to right, `width` cells a row;
// when a figure would need more than MAX_ROWS rows a cell sums `perCell`
// consecutive frames (a power of two), and the title says so. docs/figures.md.

import { UserError } from '../errors.js';
import type { Stats } from '../model.js';

export const HEATMAP_COUNTS = ['translations', 'reads', 'writes', 'fetches', 'trace'] as const;
/** What a cell counts: translations by op, or (PFN only) the trace's own physical-address accesses. */
export type HeatmapCount = (typeof HEATMAP_COUNTS)[number];

export interface HeatmapOptions {
  /** Cells per row; default: a power of two about twice the rows. */
  width?: number;
  /** Inclusive key range (PFNs or VPNs); default: every key with a count. */
  range?: [number, number];
  count: HeatmapCount;
  /** Rows allowed before cells start summing several keys. */
  maxRows?: number;
}

export interface HeatmapRow {
  /** The key (PFN or VPN) of the row's first cell. */
  start: number;
  /** VPN heatmap: the address space (order of first access). */
  space?: number;
  /** The row starts a new region (a jump in VPNs, or a new space). */
  breakBefore: boolean;
}

export interface HeatmapGrid {
  kind: 'pfn' | 'vpn';
  count: HeatmapCount;
  width: number;
  /** Keys per cell: 1, or a power of two for very large ranges. */
  perCell: number;
  rows: HeatmapRow[];
  /** rows.length * width counts; -1: outside the range (not drawn). */
  values: Float64Array;
  /** Keys per cell covered, for hover text: [first key, last key] of cell i is start + col * perCell ... */
  max: number;
  /** Cells with a count above 0. */
  hot: number;
  total: number;
  /** The first and last key shown. */
  first: number;
  last: number;
}

export const MAX_ROWS = 2048;

/** PFN (VPN) ranges: FIRST-LAST or FIRST+COUNT, each decimal or 0x-hex. */
export function parseRange(option: string, text: string): [number, number] {
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*([-+])\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(text);
  if (!m) throw new UserError(`${option} '${text}': expected FIRST-LAST or FIRST+COUNT (decimal or 0x hex), e.g. 0x100-0x1ff`);
  const first = Number(m[1]);
  const second = Number(m[3]);
  const last = m[2] === '+' ? first + second - 1 : second;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) {
    throw new UserError(`${option} '${text}': the range is empty or too large`);
  }
  return [first, last];
}

export function parseWidth(option: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 4096) throw new UserError(`${option} '${text}': expected a whole number of cells from 1 to 4096`);
  return n;
}

export function parseCount(option: string, text: string): HeatmapCount {
  const t = text.toLowerCase();
  if (!(HEATMAP_COUNTS as readonly string[]).includes(t)) throw new UserError(`${option} '${text}': expected one of ${HEATMAP_COUNTS.join(', ')}`);
  return t as HeatmapCount;
}

function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Keys with their counts, ascending, zero counts left out. */
function pfnCounts(stats: Stats, count: HeatmapCount): Array<[number, number]> {
  if (count === 'trace') return stats.physicalPfn;
  return stats.pfn.map((f) => [f.pfn, f[count]] as [number, number]).filter(([, n]) => n > 0);
}

export function pfnGrid(stats: Stats, opts: HeatmapOptions): HeatmapGrid {
  let counts = pfnCounts(stats, opts.count);
  if (opts.range) counts = counts.filter(([k]) => k >= opts.range![0] && k <= opts.range![1]);
  const first = opts.range?.[0] ?? counts[0]?.[0] ?? 0;
  const last = opts.range?.[1] ?? counts.at(-1)?.[0] ?? first;
  const span = last - first + 1;
  const width = opts.width ?? Math.min(1024, Math.max(16, pow2AtLeast(Math.ceil(Math.sqrt(span * 4)))));
  const maxRows = opts.maxRows ?? MAX_ROWS;
  let perCell = 1;
  while (Math.ceil(span / (width * perCell)) > maxRows) perCell *= 2;
  // Rows start at multiples of the row's span, so a row's label is a round number.
  const rowSpan = width * perCell;
  const base = Math.floor(first / rowSpan) * rowSpan;
  const rowCount = Math.floor(last / rowSpan) - Math.floor(first / rowSpan) + 1;
  const values = new Float64Array(rowCount * width);
  for (let i = 0; i < values.length; i++) {
    const cellFirst = base + i * perCell;
    values[i] = cellFirst + perCell - 1 < first || cellFirst > last ? -1 : 0;
  }
  for (const [key, n] of counts) values[Math.floor((key - base) / perCell)] += n;
  const rows = Array.from({ length: rowCount }, (_, r) => ({ start: base + r * rowSpan, breakBefore: false }));
  return finish({ kind: 'pfn', count: opts.count, width, perCell, rows, values, first, last });
}

/**
 * Virtual pages are sparse (code, heap, stacks far apart), so the VPN grid
 * packs regions: a row holds `width` consecutive pages, and a run of
 * untouched pages longer than a row, or a new address space, starts a new
 * row (breakBefore), labelled with its address.
 */
export function vpnGrid(stats: Stats, opts: HeatmapOptions): HeatmapGrid {
  if (opts.count === 'trace') throw new UserError("--heatmap-count trace counts physical frames: it has no virtual pages");
  if (!stats.vpn) throw new Error('vpnGrid needs per-page counts (CollectOptions.pages)');
  // One count per (space, vpn): a page remapped to another frame sums its rows.
  const pages = new Map<string, { space: number; vpn: number; n: number }>();
  for (const p of stats.vpn.pages) {
    if (opts.range && (p.vpn < opts.range[0] || p.vpn > opts.range[1])) continue;
    const n = p[opts.count as 'translations'];
    if (n === 0) continue;
    const key = `${p.space} ${p.vpn}`;
    const page = pages.get(key);
    if (page) page.n += n;
    else pages.set(key, { space: p.space, vpn: p.vpn, n });
  }
  const sorted = [...pages.values()].sort((a, b) => a.space - b.space || a.vpn - b.vpn);
  const width = opts.width ?? 64;
  const maxRows = opts.maxRows ?? MAX_ROWS;
  const layout = (perCell: number) => {
    const rowSpan = width * perCell;
    const rows: HeatmapRow[] = [];
    const cellOf: number[] = [];
    for (const p of sorted) {
      const start = Math.floor(p.vpn / rowSpan) * rowSpan;
      const last = rows.at(-1);
      if (!last || last.space !== p.space || start > last.start) {
        // Continue the region across rows while the gap stays under a row.
        const continues = last !== undefined && last.space === p.space && start - last.start <= rowSpan;
        rows.push({ start, space: p.space, breakBefore: rows.length > 0 && !continues });
      }
      cellOf.push((rows.length - 1) * width + Math.floor((p.vpn - start) / perCell));
    }
    return { rows, cellOf };
  };
  let perCell = 1;
  let placed = layout(perCell);
  while (placed.rows.length > maxRows) placed = layout((perCell *= 2));
  const values = new Float64Array(placed.rows.length * width);
  sorted.forEach((p, i) => (values[placed.cellOf[i]] += p.n));
  return finish({
    kind: 'vpn', count: opts.count, width, perCell, rows: placed.rows, values,
    first: sorted[0]?.vpn ?? 0, last: sorted.at(-1)?.vpn ?? 0,
  });
}

function finish(grid: Omit<HeatmapGrid, 'max' | 'hot' | 'total'>): HeatmapGrid {
  let max = 0;
  let hot = 0;
  let total = 0;
  for (const v of grid.values) {
    if (v > 0) {
      hot++;
      total += v;
      if (v > max) max = v;
    }
  }
  return { ...grid, max, hot, total };
}

/** Where a count falls on the log colour scale: 0 for 1 (or less), 1 for the maximum. */
export function logPosition(value: number, max: number): number {
  if (value <= 1 || max <= 1) return max <= 1 && value >= 1 ? 1 : 0;
  return Math.log(value) / Math.log(max);
}

/** A row's label: its first PFN, or (VPN) its virtual address, after the space when there are several. */
export function rowLabel(grid: HeatmapGrid, row: HeatmapRow): string {
  if (grid.kind === 'pfn') return `0x${row.start.toString(16)}`;
  const spaces = grid.rows.some((r) => (r.space ?? 0) > 0);
  return `${spaces ? `s${row.space} ` : ''}0x${(BigInt(row.start) << 12n).toString(16)}`;
}

export const COUNT_NAMES: Record<HeatmapCount, string> = {
  translations: 'translations',
  reads: 'read translations',
  writes: 'write translations',
  fetches: 'fetch translations',
  trace: "accesses at the trace's physical addresses",
};

/** No --heatmap-count: the trace's own frames when it gives physical addresses (they are the guest's real frames), else translations. */
export function resolveCount(count: HeatmapCount | undefined, stats: Stats, kind: 'pfn' | 'vpn'): HeatmapCount {
  if (count) return count;
  return kind === 'pfn' && stats.physicalPfn.length > 0 ? 'trace' : 'translations';
}
