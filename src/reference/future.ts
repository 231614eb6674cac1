// The OPT eviction policy's knowledge of the future (docs/metrics.md,
// Physical memory and eviction): a pre-pass over the whole trace lists every
// translation's page, in the machine's order, and for each translation the
// index of the next one of the same page.

import type { MachineConfig } from '../model.js';
import type { TraceEvent } from './decode.js';
import { pagingLayout } from './pagetable.js';
import { pagesTouched, pageShiftOf } from './pages.js';

/** The address space a trace starts in, until a [CR3] line names one. */
export const IMPLICIT_SPACE = 'implicit';

/** A page's name across the trace: its address space's (the [CR3] value, or implicit) and its number. */
export const pageKey = (space: string, page: bigint): string => `${space}/${page.toString(16)}`;

export interface Future {
  /** Translation t's page (pageKey). */
  readonly keys: readonly string[];
  /** Translation t's page's next translation index; Infinity when it has none. */
  readonly next: readonly number[];
}

export function futureOf(events: readonly TraceEvent[], machine: MachineConfig): Future {
  const layout = pagingLayout(machine.paging);
  const shift = pageShiftOf(machine);
  const keys: string[] = [];
  // The machine's current space is always the one the last [CR3] named (before
  // the first access it names the start space; after, it switches to it).
  let space = IMPLICIT_SPACE;
  for (const event of events) {
    if (event.kind === 'cr3') space = event.value.toString(16);
    if (event.kind !== 'access' || event.physical) continue;
    for (const page of pagesTouched(event.va, event.size, shift)) {
      if (layout.translatable(page << (shift - 12n))) keys.push(pageKey(space, page));
    }
  }
  const next = new Array<number>(keys.length).fill(Infinity);
  const seen = new Map<string, number>();
  for (let t = keys.length - 1; t >= 0; t--) {
    next[t] = seen.get(keys[t]) ?? Infinity;
    seen.set(keys[t], t);
  }
  return { keys, next };
}
