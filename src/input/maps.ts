// Reads /proc/PID/maps files (`START-END PERMS OFFSET DEV INODE [PATH]`) into
// the regions --maps checks accesses against (docs/metrics.md, Kernel
// layouts, permissions and KPTI).

import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { Region } from '../model.js';

const LINE = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)\s+([r-][w-][x-][ps])(?:\s+\S+){0,3}(?:\s+.*)?$/;

/** The regions of one maps text, ascending; `name` labels errors. */
export function parseMaps(name: string, text: string): Region[] {
  const regions: Region[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) throw new UserError(`${name}:${i + 1}: not a /proc/PID/maps line (START-END PERMS ...): ${line.slice(0, 80)}`);
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    if (end <= start) throw new UserError(`${name}:${i + 1}: region ends (0x${m[2]}) before it starts (0x${m[1]})`);
    if (end > 1n << 64n) throw new UserError(`${name}:${i + 1}: address beyond 64 bits`);
    const previous = regions[regions.length - 1];
    if (previous && start < previous.end) {
      throw new UserError(`${name}:${i + 1}: region 0x${m[1]} overlaps or precedes the one before it (maps files list regions in ascending order)`);
    }
    const perms = m[3];
    regions.push({ start, end, read: perms[0] === 'r', write: perms[1] === 'w', exec: perms[2] === 'x' });
  });
  if (regions.length === 0) throw new UserError(`${name}: no regions`);
  return regions;
}

/** --maps FILE or --maps 0xCR3=FILE. */
export function loadMaps(spec: string): { cr3: bigint | null; regions: Region[] } {
  const m = /^(0x[0-9a-fA-F]+)=(.+)$/.exec(spec);
  const path = m ? m[2] : spec;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    throw new UserError(`--maps ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return { cr3: m ? BigInt(m[1]) : null, regions: parseMaps(path, text) };
}
