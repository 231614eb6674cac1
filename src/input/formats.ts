// What `tlbscope formats` lists: every format the decoders read.

import type { Format } from '../model.js';

export const FORMAT_EXAMPLES: Array<{ name: Format; description: string; example: string }> = [
  {
    name: 'mem',
    description: 'QEMU plugin [MEM] dialect (+ [CR3], [INVLPG], [TLB_FLUSH], [PAGE_FAULT]); --size-shift if size= is log2',
    example: '[MEM] VA=0x7ffdf000, size=4, type=READ, PA=0x29fd7d0',
  },
  {
    name: 'lackey',
    description: 'Valgrind lackey --trace-mem=yes (I, L, S, M; ==PID== banners skipped)',
    example: ' L 1ffefff8b8,8',
  },
  {
    name: 'execlog',
    description: 'QEMU contrib/plugins/execlog (user mode: virtual; system mode: ", RAM" = physical)',
    example: '0, 0x4002826770, 0xe78955, "pushq %rbp", store, 0x400280ae50',
  },
  {
    name: 'memcsv',
    description: 'QEMU tests/tcg/plugins/mem print-accesses=on CSV (access_size in bits; mem_hwaddr = physical)',
    example: '0xfe05b,,0xf61c8,0xf61c8,32,load,0x00000000',
  },
  {
    name: 'din',
    description: 'Dinero IV din: label (0 read, 1 write, 2 fetch; others ignored) and hex address',
    example: '0 7ffdfbdb37d0',
  },
  {
    name: 'pin',
    description: "Pin's pinatrace: ip, R or W, address (#eof ends it)",
    example: '0x7f2e3a1c2b3d: W 0x7ffd6bd4f8f8',
  },
  {
    name: 'tlbt',
    description: "tlbscope's binary replay format, written by tlbscope convert",
    example: '(binary: TLBTRACE header, then 24-byte events)',
  },
];
