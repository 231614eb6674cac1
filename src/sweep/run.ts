// Runs a sweep: one pass of the trace through the core in sweep mode, with
// the structures of the plan, then one row per configuration.

import * as abi from '../../assembly/abi.js';
import { CoreSession, POLICY_IDS, type BadLine } from '../engine/core.js';
import { UserError } from '../errors.js';
import { policyOf, type Format, type Stats } from '../model.js';
import { feedPaths } from '../replay.js';
import { ALL_PAGES, plan } from './plan.js';
import { grid, PAGE_SHIFTS, type Grid, type SweepConfig, type SweepLevel, type SweepRequest } from './request.js';

export interface SweepRow extends SweepConfig {
  sets: number;
  /** Lookups at this level (every one, also when sampling). */
  lookups: number;
  /** Exact, or the estimate miss rate x lookups when sampling (rounded). */
  misses: number;
  missRate: number;
  /** The fraction of pages this row's TLB saw: 1 unless sampling shrank it (docs/sweep.md). */
  sampleRate: number;
}

export interface SweepResult {
  traces: string[];
  formats: Format[];
  rows: SweepRow[];
  skipped: Grid['skipped'];
  /** Instructions (fetch accesses): the denominator of MPKI; 0 when the trace has none. */
  instructions: number;
  stats: Pick<Stats, 'records' | 'badLines' | 'ignoredLines'>;
  sample?: number;
  seconds: number;
  stopped: boolean;
}

interface SweepExports {
  memory: WebAssembly.Memory;
  sweepSetup(pcid: number): void;
  sweepStream(
    level: number, pageShift: number,
    l1dEntries: number, l1dWays: number, l1dPolicy: number, l1iEntries: number, l1iWays: number, l1iPolicy: number, seed: bigint,
  ): number;
  sweepFull(stream: number, maxDepth: number, threshold: number): number;
  sweepSets(stream: number, sets: number, depth: number, threshold: number): number;
  sweepDirect(stream: number, entries: number, ways: number, policy: number, randomState: bigint, threshold: number): number;
  sweepResult(structure: number): number;
  sweepLookups(stream: number): number;
  sweepAccesses(): number;
}

const LEVEL_IDS: Record<SweepLevel, number> = {
  l1d: abi.SWEEP_L1D,
  l1i: abi.SWEEP_L1I,
  l2: abi.SWEEP_L2,
  unified: abi.SWEEP_UNIFIED,
};
/**
 * The random generator of a level starts at seed + 1, 2, 3 as in a replay
 * (docs/metrics.md); a unified TLB takes the L1 dTLB's (docs/sweep.md).
 */
const SEED_OFFSET: Record<SweepLevel, bigint> = { l1d: 1n, l1i: 2n, l2: 3n, unified: 1n };
const U64 = (1n << 64n) - 1n;

export async function runSweep(
  req: SweepRequest,
  hooks: { onBadLine?: (trace: string, bad: BadLine) => void } = {},
): Promise<SweepResult> {
  const start = performance.now();
  const { configs, skipped } = grid(req);
  if (configs.length === 0) {
    throw new UserError('no TLB in the sweep: every combination of --entries and --ways was left out (more ways than entries, or entries not a multiple of ways)');
  }
  const layout = plan(configs, req.sample);
  const { machine } = req;
  const session = new CoreSession({ machine, sizeShift: req.sizeShift, strict: req.strict, sweep: true });
  const core = session.exports as unknown as SweepExports;
  core.sweepSetup(+machine.pcid);
  const seed = BigInt(machine.seed ?? 1);
  const ids = layout.streams.map((stream) => {
    const id = core.sweepStream(
      LEVEL_IDS[stream.level], PAGE_SHIFTS[stream.pageSize],
      machine.l1d.entries, machine.l1d.ways, POLICY_IDS[policyOf(machine, 'l1d')],
      machine.l1i.entries, machine.l1i.ways, POLICY_IDS[policyOf(machine, 'l1i')], seed,
    );
    const randomState = (seed + SEED_OFFSET[stream.level]) & U64;
    return stream.structures.map((s) => {
      switch (s.kind) {
        case 'full':
          return core.sweepFull(id, s.maxDepth, s.threshold);
        case 'sets':
          return core.sweepSets(id, s.sets, s.depth, s.threshold);
        case 'direct':
          return core.sweepDirect(id, s.entries, s.ways, POLICY_IDS[s.policy], randomState, s.threshold);
      }
    });
  });

  const { traces, formats, stopped } = await feedPaths(session, req.paths, req.format, { onBadLine: hooks.onBadLine });

  // A stack's block: lookups, then its histogram; a TLB's: lookups, misses.
  const results = layout.streams.map((stream, i) =>
    stream.structures.map((st, k) => {
      const values = 1 + (st.kind === 'full' ? st.maxDepth + 1 : st.kind === 'sets' ? st.depth + 1 : 1);
      const ptr = core.sweepResult(ids[i][k]) >>> 0; // may grow memory: take the buffer after it
      return new Float64Array(core.memory.buffer, ptr, values).slice();
    }),
  );
  const lookupsOf = layout.streams.map((_, i) => core.sweepLookups(i));
  const rows = configs.map((config, i): SweepRow => {
    const { stream, reading } = layout.readings[i];
    const counts = results[stream][reading.structure];
    const sampledLookups = counts[0];
    let sampledMisses: number;
    if (reading.kind === 'tlb') {
      sampledMisses = counts[1];
    } else {
      let hits = 0;
      for (let d = 0; d < reading.hitBins; d++) hits += counts[1 + d];
      sampledMisses = sampledLookups - hits;
    }
    const lookups = lookupsOf[stream];
    const structure = layout.streams[stream].structures[reading.structure];
    const exact = structure.threshold === ALL_PAGES;
    const missRate = sampledLookups === 0 ? 0 : sampledMisses / sampledLookups;
    return {
      ...config,
      sets: config.entries / config.ways,
      lookups,
      misses: exact ? sampledMisses : Math.round(missRate * lookups),
      missRate,
      sampleRate: exact ? 1 : structure.threshold / ALL_PAGES,
    };
  });
  const accesses = new Float64Array(4);
  const view = new DataView(core.memory.buffer, core.sweepAccesses() >>> 0, 32);
  for (let k = 0; k < 4; k++) accesses[k] = Number(view.getBigUint64(8 * k, true));
  const stats = session.stats();
  return {
    traces,
    formats,
    rows,
    skipped,
    instructions: accesses[abi.OP_FETCH],
    stats: { records: stats.records, badLines: stats.badLines, ignoredLines: stats.ignoredLines },
    sample: req.sample,
    seconds: (performance.now() - start) / 1000,
    stopped,
  };
}
