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
  configureMachine, drainTranslationCounts, l1d, l1i, l2, accessCounts, physical, mmio, crossings,
  nonCanonical, observedFaults, invlpgs, flushes, contexts, contextSwitches,
} from "./machine/mmu";
import { walks, walkRefs, minorFaults, levels } from "./machine/pagetable";
import { configurePwc, pwcLookups, pwcHits } from "./machine/pwc";
import { framesUsed, pageTableFrames, nextPfn } from "./machine/frames";
import { pfnCounts } from "./observers/pfn";
import { physicalCapacity, physicalKeys, physicalValues } from "./observers/physical";
import { internReason, reasonCount, reasonTablePtr, reasonCountsPtr } from "./observers/faults";
import {
  configureSweep, addStream, registerFull, registerSets, registerDirect, structureResult, streamLookups, sweepAccessCounts,
} from "./sweep/sweep";

const counterBlock = memory.data(abi.COUNTER_COUNT * 8, 16);

/** l2Entries = 0 means no L2. Geometry is validated by the driver. */
export function init(
  mode: u32, sizeShift: bool, strict: bool, window: u32,
  l1dEntries: u32, l1dWays: u32, l1dPolicy: u32, l1iEntries: u32, l1iWays: u32, l1iPolicy: u32,
  l2Entries: u32, l2Ways: u32, l2Policy: u32, seed: u64, paging: u32, pcid: bool,
): void {
  initBatch();
  initInput(strict, window);
  setMode(mode);
  setSizeShift(sizeShift);
  configureMachine(l1dEntries, l1dWays, l1dPolicy, l1iEntries, l1iWays, l1iPolicy, l2Entries, l2Ways, l2Policy, seed, paging, pcid);
}

/** Turns page-walk caches on with these entries per level (after init). */
export function pageWalkCaches(pde: u32, pdpte: u32, pml4e: u32, pml5e: u32): void {
  configurePwc(pde, pdpte, pml4e, pml5e, levels);
}

export function setFormat(format: u32): void {
  setInputFormat(format);
}

export function inputWindow(): usize {
  return windowPtr;
}

export function feed(len: u32, eof: bool): i32 {
  return feedInput(len, eof);
}

/** Lines read so far (events, for the binary format): where the next input's numbering starts. */
export function position(binary: bool): f64 {
  return <f64>(binary ? eventsRead : lines);
}

export function badLineCount(): f64 {
  return <f64>badLines;
}

export function badLineLog(): usize {
  return badLog;
}

/** Per-PFN counts (u64 each); complete only after counters(). */
export function pfnTranslations(): usize {
  return pfnCounts;
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
  put(abi.C_L1D_LOOKUPS, l1d!.lookups);
  put(abi.C_L1D_MISSES, l1d!.misses);
  put(abi.C_L1I_LOOKUPS, l1i!.lookups);
  put(abi.C_L1I_MISSES, l1i!.misses);
  put(abi.C_L2_LOOKUPS, l2 ? l2!.lookups : 0);
  put(abi.C_L2_MISSES, l2 ? l2!.misses : 0);
  put(abi.C_WALKS, walks);
  put(abi.C_WALK_REFS, walkRefs);
  put(abi.C_FAULTS_MINOR, minorFaults);
  put(abi.C_FAULTS_MAJOR, 0);
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
  put(abi.C_PFN_LIMIT, framesUsed == 0 ? 0 : nextPfn);
  put(abi.C_IGNORED_LINES, ignoredLines);
  put(abi.C_EVENTS, eventsRead);
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
