// The --json object: keys documented in docs/json.md and kept stable.

import { formatGeometry } from '../config.js';
import { policyOf, type LevelStats, type MachineConfig, type Stats } from '../model.js';
import type { ReplayResult } from '../replay.js';

function level(l: LevelStats) {
  return { ...l, missRate: l.lookups === 0 ? 0 : l.misses / l.lookups };
}

export function jsonReport(result: ReplayResult, machine: MachineConfig, sizeShift: boolean) {
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
      maps: (machine.maps ?? []).map((m) => ({ cr3: m.cr3 === null ? null : `0x${m.cr3.toString(16)}`, regions: m.regions.length })),
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
    invlpg: s.invlpg,
    flushes: s.flushes,
    badLines: s.badLines,
    ignoredLines: s.ignoredLines,
    physicalFrames: s.physicalPfn.length,
    stopped: result.stopped,
    seconds: Number(result.seconds.toFixed(6)),
  };
}
