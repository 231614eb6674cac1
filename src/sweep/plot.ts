// The sweep as a figure: miss rate against TLB entries on a log-2 axis, one
// line per associativity (and policy, level, page size when several), as
// a standalone SVG sized for a paper column. Hand-written: the figure needs
// two axes, a legend and polylines, not a plotting library.

import type { SweepRow } from './run.js';

export interface PlotOptions {
  /** The associativities asked for: a one-set row belongs to "full" and to its numbered way count if asked. */
  ways: Array<number | 'full'>;
  /** Miss rate on a log-10 axis (rates across several decades). */
  logY?: boolean;
}

interface Series {
  label: string;
  color: string;
  dash: string;
  marker: number;
  points: Array<[entries: number, rate: number]>;
}

const WIDTH = 560;
/** At least; taller when the legend needs it. */
const MIN_HEIGHT = 360;
const LEGEND_ROW = 18;
const MARGIN = { left: 62, right: 172, top: 16, bottom: 48 };
const FONT = "font-family=\"'DejaVu Sans', Helvetica, Arial, sans-serif\"";
/** Okabe & Ito's palette: tells apart for every common color-vision deficiency, and in gray. */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const DASHES: Record<string, string> = { lru: '', fifo: '6 3', random: '2 3', plru: '8 3 2 3' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => String(Math.round(n * 100) / 100);

function seriesOf(rows: SweepRow[], opts: PlotOptions): Series[] {
  const levels = new Set(rows.map((r) => r.level));
  const pages = new Set(rows.map((r) => r.pageSize));
  const policies = new Set(rows.map((r) => r.policy));
  const groups = new Map<string, { label: string; policy: string; key: string; points: Array<[number, number]> }>();
  const wayKeys: string[] = [];
  for (const row of rows) {
    const memberships: string[] = [];
    if (opts.ways.includes(row.ways) || row.ways !== row.entries) memberships.push(`${row.ways}-way`);
    if (opts.ways.includes('full') && row.ways === row.entries) memberships.push('full');
    for (const ways of memberships) {
      const parts = [ways === 'full' ? 'fully assoc.' : ways];
      if (policies.size > 1) parts.push(row.policy.toUpperCase());
      if (levels.size > 1) parts.push(row.level);
      if (pages.size > 1) parts.push(row.pageSize);
      const colorKey = [ways, levels.size > 1 ? row.level : '', pages.size > 1 ? row.pageSize : ''].join(' ');
      if (!wayKeys.includes(colorKey)) wayKeys.push(colorKey);
      const key = `${colorKey} ${row.policy}`;
      const g = groups.get(key) ?? { label: parts.join(', '), policy: row.policy, key: colorKey, points: [] };
      g.points.push([row.entries, row.missRate]);
      groups.set(key, g);
    }
  }
  const order = (k: string) => (k.startsWith('full') ? 1e9 : parseInt(k, 10));
  const policyOrder = [...policies] as string[];
  return [...groups.values()]
    .sort((a, b) => order(a.key) - order(b.key) || a.key.localeCompare(b.key) || policyOrder.indexOf(a.policy) - policyOrder.indexOf(b.policy))
    .map((g) => ({
      label: g.label,
      color: COLORS[wayKeys.indexOf(g.key) % COLORS.length],
      dash: DASHES[g.policy] ?? '',
      marker: [...policies].indexOf(g.policy as SweepRow['policy']),
      points: g.points.sort((a, b) => a[0] - b[0]),
    }));
}

/** 1, 2, 5 x 10^k steps giving about `count` ticks from 0 to at least `max`. */
function linearTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = 0; t < max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function entriesLabel(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024}K` : String(n);
}

function marker(kind: number, x: number, y: number, color: string): string {
  const s = 3.2;
  switch (kind % 4) {
    case 0:
      return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${s}" fill="${color}"/>`;
    case 1:
      return `<rect x="${fmt(x - s)}" y="${fmt(y - s)}" width="${2 * s}" height="${2 * s}" fill="${color}"/>`;
    case 2:
      return `<path d="M${fmt(x)} ${fmt(y - s * 1.2)}L${fmt(x + s * 1.2)} ${fmt(y + s)}L${fmt(x - s * 1.2)} ${fmt(y + s)}Z" fill="${color}"/>`;
    default:
      return `<path d="M${fmt(x)} ${fmt(y - s * 1.3)}L${fmt(x + s * 1.3)} ${fmt(y)}L${fmt(x)} ${fmt(y + s * 1.3)}L${fmt(x - s * 1.3)} ${fmt(y)}Z" fill="${color}"/>`;
  }
}

export function sweepSvg(rows: SweepRow[], opts: PlotOptions): string {
  const series = seriesOf(rows, opts);
  const HEIGHT = Math.max(MIN_HEIGHT, MARGIN.top + 8 + series.length * LEGEND_ROW + MARGIN.bottom);
  const entries = rows.map((r) => r.entries);
  const lo = Math.log2(Math.min(...entries));
  const hi = Math.max(Math.log2(Math.max(...entries)), lo + 1);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (e: number) => MARGIN.left + ((Math.log2(e) - lo) / (hi - lo)) * plotW;

  const percents = rows.map((r) => r.missRate * 100);
  let yTicks: number[];
  let y: (p: number) => number;
  let yLabel: (p: number) => string;
  const positive = percents.filter((p) => p > 0);
  if (opts.logY && positive.length > 0) {
    const bottom = Math.floor(Math.log10(Math.min(...positive)));
    const top = Math.max(Math.ceil(Math.log10(Math.max(...positive))), bottom + 1);
    yTicks = Array.from({ length: top - bottom + 1 }, (_, i) => 10 ** (bottom + i));
    // A zero miss rate has no place on a log axis: drawn at the bottom edge.
    y = (p) => MARGIN.top + plotH - ((Math.log10(Math.max(p, 10 ** bottom)) - bottom) / (top - bottom)) * plotH;
    yLabel = (p) => (p >= 1 ? String(p) : p.toPrecision(1));
  } else {
    yTicks = linearTicks(Math.max(...percents));
    const top = yTicks[yTicks.length - 1];
    y = (p) => MARGIN.top + plotH - (p / top) * plotH;
    yLabel = (p) => String(p);
  }

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT} font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  // Grid and ticks.
  const xTicks: number[] = [];
  const step = Math.max(1, Math.ceil((Math.ceil(hi) - Math.floor(lo) + 1) / 12));
  for (let k = Math.ceil(lo); k <= hi + 1e-9; k += step) xTicks.push(2 ** k);
  const bottomY = MARGIN.top + plotH;
  for (const t of xTicks) {
    out.push(`<line x1="${fmt(x(t))}" y1="${MARGIN.top}" x2="${fmt(x(t))}" y2="${bottomY}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${fmt(x(t))}" y="${bottomY + 16}" text-anchor="middle">${entriesLabel(t)}</text>`);
  }
  for (const t of yTicks) {
    out.push(`<line x1="${MARGIN.left}" y1="${fmt(y(t))}" x2="${MARGIN.left + plotW}" y2="${fmt(y(t))}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${fmt(y(t) + 4)}" text-anchor="end">${yLabel(t)}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333333"/>`);
  out.push(`<text x="${fmt(MARGIN.left + plotW / 2)}" y="${HEIGHT - 10}" text-anchor="middle" font-size="13">TLB entries (log scale)</text>`);
  out.push(
    `<text transform="translate(16 ${fmt(MARGIN.top + plotH / 2)}) rotate(-90)" text-anchor="middle" font-size="13">miss rate (%${opts.logY ? ', log scale' : ''})</text>`,
  );
  // Lines, markers and the legend.
  series.forEach((s, i) => {
    const points = s.points.map(([e, r]) => `${fmt(x(e))},${fmt(y(r * 100))}`).join(' ');
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="1.8"${dash} stroke-linejoin="round"/>`);
    for (const [e, r] of s.points) out.push(marker(s.marker, x(e), y(r * 100), s.color));
    const ly = MARGIN.top + 8 + i * LEGEND_ROW;
    const lx = MARGIN.left + plotW + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${s.color}" stroke-width="1.8"${dash}/>`);
    out.push(marker(s.marker, lx + 13, ly, s.color));
    out.push(`<text x="${lx + 32}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The SVG rasterized at `scale` times its size (300 dpi for a 560-pixel-wide figure at scale 3). */
export async function sweepPng(svg: string, scale = 3): Promise<Buffer> {
  // Loaded only for PNG output: a native module that every other command can do without.
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return Buffer.from(resvg.render().asPng());
}
