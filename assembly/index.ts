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
  invalidAccesses, protectionFaults, kptiSwitches, configureChecks,
} from "./machine/mmu";
import { configureLayout, setKernelText, beginMap, addRegion } from "./machine/layout";
import { walks, walkRefs, minorFaults, majorFaults, levels, leaf } from "./machine/pagetable";
import { configurePwc, pwcLookups, pwcHits } from "./machine/pwc";
import {
  framesUsed, pageTableFrames, pfnLimit, evictions, writebacks, shootdowns, translations,
  configureFrames, recordTranslations, nextUses as opNextUses, futureBuffer as optFutureBuffer,
} from "./machine/frames";
import { pfnCounts } from "./observers/pfn";
import { physicalCapacity, physicalKeys, physicalValues } from "./observers/physical";
import { internReason, reasonCount, reasonTablePtr, reasonCountsPtr } from "./observers/faults";

const counterBlock = memory.data(abi.COUNTER_COUNT * 8, 16);

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

/** Turns page-walk caches on with these entries per level (after init). */
export function pageWalkCaches(pde: u32, pdpte: u32, pml4e: u32, pml5e: u32): void {
  configurePwc(pde, pdpte, pml4e, pml5e, levels, leaf);
}

/**
 * The frame pool (after init, before the first feed): frames = 0 for no
 * limit; shuffledPool frames in the shuffled allocator's pool without one.
 */
export function physicalMemory(frames: u64, evict: u32, alloc: u32, seed: u64, shuffledPool: u64): void {
  configureFrames(frames, evict, alloc, seed, shuffledPool);
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

/** A region [start, end) of the last map, in ascending order; perms PERM_* bits. */
export function region(start: u64, end: u64, perms: u32): void {
  addRegion(start, end, perms);
}

export function checksReady(kpti: bool): void {
  configureChecks(kpti);
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
