// The physical frame pool: frames are handed out sequentially from FIRST_PFN,
// to data pages and page-table pages alike, and never freed (there is no
// memory limit yet).

import { reserveFrame } from "../observers/pfn";
import { FIRST_PFN } from "../abi";

export let nextPfn: u64 = <u64>FIRST_PFN;
export let framesUsed: u64 = 0;
export let pageTableFrames: u64 = 0;

function take(): u64 {
  framesUsed++;
  reserveFrame(nextPfn);
  return nextPfn++;
}

export function allocDataFrame(): u64 {
  return take();
}

export function allocTableFrame(): u64 {
  pageTableFrames++;
  return take();
}
