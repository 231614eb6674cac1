// The WebAssembly memory a core may use (--max-memory). The core's memory
// holds a fixed part (the input window, the event batch, the TLBs) and grows
// only with what the machine keeps per page touched: page-table nodes and
// per-frame counts. The limit turns "this trace touches more pages than I
// want to hold" into one clear error instead of a machine running out of RAM.

import { UserError } from '../errors.js';

export const WASM_PAGE_BYTES = 65536;
/** WebAssembly's 32-bit address space: 65536 pages. */
export const MAX_MEMORY_BYTES = 4 * 1024 ** 3;
export const DEFAULT_MAX_MEMORY_BYTES = MAX_MEMORY_BYTES;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "4G", "512M", "65536k", "1048576": binary units (1M = 2^20 bytes). */
export function parseMemorySize(option: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  const bytes = m ? Math.round(Number(m[1]) * UNITS[m[2].toLowerCase()]) : NaN;
  if (!Number.isFinite(bytes) || bytes <= 0) throw new UserError(`${option} '${text}': expected a size such as 512M or 2G`);
  if (bytes > MAX_MEMORY_BYTES) throw new UserError(`${option} '${text}': at most 4G (WebAssembly's 32-bit address space)`);
  return bytes;
}

/** "4G", "512M", "1.5M", or bytes: as a user would type it. */
export function formatMemorySize(bytes: number): string {
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['k', 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))}${unit}`;
  }
  return `${bytes}`;
}

/** Thrown by a core whose memory reached its limit; the driver names the trace. */
export class MemoryLimitError extends UserError {
  constructor(readonly limitBytes: number) {
    super(
      `the simulated machine's page tables and per-frame counts outgrew --max-memory ${formatMemorySize(limitBytes)}` +
        (limitBytes < MAX_MEMORY_BYTES ? ' (raise it, up to 4G)' : ' (WebAssembly\'s limit: replay a trace that touches fewer pages)'),
    );
  }
}
