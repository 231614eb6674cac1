// The WASM core's whole public surface. One instance replays (or converts)
// one trace, which may join several inputs: the driver instantiates the
// module, calls init() once, then for each input setFormat() and alternate
// reads into the window with feed(), and reads the counters at the end.

import * as abi from "./abi";
import { initBatch, records } from "./records";
import { setSizeShift } from "./decode/mem";
import { eventsRead } from "./decode/tlbt";
import { initInput, setFormat as setInputFormat, feed as feedInput, windowPtr, lines, ignoredLines } from "./input";
import { badLines, badLog } from "./badlines";
import { setMode, output, outputEvents, clearOutput } from "./dispatch";
import {
  configureMachine, drainTranslationCounts, refreshFastMisses, cpuTotals, MAX_CPUS, isCpuMade, accessCounts, physical, mmio, crossings,
  nonCanonical, observedFaults, invlpgs, flushes, contexts, contextSwitches,
  invalidAccesses, protectionFaults, kptiSwitches, configureChecks, countTranslationTotals,
} from "./machine/mmu";
import { configureLayout, setKernelText, beginMap, addRegion } from "./machine/layout";
import { walks, walkRefs, minorFaults, majorFaults, levels } from "./machine/pagetable";
import { configurePwc, pwcLookups, pwcHits } from "./machine/pwc";
import { setStampLimit } from "./machine/tlb";
import {
  framesUsed, pageTableFrames, pfnLimit, evictions, writebacks, shootdowns, translations,
  configureFrames, recordTranslations, nextUses as opNextUses, futureBuffer as optFutureBuffer,
} from "./machine/frames";
import { pfnCounts, frameColumns } from "./observers/pfn";
import { setTracking, pageRows as writePageRows, pageRowsPtr, spaceRows as writeSpaceRows, spaceRowsPtr } from "./observers/pages";
import { setInterval, intervalRows as writeIntervalRows, intervalRowsPtr } from "./observers/intervals";
import { physicalCapacity, physicalKeys, physicalValues } from "./observers/physical";
import { internReason, reasonCount, reasonTablePtr, reasonCountsPtr } from "./observers/faults";
import {
  configureSweep, addStream, registerFull, registerSets, registerDirect, structureResult, streamLookups, sweepAccessCounts,
} from "./sweep/sweep";

const counterBlock = memory.data(abi.COUNTER_COUNT * 8, 16);
/** Per CPU (by number): l1d, l1i, l2 lookups and misses, u64 each; written by counters(). */
const cpuBlock = memory.data(64 * 6 * 8, 16);
let cpusMade: u32 = 1;

/** l2Entries = 0 means no L2. Geometry is validated by the driver. */
export function init(
  mode: u32, sizeShift: bool, strict: bool, window: u32,
  l1dEntries: u32, l1dWays: u32, l1dPolicy: u32, l1iEntries: u32, l1iWays: u32, l1iPolicy: u32,
  l2Entries: u32, l2Ways: u32, l2Policy: u32, seed: u64, paging: u32, pcid: bool, pageShift: u32,
): void {
  initBatch();
  initInput(strict, window);
  setMode(mode);
  setSizeShift(sizeShift);
  configureMachine(l1dEntries, l1dWays, l1dPolicy, l1iEntries, l1iWays, l1iPolicy, l2Entries, l2Ways, l2Policy, seed, paging, pcid, pageShift);
}

/** Tests: the TLBs renumber their LRU/FIFO stamps after `limit` clock ticks instead of 2^28 (machine/tlb.ts). */
export function stampLimit(limit: u32): void {
  setStampLimit(limit);
}

/** Turns page-walk caches on with these entries per level (after init). */
export function pageWalkCaches(pde: u32, pdpte: u32, pml4e: u32, pml5e: u32): void {
  configurePwc(pde, pdpte, pml4e, pml5e, levels);
}

/**
 * The frame pool (after init, before the first feed): frames = 0 for no
 * limit; shuffledPool frames in the shuffled allocator's pool without one.
 */
export function physicalMemory(frames: u64, evict: u32, alloc: u32, seed: u64, shuffledPool: u64, traceBase: u64): void {
  configureFrames(frames, evict, alloc, seed, shuffledPool, traceBase);
}

/**
 * The kernel layout (after init): its kernel half and linear maps, the
 * kernel text (replaced when ownText), and KPTI. Then any region maps, then
 * checksReady().
 */
export function kernelLayout(kind: u32, ownText: bool, textStart: u64, textEnd: u64): void {
  configureLayout(kind, levels == 5);
  if (ownText) setKernelText(textStart, textEnd);
}

/** Starts the region map of the space named by cr3 (every other space's when !named). */
export function regionMap(cr3: u64, named: bool): void {
  beginMap(cr3, named);
}

/** A region [start, end) of the last map, in ascending order; perms PERM_* bits; shift: log2 of its page size, 0 for the run's. */
export function region(start: u64, end: u64, perms: u32, shift: u32): void {
  addRegion(start, end, perms, shift);
}

export function checksReady(kpti: bool): void {
  configureChecks(kpti);
}

/** CPUs made (valid after counters()). */
export function cpuCount(): u32 {
  return cpusMade;
}

export function cpuMade(c: u32): bool {
  return isCpuMade(c);
}

/** After counters(): per CPU number 0..63, l1d/l1i/l2 lookups and misses (u64; zeros for CPUs not made). */
export function perCpu(): usize {
  return cpuBlock;
}

/** OPT's pre-pass: record every translation's page. */
export function recordPages(): void {
  recordTranslations();
}

/** After the pre-pass: each translation's next use (u32s, C_TRANSLATIONS of them). */
export function nextUses(): usize {
  return opNextUses();
}

/** OPT's second pass: where the driver copies the pre-pass's next uses (before the first feed). */
export function futureBuffer(count: u64): usize {
  return optFutureBuffer(count);
}

export function setFormat(format: u32): void {
  setInputFormat(format);
}

export function inputWindow(): usize {
  return windowPtr;
}

export function feed(len: u32, eof: bool): i32 {
  refreshFastMisses();
  return feedInput(len, eof);
}

/** Records so far (for progress: cheaper than counters()). */
export function recordCount(): f64 {
  return <f64>records;
}

/** Lines read so far (events, for the binary format): where the next input's numbering starts. */
export function position(binary: bool): f64 {
  return <f64>(binary ? eventsRead : lines);
}

/** Lines skipped as not records (banners, comments) so far. */
export function ignoredLineCount(): f64 {
  return <f64>ignoredLines;
}

export function badLineCount(): f64 {
  return <f64>badLines;
}

export function badLineLog(): usize {
  return badLog;
}

/** Per-PFN counts (frameCountColumns() u64 per frame, indexed by PFN); complete only after counters(). */
export function frameCounts(): usize {
  return pfnCounts;
}

/** PFN_COLUMNS (reads, writes, fetches), or 1 (translations) after totalsPerFrame(). */
export function frameCountColumns(): u32 {
  return frameColumns();
}

/** Keeps only each frame's translations, not their split by op: a replay that writes no per-frame table. Before the first event, without trackPages. */
export function totalsPerFrame(): void {
  countTranslationTotals();
}

/** Keeps per-page counts (pageRows) from now on; off by default, as they cost a hash probe per L1 eviction. */
export function trackPages(on: bool): void {
  setTracking(on);
}

/** Snapshots the counters every `records` records (0: never). */
export function interval(records: f64): void {
  setInterval(<u64>records);
}

/** Rows (PAGE_ROW_FIELDS u64) of the per-page counts, at pageTable(); complete only after counters(). */
export function pageRows(): u32 {
  return writePageRows();
}

export function pageTable(): usize {
  return pageRowsPtr();
}

/** Rows (SPACE_ROW_FIELDS u64) naming the address spaces, at spaceTable(). */
export function spaceRows(): u32 {
  return writeSpaceRows();
}

export function spaceTable(): usize {
  return spaceRowsPtr();
}

/** Rows (INTERVAL_FIELDS u64) of the interval snapshots, the end included, at intervalTable(). */
export function intervalRows(): u32 {
  return writeIntervalRows();
}

export function intervalTable(): usize {
  return intervalRowsPtr();
}

export function physicalSlots(): u32 {
  return physicalCapacity();
}

/** Keys (pfn + 1, 0 = empty) of the trace-frame map; values at physicalCounts(). */
export function physicalPfns(): usize {
  return physicalKeys();
}

export function physicalCounts(): usize {
  return physicalValues();
}

/** Interns the reason text [p, p + n) (a binary trace's reason table, in order). */
export function addReason(p: usize, n: u32): u32 {
  return internReason(p, <usize>n);
}

export function reasons(): u32 {
  return reasonCount;
}

/** Reason i: u32 length at reasonText() + i * (4 + REASON_BYTES), then the text. */
export function reasonText(): usize {
  return reasonTablePtr();
}

/** u64 counts indexed by reason id (1-based; REASON_CAPACITY + 1 = other). */
export function reasonCounts(): usize {
  return reasonCountsPtr();
}

/** Convert mode: the events decoded since the last takeOutput(). */
export function outputPtr(): usize {
  return output;
}

export function outputCount(): u32 {
  return <u32>outputEvents;
}

export function takeOutput(): void {
  clearOutput();
}

// @ts-ignore: decorator
@inline function put(index: i32, value: u64): void {
  store<f64>(counterBlock + (<usize>index << 3), <f64>value);
}

/** Writes every counter into the counter block and returns its address. */
export function counters(): usize {
  drainTranslationCounts();
  put(abi.C_RECORDS, records);
  put(abi.C_READS, load<u64>(accessCounts, abi.OP_READ * 8));
  put(abi.C_WRITES, load<u64>(accessCounts, abi.OP_WRITE * 8));
  put(abi.C_FETCHES, load<u64>(accessCounts, abi.OP_FETCH * 8));
  put(abi.C_PHYSICAL, physical);
  put(abi.C_MMIO, mmio);
  put(abi.C_CROSSINGS, crossings);
  cpusMade = cpuTotals(cpuBlock);
  let sums = new StaticArray<u64>(6);
  for (let c: u32 = 0; c < MAX_CPUS; c++) {
    for (let i = 0; i < 6; i++) sums[i] += load<u64>(cpuBlock + ((<usize>c * 6 + <usize>i) << 3));
  }
  put(abi.C_L1D_LOOKUPS, sums[0]);
  put(abi.C_L1D_MISSES, sums[1]);
  put(abi.C_L1I_LOOKUPS, sums[2]);
  put(abi.C_L1I_MISSES, sums[3]);
  put(abi.C_L2_LOOKUPS, sums[4]);
  put(abi.C_L2_MISSES, sums[5]);
  put(abi.C_WALKS, walks);
  put(abi.C_WALK_REFS, walkRefs);
  put(abi.C_FAULTS_MINOR, minorFaults);
  put(abi.C_FAULTS_MAJOR, majorFaults);
  put(abi.C_FAULTS_NONCANONICAL, nonCanonical);
  put(abi.C_FAULTS_OBSERVED, observedFaults);
  put(abi.C_FRAMES_USED, framesUsed);
  put(abi.C_FRAMES_PAGETABLE, pageTableFrames);
  put(abi.C_CONTEXTS, contexts);
  put(abi.C_CONTEXT_SWITCHES, contextSwitches);
  put(abi.C_INVLPG, invlpgs);
  put(abi.C_FLUSHES, flushes);
  put(abi.C_BAD_LINES, badLines);
  put(abi.C_LINES, lines);
  put(abi.C_PFN_LIMIT, pfnLimit);
  put(abi.C_IGNORED_LINES, ignoredLines);
  put(abi.C_EVENTS, eventsRead);
  put(abi.C_EVICTIONS, evictions);
  put(abi.C_WRITEBACKS, writebacks);
  put(abi.C_SHOOTDOWNS, shootdowns);
  put(abi.C_TRANSLATIONS, translations);
  put(abi.C_FAULTS_INVALID, invalidAccesses);
  for (let k = 0; k < 4; k++) put(abi.C_PROT_READ + k, load<u64>(protectionFaults + (<usize>k << 3)));
  put(abi.C_KPTI_SWITCHES, kptiSwitches);
  for (let k = 0; k < 4; k++) {
    put(abi.C_PWC_LOOKUPS + k, load<u64>(pwcLookups + (<usize>k << 3)));
    put(abi.C_PWC_HITS + k, load<u64>(pwcHits + (<usize>k << 3)));
  }
  return counterBlock;
}

// Sweeps (MODE_SWEEP, docs/sweep.md): after init(), the driver adds streams
// (a TLB level at a page size) and their structures, feeds the trace, then
// reads each structure's counts.

export function sweepSetup(pcid: bool): void {
  configureSweep(pcid);
}

/** A stream; for SWEEP_L2 the L1s in front of it (random state seed + 1, + 2). */
export function sweepStream(
  level: u32, pageShift: u32,
  l1dEntries: u32, l1dWays: u32, l1dPolicy: u32, l1iEntries: u32, l1iWays: u32, l1iPolicy: u32, seed: u64,
): i32 {
  return addStream(level, pageShift, l1dEntries, l1dWays, l1dPolicy, l1iEntries, l1iWays, l1iPolicy, seed);
}

/** Fully associative LRU of every size up to maxDepth; `threshold`: pages hashing below it (2^32: all). */
export function sweepFull(stream: i32, maxDepth: u32, threshold: f64): i32 {
  return registerFull(stream, maxDepth, <u64>threshold);
}

/** LRU with `sets` sets, every associativity up to depth. */
export function sweepSets(stream: i32, sets: u32, depth: u32, threshold: f64): i32 {
  return registerSets(stream, sets, depth, <u64>threshold);
}

/** One TLB of this geometry and policy. */
export function sweepDirect(stream: i32, entries: u32, ways: u32, policy: u32, randomState: u64, threshold: f64): i32 {
  return registerDirect(stream, entries, ways, policy, randomState, <u64>threshold);
}

/** f64s: lookups, then a stack's histogram or a TLB's misses (sweep.ts, structureResult). */
export function sweepResult(structure: i32): usize {
  return structureResult(structure);
}

export function sweepLookups(stream: i32): f64 {
  return <f64>streamLookups(stream);
}

/** Accesses by op, then physical accesses (u64[4]). */
export function sweepAccesses(): usize {
  return sweepAccessCounts;
}
