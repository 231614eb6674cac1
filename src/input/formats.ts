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
];
