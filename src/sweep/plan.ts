// Which structures answer which rows, with as few structures as possible:
// per (level, page size) stream, one fully associative LRU stack for every
// one-set LRU geometry, one per-set stack structure per set count for the
// other LRU geometries (every associativity of that set count at once), and
// one real TLB for each configuration of another policy.
//
// With sampling (SHARDS, Waldspurger et al. 2015) the fully associative stack
// sees the pages whose hash is below rate * 2^32 and scales its distances by
// 1 / rate; every other structure is a miniature simulation (Waldspurger et
// al. 2017): sets scaled by the rate, ways kept, fed the pages hashing below
// its own exact rate (scaled sets / sets). docs/sweep.md.

import type { Policy } from '../model.js';
import type { PageSize, SweepConfig, SweepLevel } from './request.js';

/** Hashes are 32 bits: this threshold takes every page. */
export const ALL_PAGES = 2 ** 32;
/**
 * Sampling never shrinks a simulated TLB below this many sets (or, fully
 * associative, entries): a smaller TLB sees a larger sample instead, up to
 * every page. Below it the scaled TLB is too coarse (docs/sweep.md).
 */
export const MIN_SCALED = 32;

export type Structure =
  | { kind: 'full'; maxDepth: number; threshold: number; rate: number }
  | { kind: 'sets'; sets: number; depth: number; threshold: number; rate: number }
  | { kind: 'direct'; entries: number; ways: number; policy: Policy; threshold: number; rate: number };

/** How one row's misses come out of its structure's counts. */
export type Reading =
  /** Hits are the lookups at stack distances 0 .. hitBins - 1. */
  | { kind: 'stack'; structure: number; hitBins: number }
  | { kind: 'tlb'; structure: number };

export interface StreamPlan {
  level: SweepLevel;
  pageSize: PageSize;
  structures: Structure[];
}

export interface Plan {
  streams: StreamPlan[];
  /** For each config, in order: its stream and how to read it. */
  readings: Array<{ stream: number; reading: Reading }>;
}

function threshold(rate: number): number {
  return Math.min(ALL_PAGES, Math.round(rate * ALL_PAGES));
}

export function plan(configs: SweepConfig[], sample?: number): Plan {
  const rate = sample ?? 1;
  // One fully associative stack per stream serves every size at one rate:
  // the one that scales the smallest of them to MIN_SCALED entries.
  const fullRate = new Map<string, number>();
  for (const c of configs) {
    if (c.policy !== 'lru' || c.entries !== c.ways) continue;
    const key = `${c.level} ${c.pageSize}`;
    fullRate.set(key, Math.max(fullRate.get(key) ?? 0, Math.min(1, Math.max(rate, MIN_SCALED / c.entries))));
  }
  const streams: StreamPlan[] = [];
  const streamOf = new Map<string, number>();
  // Per stream: the full stack and the per-set structures by scaled set count.
  const fulls = new Map<number, number>();
  const setStructures = new Map<string, number>();
  const readings: Plan['readings'] = [];

  for (const config of configs) {
    const key = `${config.level} ${config.pageSize}`;
    let stream = streamOf.get(key);
    if (stream === undefined) {
      stream = streams.length;
      streamOf.set(key, stream);
      streams.push({ level: config.level, pageSize: config.pageSize, structures: [] });
    }
    const structures = streams[stream].structures;
    const sets = config.entries / config.ways;
    if (config.policy === 'lru' && sets === 1) {
      let index = fulls.get(stream);
      const r = fullRate.get(key)!;
      if (index === undefined) {
        index = structures.length;
        fulls.set(stream, index);
        structures.push({ kind: 'full', maxDepth: 1, threshold: threshold(r), rate: r });
      }
      // A sampled distance d stands for d / rate: it hits E entries when d < E * rate.
      const hitBins = Math.ceil(config.entries * r - 1e-9);
      const full = structures[index] as Extract<Structure, { kind: 'full' }>;
      full.maxDepth = Math.max(full.maxDepth, hitBins);
      readings.push({ stream, reading: { kind: 'stack', structure: index, hitBins } });
      continue;
    }
    const scaledSets = Math.min(sets, Math.max(MIN_SCALED, Math.round(sets * rate)));
    const exactRate = scaledSets / sets;
    if (config.policy === 'lru') {
      const setKey = `${stream} ${scaledSets} ${sets}`;
      let index = setStructures.get(setKey);
      if (index === undefined) {
        index = structures.length;
        setStructures.set(setKey, index);
        structures.push({ kind: 'sets', sets: scaledSets, depth: 1, threshold: threshold(exactRate), rate: exactRate });
      }
      const s = structures[index] as Extract<Structure, { kind: 'sets' }>;
      s.depth = Math.max(s.depth, config.ways);
      readings.push({ stream, reading: { kind: 'stack', structure: index, hitBins: config.ways } });
      continue;
    }
    structures.push({
      kind: 'direct',
      entries: scaledSets * config.ways,
      ways: config.ways,
      policy: config.policy,
      threshold: threshold(exactRate),
      rate: exactRate,
    });
    readings.push({ stream, reading: { kind: 'tlb', structure: structures.length - 1 } });
  }
  return { streams, readings };
}
