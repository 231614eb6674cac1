// Reads /proc/PID/maps files (`START-END PERMS OFFSET DEV INODE [PATH]`) into
// the regions --maps checks accesses against (docs/metrics.md, Kernel
// layouts, permissions and KPTI), and /proc/PID/smaps files, whose
// `Key: value` lines under each region add one thing the model uses: the
// page size a hugetlbfs region is mapped at (KernelPageSize).

import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { Region } from '../model.js';

const LINE = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)\s+([r-][w-][x-][ps])(?:\s+\S+){0,3}(?:\s+.*)?$/;
/** An smaps field line, e.g. `KernelPageSize:     2048 kB`. */
const FIELD = /^([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$/;
const HUGE_SIZES: Record<string, Region['pageSize']> = { '2048': '2M', '4096': '4M', '1048576': '1G' };

/** The regions of one maps (or smaps) text, ascending; `name` labels errors. */
export function parseMaps(name: string, text: string): Region[] {
  const regions: Region[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${name}:${i + 1}`;
    const field = FIELD.exec(line);
    if (field) {
      const region = regions[regions.length - 1];
      if (!region) throw new UserError(`${where}: an smaps field before the first region: ${line.slice(0, 80)}`);
      if (field[1] === 'KernelPageSize') setPageSize(where, region, field[2]);
      return;
    }
    const m = LINE.exec(line);
    if (!m) throw new UserError(`${where}: not a /proc/PID/maps line (START-END PERMS ...): ${line.slice(0, 80)}`);
    const start = BigInt(`0x${m[1]}`);
    const end = BigInt(`0x${m[2]}`);
    if (end <= start) throw new UserError(`${where}: region ends (0x${m[2]}) before it starts (0x${m[1]})`);
    if (end > 1n << 64n) throw new UserError(`${where}: address beyond 64 bits`);
    const previous = regions[regions.length - 1];
    if (previous && start < previous.end) {
      throw new UserError(`${where}: region 0x${m[1]} overlaps or precedes the one before it (maps files list regions in ascending order)`);
    }
    const perms = m[3];
    regions.push({ start, end, read: perms[0] === 'r', write: perms[1] === 'w', exec: perms[2] === 'x' });
  });
  if (regions.length === 0) throw new UserError(`${name}: no regions`);
  return regions;
}

/** KernelPageSize: 4 kB leaves the region at the run's size; a huge size must align with the region. */
function setPageSize(where: string, region: Region, value: string): void {
  const m = /^(\d+)\s*kB$/.exec(value.trim());
  if (!m) throw new UserError(`${where}: KernelPageSize '${value}': expected a size in kB, e.g. 2048 kB`);
  if (m[1] === '4') return;
  const size = HUGE_SIZES[m[1]];
  if (size === undefined) throw new UserError(`${where}: KernelPageSize ${m[1]} kB: tlbscope maps pages of 4, 2048, 4096 and 1048576 kB`);
  const bytes = BigInt(m[1]) * 1024n;
  if (region.start % bytes !== 0n || region.end % bytes !== 0n) {
    throw new UserError(`${where}: KernelPageSize ${m[1]} kB: the region 0x${region.start.toString(16)}-0x${region.end.toString(16)} is not aligned to its page size`);
  }
  region.pageSize = size;
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
