// The interval series as an SVG line chart (used by the HTML report): miss
// rate of each TLB level per window, and page walks per 1,000 records, with
// the windows' record numbers on the x axis.

import type { IntervalWindow } from './windows.js';

const SERIES = [
  { key: 'l1d', label: 'L1d miss rate', color: '#1f77b4' },
  { key: 'l1i', label: 'L1i miss rate', color: '#ff7f0e' },
  { key: 'l2', label: 'L2 miss rate', color: '#2ca02c' },
] as const;

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Line {
  label: string;
  color: string;
  values: Array<number | null>;
}

function chart(id: string, title: string, unit: string, windows: IntervalWindow[], lines: Line[]): string {
  const W = 760;
  const H = 230;
  const m = { left: 58, right: 150, top: 26, bottom: 38 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = lines.flatMap((l) => l.values.filter((v): v is number => v !== null));
  const top = niceMax(Math.max(0, ...all));
  const n = windows.length;
  const x = (i: number) => m.left + (n <= 1 ? pw / 2 : (i * pw) / (n - 1));
  const y = (v: number) => m.top + ph * (1 - v / top);
  const out = [
    `<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}">`,
    `<text x="${m.left}" y="16" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${m.left - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${+v.toPrecision(3)}${unit}</text>`,
    );
  }
  const ticks = n <= 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
  for (const i of [...new Set(ticks)]) {
    out.push(`<text x="${x(i)}" y="${m.top + ph + 14}" font-size="10" text-anchor="middle">${windows[i].lastRecord.toLocaleString('en-US')}</text>`);
  }
  out.push(`<text x="${m.left + pw / 2}" y="${H - 6}" font-size="11" text-anchor="middle">records (end of window)</text>`);
  lines.forEach((line, k) => {
    // A window without lookups at a level has no rate: the line breaks there.
    const segments: string[][] = [[]];
    line.values.forEach((v, i) => {
      if (v === null) segments.push([]);
      else segments.at(-1)!.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    });
    for (const seg of segments.filter((s) => s.length > 0)) {
      out.push(
        seg.length === 1
          ? `<circle cx="${seg[0].split(',')[0]}" cy="${seg[0].split(',')[1]}" r="2.5" fill="${line.color}"/>`
          : `<polyline class="series" data-series="${escapeXml(line.label)}" points="${seg.join(' ')}" fill="none" stroke="${line.color}" stroke-width="1.5"/>`,
      );
    }
    const ly = m.top + 10 + 16 * k;
    out.push(
      `<line x1="${W - m.right + 12}" x2="${W - m.right + 30}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="2"/>`,
      `<text x="${W - m.right + 35}" y="${ly + 4}" font-size="11">${escapeXml(line.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

export function intervalCharts(windows: IntervalWindow[], hasL2: boolean): string {
  const rate = (misses: number, lookups: number) => (lookups === 0 ? null : (100 * misses) / lookups);
  const level = (key: (typeof SERIES)[number]['key']): Line => {
    const s = SERIES.find((x) => x.key === key)!;
    return {
      label: s.label,
      color: s.color,
      values: windows.map((w) =>
        key === 'l1d' ? rate(w.l1dMisses, w.l1dLookups) : key === 'l1i' ? rate(w.l1iMisses, w.l1iLookups) : rate(w.l2Misses, w.l2Lookups),
      ),
    };
  };
  const walks: Line[] = [
    { label: 'walks', color: '#9467bd', values: windows.map((w) => (w.records === 0 ? null : (1000 * w.walks) / w.records)) },
    { label: 'minor faults', color: '#d62728', values: windows.map((w) => (w.records === 0 ? null : (1000 * w.minorFaults) / w.records)) },
  ];
  // The L2's local miss rate is usually far above the L1s': a chart of its own keeps theirs readable.
  return [
    chart('interval-l1-miss-rates', 'L1 miss rate per window', '%', windows, [level('l1d'), level('l1i')]),
    hasL2 ? chart('interval-l2-miss-rate', 'L2 miss rate per window', '%', windows, [level('l2')]) : '',
    chart('interval-walks', 'Page walks and minor faults per 1,000 records, per window', '', windows, walks),
  ].join('\n');
}
