// Accesses per trace frame (physical address >> 12) for accesses whose
// physical address the trace gives (PA=, mem_hwaddr, system-mode execlog).
// Trace frames can be anywhere in a large physical space, so they are kept in
// an open-addressing hash map (key pfn + 1, 0 = empty) rather than an array.

let keys: usize = 0;
let values: usize = 0;
let capacity: u32 = 0;
let size: u32 = 0;

function slotFor(key: u64, mask: u32): u32 {
  let i = <u32>((key * 0x9e3779b97f4a7c15) >> 32) & mask;
  while (true) {
    let k = load<u64>(keys + (<usize>i << 3));
    if (k == key || k == 0) return i;
    i = (i + 1) & mask;
  }
  return 0;
}

function grow(): void {
  let oldKeys = keys;
  let oldValues = values;
  let oldCapacity = capacity;
  capacity = capacity == 0 ? 1024 : capacity * 2;
  keys = heap.alloc(<usize>capacity << 3);
  values = heap.alloc(<usize>capacity << 3);
  memory.fill(keys, 0, <usize>capacity << 3);
  memory.fill(values, 0, <usize>capacity << 3);
  for (let i: u32 = 0; i < oldCapacity; i++) {
    let k = load<u64>(oldKeys + (<usize>i << 3));
    if (k == 0) continue;
    let j = slotFor(k, capacity - 1);
    store<u64>(keys + (<usize>j << 3), k);
    store<u64>(values + (<usize>j << 3), load<u64>(oldValues + (<usize>i << 3)));
  }
  if (oldKeys != 0) {
    heap.free(oldKeys);
    heap.free(oldValues);
  }
}

export function countPhysical(pa: u64): void {
  if ((size + 1) * 2 > capacity) grow();
  let key = (pa >> 12) + 1;
  let i = slotFor(key, capacity - 1);
  let slot = keys + (<usize>i << 3);
  if (load<u64>(slot) == 0) {
    store<u64>(slot, key);
    size++;
  }
  let value = values + (<usize>i << 3);
  store<u64>(value, load<u64>(value) + 1);
}

export function physicalCapacity(): u32 {
  return capacity;
}

export function physicalKeys(): usize {
  return keys;
}

export function physicalValues(): usize {
  return values;
}
