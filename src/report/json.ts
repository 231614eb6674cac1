// The --json object: keys documented in docs/json.md, checked against
// docs/tlbscope-report.schema.json by the tests, and kept stable.

import { formatGeometry } from '../config.js';
import { policyOf, type LevelStats, type MachineConfig, type Stats } from '../model.js';
import type { ReplayResult } from '../replay.js';
import { formatPwc } from './describe.js';
import { intervalWindows } from './windows.js';

function level(l: LevelStats) {
  return { ...l, missRate: l.lookups === 0 ? 0 : l.misses / l.lookups };
}

export interface JsonOptions {
  /** Add the per-frame and per-page tables (pfn, vpn, tracePfn). */
  pages?: boolean;
}

export function jsonReport(result: ReplayResult, machine: MachineConfig, sizeShift: boolean, opts: JsonOptions = {}) {
  const s: Stats = result.stats;
  return {
    trace: result.traces.join(' + '),
    traces: result.traces,
    format: [...new Set(result.formats)].join('+'),
    config: {
      l1d: formatGeometry(machine.l1d),
      l1i: formatGeometry(machine.l1i),
      l2: formatGeometry(machine.l2),
      policy: machine.policy,
      policies: { l1d: policyOf(machine, 'l1d'), l1i: policyOf(machine, 'l1i'), ...(machine.l2 ? { l2: policyOf(machine, 'l2') } : {}) },
      seed: machine.seed ?? 1,
      pcid: machine.pcid,
      sizeShift,
      paging: machine.paging ?? 'x86-64',
      pageSize: machine.pageSize ?? '4K',
      frames: machine.frames ?? null,
      evict: machine.frames === undefined ? null : machine.evict ?? 'lru',
      alloc: machine.alloc ?? 'sequential',
      layout: machine.layout ?? 'flat',
      kpti: !!machine.kpti,
      maps: (machine.maps ?? []).map((m) => ({
        cr3: m.cr3 === null ? null : `0x${m.cr3.toString(16)}`,
        regions: m.regions.length,
        hugeRegions: m.regions.filter((r) => r.pageSize !== undefined).length,
      })),
      pwc: formatPwc(machine),
    },
    records: s.records,
    accesses: s.accesses,
    crossings: s.crossings,
    tlb: {
      l1d: level(s.tlb.l1d),
      l1i: level(s.tlb.l1i),
      ...(s.tlb.l2 ? { l2: level(s.tlb.l2) } : {}),
    },
    walks: s.walks,
    faults: s.faults,
    frames: s.frames,
    ...(s.memory ? { memory: s.memory } : {}),
    contexts: s.contexts,
    contextSwitches: s.contextSwitches,
    kptiSwitches: s.kptiSwitches,
    cpus: s.cpus,
    ...(s.perCpu ? { perCpu: s.perCpu.map((c) => ({ cpu: c.cpu, l1d: level(c.l1d), l1i: level(c.l1i), ...(c.l2 ? { l2: level(c.l2) } : {}) })) } : {}),
    invlpg: s.invlpg,
    flushes: s.flushes,
    badLines: s.badLines,
    ignoredLines: s.ignoredLines,
    physicalFrames: s.physicalPfn.length,
    ...(s.intervals
      ? {
          intervals: {
            every: s.intervals.every,
            windows: intervalWindows(s.intervals.snapshots).map((w) => ({
              window: w.window, firstRecord: w.firstRecord, lastRecord: w.lastRecord, records: w.records,
              reads: w.reads, writes: w.writes, fetches: w.fetches,
              l1d: { lookups: w.l1dLookups, misses: w.l1dMisses },
              l1i: { lookups: w.l1iLookups, misses: w.l1iMisses },
              ...(machine.l2 ? { l2: { lookups: w.l2Lookups, misses: w.l2Misses } } : {}),
              walks: w.walks, walkRefs: w.walkRefs,
              faults: { minor: w.minorFaults, major: w.majorFaults, nonCanonical: w.nonCanonical },
            })),
          },
        }
      : {}),
    ...(opts.pages
      ? {
          pfn: s.pfn,
          ...(s.vpn ? { spaces: s.vpn.spaces, vpn: s.vpn.pages } : {}),
          tracePfn: s.physicalPfn.map(([pfn, accesses]) => ({ pfn, accesses })),
        }
      : {}),
    stopped: result.stopped,
    seconds: Number(result.seconds.toFixed(6)),
  };
}
