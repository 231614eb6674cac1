// The heatmaps' colours: viridis (perceptually uniform, readable in grey and
// by most colour-blind readers) on a log scale, as a 256-entry table so the
// figure, the terminal and the HTML report colour a count the same way.

import { interpolateViridis } from 'd3-scale-chromatic';
import { logPosition } from './heatmap-data.js';

export type Rgb = [number, number, number];

/** A frame (page) in range with no count: distinct from the scale's lowest colour. */
export const EMPTY_RGB: Rgb = [0xe4, 0xe4, 0xe4];
export const BACKGROUND_RGB: Rgb = [0xff, 0xff, 0xff];

let table: Rgb[] | null = null;

export function viridis(): Rgb[] {
  table ??= Array.from({ length: 256 }, (_, i) => {
    const hex = interpolateViridis(i / 255); // "#rrggbb"
    return [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)) as Rgb;
  });
  return table;
}

/** The colour of a cell value: -1 outside the range, 0 empty, else viridis at its log position. */
export function cellColor(value: number, max: number): Rgb {
  if (value < 0) return BACKGROUND_RGB;
  if (value === 0) return EMPTY_RGB;
  return viridis()[Math.round(255 * logPosition(value, max))];
}

export function hex(rgb: Rgb): string {
  return '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
}

/** Tick values for a log legend from 1 to max: the powers of ten in between. */
export function logTicks(max: number): number[] {
  const ticks: number[] = [];
  for (let t = 1; t <= max; t *= 10) ticks.push(t);
  return ticks;
}

export function shortCount(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}
