// One CPU of the machine (docs/metrics.md, CPUs): its private TLBs and
// page-walk caches, its current address space and its mode. Page tables,
// address spaces and frames belong to the machine and are shared.

import { policyOf, type Geometry, type LevelStats, type MachineConfig, type TlbLevel } from '../model.js';
import type { PagingLayout } from './pagetable.js';
import { PageWalkCaches } from './pwc.js';
import { randomStart, Tlb } from './tlb.js';

export type Mode = 'user' | 'kernel';

export class Cpu {
  readonly l1d: Tlb;
  readonly l1i: Tlb;
  readonly l2: Tlb | null;
  /** null: no page-walk caches (no `pwc` in the config). */
  readonly pwc: PageWalkCaches | null;
  /** The mode of this CPU's last translated access; null before its first. */
  mode: Mode | null = null;
  /** The half of this CPU's last fetch; null before its first. */
  lastFetch: Mode | null = null;

  /** `space`: the address space it starts in (the trace's start space). */
  constructor(
    readonly number: number,
    config: MachineConfig,
    paging: PagingLayout,
    public space: number,
  ) {
    const tlb = (level: TlbLevel, geometry: Geometry) => new Tlb(geometry, policyOf(config, level), randomStart(config.seed, level, number));
    this.l1d = tlb('l1d', config.l1d);
    this.l1i = tlb('l1i', config.l1i);
    this.l2 = config.l2 ? tlb('l2', config.l2) : null;
    this.pwc = config.pwc !== undefined ? new PageWalkCaches(config.pwc, paging) : null;
  }

  tlbs(): Tlb[] {
    return this.l2 ? [this.l1d, this.l1i, this.l2] : [this.l1d, this.l1i];
  }

  /** Every TLB entry, global ones included, and the page-walk caches ([TLB_FLUSH], a KPTI switch without PCID). */
  flushAll(): void {
    for (const tlb of this.tlbs()) tlb.flush();
    this.pwc?.clear();
  }

  /** A context switch without PCID: every entry but the global ones, and the page-walk caches entirely. */
  flushForSwitch(): void {
    for (const tlb of this.tlbs()) tlb.flushNonGlobal();
    this.pwc?.clear();
  }

  counts(): { l1d: LevelStats; l1i: LevelStats; l2?: LevelStats } {
    const level = (tlb: Tlb) => ({ ...tlb.counts });
    return { l1d: level(this.l1d), l1i: level(this.l1i), ...(this.l2 ? { l2: level(this.l2) } : {}) };
  }
}
