// Telling a trace's format from its first bytes.

import type { Format } from '../model.js';
import { isTlbt } from './tlbt.js';

const SIGNS: Array<[Format, RegExp]> = [
  ['mem', /^\[(MEM|CR3|INVLPG|TLB_FLUSH|PAGE_FAULT)\]/],
  ['lackey', /^(==\d+==|I {1,2}[0-9a-fA-F]+,\d+$| [LSM] [0-9a-fA-F]+,\d+$)/],
  ['execlog', /^\d+, 0x[0-9a-fA-F]+, 0x[0-9a-fA-F]+, "/],
  ['memcsv', /^(insn_vaddr,insn_symbol,mem_vaddr,|0x[0-9a-fA-F]+,.*,0x[0-9a-fA-F]+,0x[0-9a-fA-F]+,\d+,(load|store),)/],
  ['pin', /^0x[0-9a-fA-F]+: [RW] 0x[0-9a-fA-F]+/],
  ['din', /^\d+[ \t]+(0x)?[0-9a-fA-F]+([ \t]|$)/],
];

/** Lines looked at: a few malformed lines at the top must not hide the format. */
const LINES_LOOKED_AT = 64;

/** The format of the first recognisable line among the first lines, or null. */
export function sniffFormat(head: Uint8Array): Format | null {
  if (isTlbt(head)) return 'tlbt';
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1');
  const lines = text.split('\n', LINES_LOOKED_AT);
  for (const raw of lines) {
    const line = raw.replace(/[\r\t ]+$/, '');
    for (const [format, sign] of SIGNS) if (sign.test(line)) return format;
  }
  return null;
}
